import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { appError, isAppError, toErrorBody } from '../../../src/errors/app-error.ts';
import { errorCodes, errorRegistry, statusOf } from '../../../src/errors/registry.ts';
import { fromZodError } from '../../../src/errors/zod.ts';

describe('the error registry', () => {
  it('holds the codes the contract names', () => {
    for (const code of ['VALIDATION_FAILED', 'INVALID_ADDRESS', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'ALREADY_ACCEPTED', 'INVALID_TRANSITION', 'IDEMPOTENCY_KEY_REUSED', 'RATE_LIMITED', 'UNAVAILABLE']) {
      expect(errorCodes).toContain(code);
    }
  });

  it.each(Object.entries(errorRegistry))('%s is UPPER_SNAKE, equal to its key, with a 4xx/5xx status', (key, definition) => {
    expect(definition.code).toBe(key);
    expect(key).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
    expect(definition.status).toBeGreaterThanOrEqual(400);
    expect(definition.status).toBeLessThan(600);
  });

  it.each(errorCodes)('%s maps to the contract error shape', (code) => {
    const body = toErrorBody(appError(code, 'something specific'));
    expect(body).toEqual({ errors: [{ status: String(statusOf(code)), code, detail: 'something specific' }] });
    expect(typeof body.errors[0]?.status).toBe('string');
  });

  it('keeps the statuses the contract relies on', () => {
    expect(statusOf('VALIDATION_FAILED')).toBe(400);
    expect(statusOf('UNAUTHENTICATED')).toBe(401);
    expect(statusOf('FORBIDDEN')).toBe(403);
    expect(statusOf('IDEMPOTENCY_KEY_REUSED')).toBe(422);
    expect(statusOf('INTERNAL')).toBe(500);
  });
});

describe('isAppError', () => {
  it('given an app error value, then it is recognised; given an Error or an unknown code, then not', () => {
    expect(isAppError(appError('CONFLICT', 'x'))).toBe(true);
    expect(isAppError({ code: 'NOPE', detail: 'x' })).toBe(false);
    expect(isAppError(Object.assign(new Error('x'), { code: 'CONFLICT', detail: 'x' }))).toBe(false);
    expect(isAppError(null)).toBe(false);
  });
});

describe('fromZodError', () => {
  const schema = z.strictObject({
    items: z.array(z.object({ quantity: z.number().int().positive() })),
    address: z.object({ zipCode: z.string().regex(/^\d{5}$/) }),
  });

  it('given bad nested fields, when converted, then VALIDATION_FAILED names their paths', () => {
    const result = schema.safeParse({ items: [{ quantity: 0 }], address: { zipCode: 'abc' } });
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(fromZodError(result.error)).toEqual({ code: 'VALIDATION_FAILED', detail: 'Invalid field(s): items.0.quantity, address.zipCode' });
  });

  it('given only unknown fields, when converted, then they are named as unknown', () => {
    const result = schema.safeParse({ items: [], address: { zipCode: '12345' }, extra: 1 });
    if (result.success) throw new Error('expected a failure');
    expect(fromZodError(result.error).detail).toBe('Unknown field(s): extra');
  });

  it('given a non-object body, when converted, then the detail names the body', () => {
    const result = schema.safeParse('text');
    if (result.success) throw new Error('expected a failure');
    expect(fromZodError(result.error).detail).toBe('Invalid field(s): (body)');
  });

  it('given many bad fields, when converted, then the detail stays short', () => {
    const wide = z.object(Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`f${i}`, z.string()])));
    const result = wide.safeParse({});
    if (result.success) throw new Error('expected a failure');
    expect(fromZodError(result.error).detail).toBe('Invalid field(s): f0, f1, f2, f3, f4 and 4 more');
  });
});
