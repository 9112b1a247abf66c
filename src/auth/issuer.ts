import { SignJWT } from 'jose';
import type { JSONWebKeySet } from 'jose';
import type { Clock } from '../shared/clock.ts';
import { signingAlgorithm } from './keys.ts';
import type { SigningKey } from './keys.ts';
import { claimsOf } from './principal.ts';
import type { Principal } from './principal.ts';

/** Default token lifetime: 12 hours, in seconds. */
export const defaultTokenTtlSeconds = 12 * 60 * 60;

/** The embedded issuer: signs tokens with the local key and publishes its public half. */
export interface Issuer {
  /** The `iss` of every token it mints. */
  readonly issuer: string;
  readonly audience: string;
  /** A signed JWT for `principal`, valid from now (the clock) for `ttlSeconds` (default 12 h). */
  mint(principal: Principal, ttlSeconds?: number): Promise<string>;
  /** The public keys, as served at `/.well-known/jwks.json`. */
  jwks(): JSONWebKeySet;
}

export interface IssuerOptions {
  key: SigningKey;
  issuer: string;
  audience: string;
  clock: Clock;
}

export function createIssuer({ key, issuer, audience, clock }: IssuerOptions): Issuer {
  return {
    issuer,
    audience,
    mint(principal, ttlSeconds = defaultTokenTtlSeconds) {
      const issuedAt = Math.floor(clock.now() / 1000);
      return new SignJWT({ ...claimsOf(principal) })
        .setProtectedHeader({ alg: signingAlgorithm, kid: key.kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(principal.sub)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + ttlSeconds)
        .sign(key.privateKey);
    },
    jwks() {
      return { keys: [{ ...key.publicJwk }] };
    },
  };
}
