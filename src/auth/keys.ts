import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { z } from 'zod';

export const signingAlgorithm = 'ES256';

/** The key the embedded issuer signs with. */
export interface SigningKey {
  /** RFC 7638 thumbprint of the public key; the `kid` of every token and of the JWKS entry. */
  kid: string;
  privateKey: CryptoKey;
  /** What `/.well-known/jwks.json` publishes: public parameters, kid, alg, use. */
  publicJwk: JWK;
}

const privateFileName = 'signing-key.private.jwk.json';
const publicFileName = 'jwks.json';

const privateJwkSchema = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().min(1),
  y: z.string().min(1),
  d: z.string().min(1),
  kid: z.string().min(1),
});
type PrivateJwk = z.output<typeof privateJwkSchema>;

/** Writes `text` to a new temp file beside `path` (fsynced), so it can be linked or renamed into place whole. */
async function writeTemp(path: string, text: string, mode: number): Promise<string> {
  const temp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  const file = await open(temp, 'wx', mode);
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  return temp;
}

async function generate(): Promise<PrivateJwk> {
  const { privateKey } = await generateKeyPair(signingAlgorithm, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const parsed = privateJwkSchema.omit({ kid: true }).parse(jwk);
  const kid = await calculateJwkThumbprint({ kty: parsed.kty, crv: parsed.crv, x: parsed.x, y: parsed.y });
  return { ...parsed, kid };
}

/** Creates the private key file unless it exists. `link` fails if the target exists, so exactly one writer wins. */
async function createIfAbsent(path: string): Promise<void> {
  const temp = await writeTemp(path, `${JSON.stringify(await generate(), null, 2)}\n`, 0o600);
  try {
    await link(temp, path);
  } catch (e) {
    if (!(e instanceof Error && 'code' in e && e.code === 'EEXIST')) throw e;
  } finally {
    await unlink(temp);
  }
}

async function readPrivate(path: string): Promise<PrivateJwk | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof Error && 'code' in e && e.code === 'ENOENT') return undefined;
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = privateJwkSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${path} is not an ES256 private JWK; remove it to have a new signing key generated`);
  return parsed.data;
}

/**
 * The embedded issuer's ES256 key pair, generated on first use and kept under `<dataDir>/auth/`: the private
 * JWK (mode 0600) and the public JWKS beside it. Processes starting at the same time on a fresh folder all
 * end up with the same key. Throws on an unreadable or corrupt key file (an operator must look at it).
 */
export async function loadOrCreateSigningKey(dataDir: string): Promise<SigningKey> {
  const dir = resolve(dataDir, 'auth');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const privatePath = join(dir, privateFileName);

  let stored = await readPrivate(privatePath);
  if (stored === undefined) {
    await createIfAbsent(privatePath);
    stored = await readPrivate(privatePath);
    if (stored === undefined) throw new Error(`${privatePath} vanished right after it was created`);
  }

  const privateKey = await importJWK(stored, signingAlgorithm);
  if (privateKey instanceof Uint8Array) throw new Error('an EC JWK imported as a symmetric key');
  const publicJwk: JWK = { kty: stored.kty, crv: stored.crv, x: stored.x, y: stored.y, kid: stored.kid, alg: signingAlgorithm, use: 'sig' };

  // For operators and scripts that verify tokens offline. Same content whoever writes it; rename is atomic.
  const publicPath = join(dir, publicFileName);
  const temp = await writeTemp(publicPath, `${JSON.stringify({ keys: [publicJwk] }, null, 2)}\n`, 0o644);
  await rename(temp, publicPath);

  return { kid: stored.kid, privateKey, publicJwk };
}
