import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { UnsecuredJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authenticate, principalOf, requireRole } from '../../../src/auth/http.ts';
import { createIssuer } from '../../../src/auth/issuer.ts';
import { loadOrCreateSigningKey } from '../../../src/auth/keys.ts';
import { createAuth } from '../../../src/auth/setup.ts';
import type { AuthConfig } from '../../../src/auth/setup.ts';
import { createVerifier } from '../../../src/auth/verifier.ts';
import type { Verifier } from '../../../src/auth/verifier.ts';
import { errorMiddleware, notFoundHandler } from '../../../src/errors/http.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { manualClock } from '../../../src/shared/clock.ts';
import { listen } from './listen.ts';

const log = createLogger({ name: 'auth-test', level: 'silent' });
const issuerName = 'food-delivery-embedded';
const audience = 'food-delivery';

let dataDir: string;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'fd-auth-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function embeddedConfig(overrides: Partial<AuthConfig> = {}): AuthConfig {
  return {
    dataDir,
    authJwksUrl: undefined,
    authIssuer: issuerName,
    authAudience: audience,
    authAlgorithms: ['ES256'],
    authDevTokens: true,
    ...overrides,
  };
}

/** An app with the auth routes and two protected routes, served on a free port. */
async function serve(routes: express.Router, verifier: Verifier): Promise<string> {
  const app = express();
  app.use(express.json());
  app.use(routes);
  app.get('/v1/whoami', authenticate(verifier), (_req, res) => {
    res.json(principalOf(res));
  });
  app.get('/v1/ops/cluster', authenticate(verifier), requireRole('ops', 'admin'), (_req, res) => {
    res.json({ ok: true });
  });
  app.use(notFoundHandler);
  app.use(errorMiddleware(log));
  const server = await listen(app);
  cleanups.push(() => server.close());
  return server.url;
}

async function startEmbedded(overrides: Partial<AuthConfig> = {}) {
  const clock = manualClock(Date.UTC(2025, 0, 15, 12, 0, 0));
  const auth = await createAuth(embeddedConfig(overrides), { clock, log });
  const url = await serve(auth.routes, auth.verifier);
  return { auth, clock, url };
}

async function devToken(url: string, body: unknown): Promise<Response> {
  return fetch(`${url}/v1/auth/dev-tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function tokenFor(url: string, body: unknown): Promise<string> {
  const res = await devToken(url, body);
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

function get(url: string, path: string, token?: string): Promise<Response> {
  return fetch(`${url}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
}

async function expectError(res: Response, status: number, code: string): Promise<string> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { errors: Array<{ status: string; code: string; detail: string }> };
  expect(body.errors).toHaveLength(1);
  expect(body.errors[0]).toMatchObject({ status: String(status), code });
  return body.errors[0]?.detail ?? '';
}

