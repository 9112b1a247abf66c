import { describe, expect, it } from 'vitest';
import { claimsOf, principalFromClaims } from '../../../src/auth/principal.ts';
import type { Principal } from '../../../src/auth/principal.ts';

describe('principalFromClaims', () => {
  it.each<Principal>([
    { sub: 'u-1', role: 'customer', customerId: 'CUST-1' },
    { sub: 'u-2', role: 'restaurant', restaurantId: 'REST-1' },
    { sub: 'u-3', role: 'driver', driverId: 'DRV-1' },
    { sub: 'u-4', role: 'support' },
  ])('given the claims minted for %j, when read back, then the same principal', (principal) => {
    expect(principalFromClaims({ ...claimsOf(principal), iss: 'x', aud: 'y', exp: 1 })).toEqual({ ok: true, value: principal });
  });

  it('given a customer token without customer_id, when read, then it is refused', () => {
    expect(principalFromClaims({ sub: 'u-1', role: 'customer' })).toEqual({ ok: false, error: 'A customer token needs a customer_id claim' });
  });

  it('given a driver token that also carries a customer_id, when read, then only the driver id is kept', () => {
    const result = principalFromClaims({ sub: 'u-3', role: 'driver', driver_id: 'DRV-1', customer_id: 'CUST-9' });
    expect(result).toEqual({ ok: true, value: { sub: 'u-3', role: 'driver', driverId: 'DRV-1' } });
  });

  it('given an unknown role or no subject, when read, then the bad claims are named', () => {
    const result = principalFromClaims({ role: 'root' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toBe('Token claims are missing or malformed: sub, role');
  });
});
