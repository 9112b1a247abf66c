import type { Clock } from '../shared/clock.ts';
import { ok } from '../shared/result.ts';
import type { VerifiedToken, Verifier } from './verifier.ts';

export interface CachedVerifierOptions {
  readonly clock: Clock;
  /** Tokens remembered at most; the oldest is forgotten first. Default 10 000 (a few MB). */
  readonly maxEntries?: number;
  /**
   * How long a verified token is taken on trust before its signature is checked again, ms. Bounds how long a token
   * whose key was withdrawn from the issuer's JWKS keeps working. Default 60 000.
   */
  readonly maxAgeMs?: number;
}

/**
 * Remembers tokens that verified, so that an app sending the same bearer token with every request pays for one
 * signature check (ES256: about a tenth of the API's CPU per request) per `maxAgeMs`, not one per request. Keyed by
 * the exact token text, so only the very same bytes hit; a remembered token still stops working at its `exp`.
 * Failures are never remembered: a bad token is checked (and refused) every time, and an issuer that could not be
 * reached is asked again.
 */
export function cachedVerifier(inner: Verifier, opts: CachedVerifierOptions): Verifier {
  const maxEntries = opts.maxEntries ?? 10_000;
  const maxAgeMs = opts.maxAgeMs ?? 60_000;
  const remembered = new Map<string, { readonly verified: VerifiedToken; readonly at: number }>();
  return {
    async verify(token) {
      const now = opts.clock.now();
      const hit = remembered.get(token);
      if (hit && now < hit.verified.expiresAt && now - hit.at < maxAgeMs) return ok(hit.verified);
      if (hit) remembered.delete(token);
      const result = await inner.verify(token);
      if (result.ok && now < result.value.expiresAt) {
        if (remembered.size >= maxEntries) {
          const oldest = remembered.keys().next();
          if (!oldest.done) remembered.delete(oldest.value);
        }
        remembered.set(token, { verified: result.value, at: now });
      }
      return result;
    },
  };
}