describe('auth over HTTP (embedded issuer)', () => {
  it('given a dev token for a driver, when it calls a protected route, then it is the driver', async () => {
    const { url } = await startEmbedded();
    const driverId = `DRV-${randomUUID()}`;
    const token = await tokenFor(url, { role: 'driver', driverId });

    const res = await get(url, '/v1/whoami', token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: driverId, role: 'driver', driverId });

    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: issuerName, aud: audience, sub: driverId, role: 'driver', driver_id: driverId });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(12 * 60 * 60);
  });

  it('given the JWKS endpoint, when fetched, then it publishes the key the tokens name', async () => {
    const { url } = await startEmbedded();
    const token = await tokenFor(url, { role: 'ops' });
    const res = await fetch(`${url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const jwks = (await res.json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: decodeProtectedHeader(token).kid });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('given no token, when a protected route is called, then 401 UNAUTHENTICATED with a Bearer challenge', async () => {
    const { url } = await startEmbedded();
    const res = await get(url, '/v1/whoami');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await expectError(res, 401, 'UNAUTHENTICATED')).toBe('Missing bearer token');
  });

  it('given a non-Bearer authorization header, when a protected route is called, then 401', async () => {
    const { url } = await startEmbedded();
    const res = await fetch(`${url}/v1/whoami`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    await expectError(res, 401, 'UNAUTHENTICATED');
  });

  it('given garbage as a token, when a protected route is called, then 401 without library internals', async () => {
    const { url } = await startEmbedded();
    const detail = await expectError(await get(url, '/v1/whoami', 'not.a.jwt'), 401, 'UNAUTHENTICATED');
    expect(detail).toBe('Token is malformed');
  });

  it('given a token past its expiry, when used, then 401 "Token has expired"', async () => {
    const { url, clock } = await startEmbedded();
    const token = await tokenFor(url, { role: 'customer', customerId: `CUST-${randomUUID()}` });
    expect((await get(url, '/v1/whoami', token)).status).toBe(200);

    clock.advance(12 * 60 * 60 * 1000 + 60_000);
    const detail = await expectError(await get(url, '/v1/whoami', token), 401, 'UNAUTHENTICATED');
    expect(detail).toBe('Token has expired');
  });

  it('given a token signed by another key with the right claims, when used, then 401', async () => {
    const { url, clock } = await startEmbedded();
    const otherDir = await mkdtemp(join(tmpdir(), 'fd-auth-other-'));
    cleanups.push(() => rm(otherDir, { recursive: true, force: true }));
    const forger = createIssuer({ key: await loadOrCreateSigningKey(otherDir), issuer: issuerName, audience, clock });
    const token = await forger.mint({ sub: 'ops-1', role: 'ops' });

    const detail = await expectError(await get(url, '/v1/whoami', token), 401, 'UNAUTHENTICATED');
    expect(detail).toBe('Token signature is not valid');
  });

  it('given an unsigned alg "none" token, when used, then 401', async () => {
    const { url, clock } = await startEmbedded();
    const now = Math.floor(clock.now() / 1000);
    const token = new UnsecuredJWT({ role: 'admin' })
      .setIssuer(issuerName)
      .setAudience(audience)
      .setSubject('admin-1')
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .encode();
    expect(decodeProtectedHeader(token).alg).toBe('none');

    await expectError(await get(url, '/v1/ops/cluster', token), 401, 'UNAUTHENTICATED');
  });

  it('given our key but a foreign audience or issuer, when used, then 401', async () => {
    const { url, clock } = await startEmbedded();
    const key = await loadOrCreateSigningKey(dataDir);
    const otherAudience = createIssuer({ key, issuer: issuerName, audience: 'another-service', clock });
    const otherIssuer = createIssuer({ key, issuer: 'someone-else', audience, clock });
    const principal = { sub: 'ops-1', role: 'ops' as const };

    for (const token of [await otherAudience.mint(principal), await otherIssuer.mint(principal)]) {
      const detail = await expectError(await get(url, '/v1/ops/cluster', token), 401, 'UNAUTHENTICATED');
      expect(detail).toBe('Token was not issued for this service');
    }
  });

  it('given a valid token of the wrong role, when an ops route is called, then 403 FORBIDDEN', async () => {
    const { url } = await startEmbedded();
    const token = await tokenFor(url, { role: 'customer', customerId: `CUST-${randomUUID()}` });
    await expectError(await get(url, '/v1/ops/cluster', token), 403, 'FORBIDDEN');

    const opsToken = await tokenFor(url, { role: 'ops' });
    expect((await get(url, '/v1/ops/cluster', opsToken)).status).toBe(200);
  });

  it('given dev tokens are disabled, when one is requested, then 404 NOT_FOUND', async () => {
    const { url } = await startEmbedded({ authDevTokens: false });
    await expectError(await devToken(url, { role: 'ops' }), 404, 'NOT_FOUND');
    expect((await fetch(`${url}/.well-known/jwks.json`)).status).toBe(200);
  });

  it('given a dev-token body with an extra field, when posted, then 400 VALIDATION_FAILED naming it', async () => {
    const { url } = await startEmbedded();
    const detail = await expectError(await devToken(url, { role: 'driver', driverId: 'DRV-1', isAdmin: true }), 400, 'VALIDATION_FAILED');
    expect(detail).toContain('isAdmin');
  });

  it.each([
    [{ role: 'customer' }, 'customerId'],
    [{ role: 'restaurant' }, 'restaurantId'],
    [{ role: 'driver' }, 'driverId'],
    [{ role: 'driver', driverId: 'DRV-1', customerId: 'CUST-1' }, 'customerId'],
    [{ role: 'root' }, 'role'],
  ])('given the dev-token body %j, when posted, then 400 naming %s', async (body, field) => {
    const { url } = await startEmbedded();
    const detail = await expectError(await devToken(url, body), 400, 'VALIDATION_FAILED');
    expect(detail).toContain(field);
  });
});

describe('a remote JWKS', () => {
  it('given a verifier pointed at the JWKS URL, when a minted token is verified, then it yields the principal and the token expiry', async () => {
    const { url, clock, auth } = await startEmbedded();
    const verifier = createVerifier({ jwks: new URL(`${url}/.well-known/jwks.json`), issuer: issuerName, audience, clock });
    const restaurantId = `REST-${randomUUID()}`;
    const token = await tokenFor(url, { role: 'restaurant', restaurantId, sub: 'owner-7' });

    expect(await verifier.verify(token)).toEqual({
      ok: true,
      value: { principal: { sub: 'owner-7', role: 'restaurant', restaurantId }, expiresAt: (decodeJwt(token).exp ?? 0) * 1000 },
    });
    expect(auth.issuer).toBeDefined();
  });

  it('given an RS256-only verifier, when an ES256 token arrives, then the algorithm is refused', async () => {
    const { url, clock } = await startEmbedded();
    const verifier = createVerifier({
      jwks: new URL(`${url}/.well-known/jwks.json`),
      issuer: issuerName,
      audience,
      algorithms: ['RS256'],
      clock,
    });
    const result = await verifier.verify(await tokenFor(url, { role: 'ops' }));
    expect(result).toEqual({
      ok: false,
      error: { code: 'UNAUTHENTICATED', detail: 'Token is signed with an algorithm this service does not accept' },
    });
  });

  it('given the issuer cannot be reached, when a token is verified, then UNAVAILABLE rather than a rejection', async () => {
    const { url, clock } = await startEmbedded();
    const token = await tokenFor(url, { role: 'ops' });
    const closed = await listen((_req, res) => res.end());
    await closed.close();
    const verifier = createVerifier({ jwks: new URL(`${closed.url}/jwks.json`), issuer: issuerName, audience, clock, log });

    const result = await verifier.verify(token);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('UNAVAILABLE');
  });

  it('given AUTH_JWKS_URL, when auth is set up, then there is no issuer and the embedded routes answer 404', async () => {
    const clock = manualClock(Date.UTC(2025, 0, 15));
    const auth = await createAuth(
      embeddedConfig({ authJwksUrl: 'https://idp.invalid/jwks.json', authIssuer: 'https://idp.invalid/', authAlgorithms: ['RS256'], authDevTokens: false }),
      { clock, log },
    );
    expect(auth.issuer).toBeUndefined();
    const url = await serve(auth.routes, auth.verifier);
    await expectError(await fetch(`${url}/.well-known/jwks.json`), 404, 'NOT_FOUND');
    await expectError(await devToken(url, { role: 'ops' }), 404, 'NOT_FOUND');
  });
});

describe('loadOrCreateSigningKey', () => {
  it('given a fresh folder, when several callers load at once, then all get the same key, stored privately', async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSigningKey(dataDir)));
    const kids = new Set(keys.map((k) => k.kid));
    expect(kids.size).toBe(1);

    const info = await stat(join(dataDir, 'auth', 'signing-key.private.jwk.json'));
    expect(info.mode & 0o777).toBe(0o600);
    expect((await loadOrCreateSigningKey(dataDir)).kid).toBe(keys[0]?.kid);
  });

  it('given a fresh folder, when several processes start at once, then they all end up with the same key', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/load-signing-key.ts', import.meta.url));
    const run = () =>
      new Promise<string>((resolve, reject) => {
        execFile(process.execPath, ['--import', 'tsx', fixture, dataDir], (error, stdout) => (error ? reject(error) : resolve(stdout.trim())));
      });
    const kids = await Promise.all(Array.from({ length: 4 }, run));
    expect(new Set(kids).size).toBe(1);
    expect(kids[0]).toBe((await loadOrCreateSigningKey(dataDir)).kid);
  });

  it('given a key was created, when loaded again later, then tokens signed before still verify', async () => {
    const clock = manualClock(Date.UTC(2025, 0, 15));
    const first = createIssuer({ key: await loadOrCreateSigningKey(dataDir), issuer: issuerName, audience, clock });
    const token = await first.mint({ sub: 'CUST-1', role: 'customer', customerId: 'CUST-1' });

    const reloaded = createIssuer({ key: await loadOrCreateSigningKey(dataDir), issuer: issuerName, audience, clock });
    const verifier = createVerifier({ jwks: reloaded.jwks(), issuer: issuerName, audience, clock });
    expect(await verifier.verify(token)).toEqual({
      ok: true,
      value: { principal: { sub: 'CUST-1', role: 'customer', customerId: 'CUST-1' }, expiresAt: (decodeJwt(token).exp ?? 0) * 1000 },
    });
  });
});
