import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedVerifier } from '../../../src/auth/cached-verifier.ts';
import { createIssuer, type Issuer } from '../../../src/auth/issuer.ts';
import { loadOrCreateSigningKey } from '../../../src/auth/keys.ts';
import { createVerifier, type Verifier } from '../../../src/auth/verifier.ts';
import { manualClock } from '../../../src/shared/clock.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('a verifier that remembers the tokens it passed', () => {
  let dataDir: string;
  let issuer: Issuer;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fd-cached-verifier-'));
    issuer = createIssuer({ key: await loadOrCreateSigningKey(dataDir), issuer: 'test-issuer', audience: 'test-api', clock: manualClock(T0) });
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** The real verifier, counting the signature checks it is asked for, and the cache in front of it, on one clock. */
  const given = (opts: { maxEntries?: number; maxAgeMs?: number } = {}) => {
    const clock = manualClock(T0);
    const inner = createVerifier({ jwks: issuer.jwks(), issuer: 'test-issuer', audience: 'test-api', clock, clockToleranceSeconds: 0 });
    let checks = 0;
    const counted: Verifier = {
      verify: (token) => {
        checks++;
        return inner.verify(token);
      },
    };
    return { clock, cached: cachedVerifier(counted, { clock, ...opts }), checks: () => checks };
  };

  it('given a token verified once, when it is verified again, then the same principal comes back without a second signature check', async () => {
    const { cached, checks } = given();
    const token = await issuer.mint({ sub: 'CUST-1', role: 'customer', customerId: 'CUST-1' }, 3600);
    const first = await cached.verify(token);
    const second = await cached.verify(token);
    expect(first).toEqual(second);
    expect(second).toMatchObject({ ok: true, value: { principal: { sub: 'CUST-1', role: 'customer' } } });
    expect(checks()).toBe(1);
  });

  it('given a remembered token, when the clock passes its exp, then it is refused as expired', async () => {
    const { cached, clock } = given();
    const token = await issuer.mint({ sub: 'CUST-2', role: 'customer', customerId: 'CUST-2' }, 60);
    expect((await cached.verify(token)).ok).toBe(true);
    clock.advance(61_000);
    const late = await cached.verify(token);
    expect(late.ok ? null : late.error.code).toBe('UNAUTHENTICATED');
  });

  it('given a remembered token, when maxAgeMs has passed, then its signature is checked again', async () => {
    const { cached, clock, checks } = given({ maxAgeMs: 1_000 });
    const token = await issuer.mint({ sub: 'DRV-1', role: 'driver', driverId: 'DRV-1' }, 3600);
    await cached.verify(token);
    clock.advance(999);
    await cached.verify(token);
    expect(checks()).toBe(1);
    clock.advance(1);
    await cached.verify(token);
    expect(checks()).toBe(2);
  });

  it('given a forged token, when it is sent twice, then it is refused both times, each after a signature check', async () => {
    const { cached, checks } = given();
    const token = await issuer.mint({ sub: 'CUST-3', role: 'customer', customerId: 'CUST-3' }, 3600);
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(86)}`;
    for (let i = 0; i < 2; i++) {
      const r = await cached.verify(forged);
      expect(r.ok ? null : r.error.code).toBe('UNAUTHENTICATED');
    }
    expect(checks()).toBe(2);
  });

  it('given a full cache, when another token passes, then the oldest is forgotten and checked again on its next use', async () => {
    const { cached, checks } = given({ maxEntries: 2 });
    const tokens = await Promise.all(['A', 'B', 'C'].map((id) => issuer.mint({ sub: `CUST-${id}`, role: 'customer', customerId: `CUST-${id}` }, 3600)));
    for (const t of tokens) await cached.verify(t);
    expect(checks()).toBe(3);
    await cached.verify(tokens[2] as string);
    await cached.verify(tokens[1] as string);
    expect(checks()).toBe(3);
    await cached.verify(tokens[0] as string);
    expect(checks()).toBe(4);
  });
});
