import type { Router } from 'express';
import type { Config } from '../config/config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Clock } from '../shared/clock.ts';
import { cachedVerifier } from './cached-verifier.ts';
import { authRoutes } from './http.ts';
import { createIssuer } from './issuer.ts';
import type { Issuer } from './issuer.ts';
import { loadOrCreateSigningKey } from './keys.ts';
import { createVerifier } from './verifier.ts';
import type { Verifier } from './verifier.ts';

export interface Auth {
  verifier: Verifier;
  /** Present only when the system is its own issuer (no AUTH_JWKS_URL). */
  issuer?: Issuer;
  /** The JWKS and dev-token routes; mount on the app before the 404 handler. */
  routes: Router;
}

export type AuthConfig = Pick<
  Config,
  'dataDir' | 'authJwksUrl' | 'authIssuer' | 'authAudience' | 'authAlgorithms' | 'authDevTokens'
>;

/**
 * Auth as configured: with AUTH_JWKS_URL, a verifier of the external issuer's tokens and no issuer; otherwise
 * the embedded issuer (its key under `<dataDir>/auth/`, shared by every process on this data folder) and a
 * verifier of its tokens. Either verifier remembers the tokens it passed for a minute (`cachedVerifier`).
 */
export async function createAuth(config: AuthConfig, deps: { clock: Clock; log: Logger }): Promise<Auth> {
  const common = { issuer: config.authIssuer, audience: config.authAudience, algorithms: config.authAlgorithms, ...deps };
  if (config.authJwksUrl !== undefined) {
    deps.log.info({ jwks: config.authJwksUrl, issuer: config.authIssuer }, 'trusting an external token issuer');
    const verifier = cachedVerifier(createVerifier({ jwks: new URL(config.authJwksUrl), ...common }), { clock: deps.clock });
    return { verifier, routes: authRoutes({ devTokensEnabled: false }) };
  }

  const key = await loadOrCreateSigningKey(config.dataDir);
  const issuer = createIssuer({ key, issuer: config.authIssuer, audience: config.authAudience, clock: deps.clock });
  const verifier = cachedVerifier(createVerifier({ jwks: issuer.jwks(), ...common }), { clock: deps.clock });
  deps.log.info({ kid: key.kid, devTokens: config.authDevTokens }, 'embedded token issuer ready');
  return { verifier, issuer, routes: authRoutes({ issuer, devTokensEnabled: config.authDevTokens }) };
}
