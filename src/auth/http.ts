import express from 'express';
import type { RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import { appError } from '../errors/app-error.ts';
import type { AppError } from '../errors/app-error.ts';
import { notFoundHandler, sendError } from '../errors/http.ts';
import { fromZodError } from '../errors/zod.ts';
import type { Issuer } from './issuer.ts';
import { roles } from './principal.ts';
import type { Principal, Role } from './principal.ts';
import type { Verifier } from './verifier.ts';

/** The principal `authenticate` stored for this request; undefined on routes it does not guard. */
export function principalOf(res: Response): Principal | undefined {
  return (res.locals as { principal?: Principal }).principal;
}

function sendUnauthenticated(res: Response, e: AppError, tokenPresented: boolean): void {
  // RFC 6750 §3: a 401 for a bearer-protected resource names the scheme (and says why if a token was sent).
  res.set('WWW-Authenticate', tokenPresented ? 'Bearer error="invalid_token"' : 'Bearer');
  sendError(res, e);
}

/**
 * Requires `Authorization: Bearer <JWT>`; a verified token's principal goes to `res.locals.principal`
 * (read it with `principalOf`). Otherwise 401 UNAUTHENTICATED (503 UNAVAILABLE if a remote issuer's keys
 * cannot be fetched).
 */
export function authenticate(verifier: Verifier): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    if (header === undefined) {
      sendUnauthenticated(res, appError('UNAUTHENTICATED', 'Missing bearer token'), false);
      return;
    }
    const token = /^Bearer +(\S+) *$/i.exec(header)?.[1];
    if (token === undefined) {
      sendUnauthenticated(res, appError('UNAUTHENTICATED', 'Authorization header must be "Bearer <token>"'), false);
      return;
    }
    const verified = await verifier.verify(token);
    if (!verified.ok) {
      if (verified.error.code === 'UNAUTHENTICATED') sendUnauthenticated(res, verified.error, true);
      else sendError(res, verified.error);
      return;
    }
    res.locals['principal'] = verified.value.principal;
    next();
  };
}

/** After `authenticate`: lets only the given roles through, 403 FORBIDDEN for the rest. */
export function requireRole(...allowed: [Role, ...Role[]]): RequestHandler {
  return (_req, res, next) => {
    const principal = principalOf(res);
    if (principal === undefined) {
      sendUnauthenticated(res, appError('UNAUTHENTICATED', 'Missing bearer token'), false);
      return;
    }
    if (!allowed.includes(principal.role)) {
      sendError(res, appError('FORBIDDEN', `This requires the role ${allowed.join(' or ')}`));
      return;
    }
    next();
  };
}

const id = z.string().min(1).max(128);

/** The id field each acting role must send, and only that one. */
type IdField = 'customerId' | 'restaurantId' | 'driverId';
const idFieldOf: Partial<Record<Role, IdField>> = { customer: 'customerId', restaurant: 'restaurantId', driver: 'driverId' };
const idFields: IdField[] = ['customerId', 'restaurantId', 'driverId'];

/** `POST /v1/auth/dev-tokens` body. Unknown fields are refused so a typo (`driverID`) does not mint a surprise. */
export const devTokenRequestSchema = z
  .strictObject({
    role: z.enum(roles),
    customerId: id.optional(),
    restaurantId: id.optional(),
    driverId: id.optional(),
    /** Default: the role's id, or `dev-<role>` for staff roles. */
    sub: id.optional(),
  })
  .superRefine((body, ctx) => {
    const required = idFieldOf[body.role];
    for (const field of idFields) {
      if (field === required && body[field] === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `required for role ${body.role}` });
      }
      if (field !== required && body[field] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `not allowed for role ${body.role}` });
      }
    }
  });

export interface AuthRoutesOptions {
  /** The embedded issuer; absent when an external issuer is trusted (then both routes answer 404). */
  issuer?: Issuer;
  /** Whether `POST /v1/auth/dev-tokens` mints tokens; when off it answers 404 as if it did not exist. */
  devTokensEnabled: boolean;
}

/** `GET /.well-known/jwks.json` and `POST /v1/auth/dev-tokens` (CONTRACT.md "Auth"). No auth on either. */
export function authRoutes({ issuer, devTokensEnabled }: AuthRoutesOptions): Router {
  const router = express.Router();
  if (issuer === undefined) {
    router.get('/.well-known/jwks.json', notFoundHandler);
    router.post('/v1/auth/dev-tokens', notFoundHandler);
    return router;
  }

  router.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(issuer.jwks());
  });

  if (!devTokensEnabled) {
    router.post('/v1/auth/dev-tokens', notFoundHandler);
    return router;
  }
  router.post('/v1/auth/dev-tokens', express.json({ limit: '4kb' }), async (req, res) => {
    const parsed = devTokenRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      sendError(res, fromZodError(parsed.error));
      return;
    }
    const body = parsed.data;
    const principal: Principal = {
      sub: body.sub ?? body.customerId ?? body.restaurantId ?? body.driverId ?? `dev-${body.role}`,
      role: body.role,
      ...(body.customerId === undefined ? {} : { customerId: body.customerId }),
      ...(body.restaurantId === undefined ? {} : { restaurantId: body.restaurantId }),
      ...(body.driverId === undefined ? {} : { driverId: body.driverId }),
    };
    res.json({ token: await issuer.mint(principal) });
  });
  return router;
}
