import { z } from 'zod';
import { err, ok } from '../shared/result.ts';
import type { Result } from '../shared/result.ts';

export const roles = ['customer', 'restaurant', 'driver', 'admin', 'support', 'ops'] as const;
export type Role = (typeof roles)[number];

/**
 * Who is calling, as established by a verified token. A customer, restaurant or driver principal always
 * carries the id of what it acts for (the attribute checks compare it with the resource's owner); the staff
 * roles (admin, support, ops) carry none.
 */
export interface Principal {
  /** The token's subject: the user or service id at the issuer. */
  sub: string;
  role: Role;
  customerId?: string;
  restaurantId?: string;
  driverId?: string;
}

const id = z.string().min(1).max(128);

/** The claims we read from a verified JWT payload (snake_case, as on the wire); others are ignored. */
export const claimsSchema = z.object({
  sub: id,
  role: z.enum(roles),
  customer_id: id.optional(),
  restaurant_id: id.optional(),
  driver_id: id.optional(),
});
export type Claims = z.output<typeof claimsSchema>;

/**
 * The principal of a verified payload. Err (a short reason) when a claim is missing or malformed, or an acting
 * role lacks its id. Ids that do not belong to the role are dropped, so a driver token can never be taken for
 * a customer's.
 */
export function principalFromClaims(payload: unknown): Result<Principal, string> {
  const parsed = claimsSchema.safeParse(payload);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.map(String).join('.') || '(payload)'))];
    return err(`Token claims are missing or malformed: ${fields.join(', ')}`);
  }
  const claims = parsed.data;
  const principal: Principal = { sub: claims.sub, role: claims.role };
  switch (claims.role) {
    case 'customer':
      if (claims.customer_id === undefined) return err('A customer token needs a customer_id claim');
      principal.customerId = claims.customer_id;
      break;
    case 'restaurant':
      if (claims.restaurant_id === undefined) return err('A restaurant token needs a restaurant_id claim');
      principal.restaurantId = claims.restaurant_id;
      break;
    case 'driver':
      if (claims.driver_id === undefined) return err('A driver token needs a driver_id claim');
      principal.driverId = claims.driver_id;
      break;
    case 'admin':
    case 'support':
    case 'ops':
      break;
    default: {
      const unhandled: never = claims.role;
      throw new Error(`unhandled role ${String(unhandled)}`);
    }
  }
  return ok(principal);
}

/** The claims a token for `principal` carries besides the registered ones (iss, aud, exp, iat). */
export function claimsOf(principal: Principal): Claims {
  return {
    sub: principal.sub,
    role: principal.role,
    ...(principal.customerId === undefined ? {} : { customer_id: principal.customerId }),
    ...(principal.restaurantId === undefined ? {} : { restaurant_id: principal.restaurantId }),
    ...(principal.driverId === undefined ? {} : { driver_id: principal.driverId }),
  };
}
