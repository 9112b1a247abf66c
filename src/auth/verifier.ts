import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWSAlgorithm, JWTPayload, JWTVerifyGetKey } from 'jose';
import { appError } from '../errors/app-error.ts';
import type { AppError } from '../errors/app-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { Clock } from '../shared/clock.ts';
import { err, ok } from '../shared/result.ts';
import type { Result } from '../shared/result.ts';
import { principalFromClaims } from './principal.ts';
import type { Principal } from './principal.ts';

/** A token that passed: who it names, and until when it may be used. */
export interface VerifiedToken {
  readonly principal: Principal;
  /** The token's `exp`, ms since the Unix epoch (a required claim, so always there). */
  readonly expiresAt: number;
}

export interface Verifier {
  /**
   * The principal of a bearer token, and its expiry. Err UNAUTHENTICATED (bad signature, wrong algorithm, issuer or audience,
   * expired, malformed, claims missing) with a short detail that never echoes library internals; err
   * UNAVAILABLE when a remote issuer's keys cannot be fetched (the token may be fine; retry later).
   */
  verify(token: string): Promise<Result<VerifiedToken, AppError>>;
}

export interface VerifierOptions {
  /** The trusted public keys: a JWKS (the embedded issuer's) or the URL of a remote issuer's JWKS. */
  jwks: JSONWebKeySet | URL;
  /** Expected `iss`. */
  issuer: string;
  /** Expected `aud` (one of the token's audiences). */
  audience: string;
  /** Accepted `alg` values; anything else is refused before the signature is looked at. Default ['ES256']. */
  algorithms?: JWSAlgorithm[];
  /** Source of "now" for `exp`/`nbf`. */
  clock: Clock;
  /** Allowed clock skew between issuer and us, seconds. Default 5. */
  clockToleranceSeconds?: number;
  /** Where failures to reach a remote issuer are reported. */
  log?: Logger;
}

/** Longer than any token we mint or accept; longer strings are refused without parsing. */
const maxTokenLength = 8192;

/** Codes of failures to fetch a remote JWKS (ERR_JOSE_GENERIC is only thrown there: non-200 or not JSON). */
const keyFetchFailures = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

const unauthenticated = (detail: string) => err(appError('UNAUTHENTICATED', detail));

function detailFor(error: errors.JOSEError): string {
  switch (error.code) {
    case 'ERR_JWT_EXPIRED':
      return 'Token has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = error instanceof errors.JWTClaimValidationFailed ? error.claim : undefined;
      if (claim === 'iss' || claim === 'aud') return 'Token was not issued for this service';
      if (claim === 'nbf' || claim === 'iat') return 'Token is not valid yet';
      return 'Token lacks a required claim';
    }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'Token is signed with an algorithm this service does not accept';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'Token signature is not valid';
    default:
      return 'Token is malformed';
  }
}

/** Verifies bearer tokens against a fixed JWKS or a remote one (fetched on demand and cached by jose). */
export function createVerifier(opts: VerifierOptions): Verifier {
  const remote = opts.jwks instanceof URL;
  const keys: JWTVerifyGetKey =
    opts.jwks instanceof URL ? createRemoteJWKSet(opts.jwks, { timeoutDuration: 5000 }) : createLocalJWKSet(opts.jwks);
  const algorithms = opts.algorithms ?? ['ES256'];

  return {
    async verify(token) {
      if (token === '' || token.length > maxTokenLength) return unauthenticated('Token is malformed');
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          algorithms,
          issuer: opts.issuer,
          audience: opts.audience,
          requiredClaims: ['exp', 'sub'],
          currentDate: new Date(opts.clock.now()),
          clockTolerance: opts.clockToleranceSeconds ?? 5,
        }));
      } catch (e) {
        const fetchFailed = remote && (!(e instanceof errors.JOSEError) || keyFetchFailures.has(e.code));
        if (fetchFailed) {
          opts.log?.warn({ err: e, jwks: String(opts.jwks) }, 'could not fetch the token issuer keys');
          return err(appError('UNAVAILABLE', 'The token issuer cannot be reached; try again shortly'));
        }
        if (e instanceof errors.JOSEError) return unauthenticated(detailFor(e));
        opts.log?.warn({ err: e }, 'unexpected error while verifying a token');
        return unauthenticated('Token is malformed');
      }
      const principal = principalFromClaims(payload);
      if (!principal.ok) return unauthenticated(principal.error);
      return ok({ principal: principal.value, expiresAt: (payload.exp ?? 0) * 1000 });
    },
  };
}
