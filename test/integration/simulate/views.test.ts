import { describe, expect, it } from 'vitest';
import { factsOf } from '../../../scripts/simulate/customer.ts';
import { kitchenStageOf } from '../../../scripts/simulate/restaurant.ts';
import { ackError, errorOf, isTransient } from '../../../scripts/simulate/wire.ts';

const at = '2024-05-01T12:00:00Z';
const timeline = (...statuses: string[]) => statuses.map((status) => ({ status, at }));

describe('what the customer reads from an order view', () => {
  it('given an order whose kitchen is ahead of its driver track, when read, then a driver in the view means assigned', () => {
    expect(factsOf({ orderId: 'O1', status: 'READY_FOR_PICKUP', version: 5, driverId: 'D1', timeline: timeline('PLACED', 'CONFIRMED', 'ACCEPTED') })).toMatchObject({
      assigned: true,
      delivered: false,
      failure: null,
      version: 5,
    });
  });

  it('given a delivered or settled order, when read, then it is delivered (and was assigned)', () => {
    expect(factsOf({ orderId: 'O1', status: 'SETTLED', version: 9, driverId: 'D1', timeline: timeline('ASSIGNED', 'DELIVERED', 'SETTLED') })).toMatchObject({
      assigned: true,
      delivered: true,
    });
  });

  it('given a cancelled or rejected order, when read, then it failed with the reason from the view', () => {
    expect(factsOf({ orderId: 'O1', status: 'CANCELLED', version: 3, driverId: null, cancellation: { reason: 'PAYMENT_DECLINED: card expired' } })?.failure).toBe(
      'CANCELLED: PAYMENT_DECLINED: card expired',
    );
    expect(factsOf({ orderId: 'O1', status: 'REJECTED', version: 3, driverId: null, rejection: { reason: 'kitchen closed' } })?.failure).toBe('REJECTED: kitchen closed');
    expect(factsOf({ orderId: 'O1', status: 'CANCELLED', version: 3 })?.failure).toBe('CANCELLED: no reason given');
  });

  it('given something that is not an order view, when read, then it is ignored', () => {
    expect(factsOf(null)).toBeNull();
    expect(factsOf({ status: 'PLACED' })).toBeNull();
  });
});

describe('where the kitchen is', () => {
  it('given the timeline, when read, then the kitchen stage follows it even while the status shows the driver', () => {
    expect(kitchenStageOf({ status: 'CONFIRMED', timeline: timeline('PLACED', 'CONFIRMED') })).toBe('new');
    expect(kitchenStageOf({ status: 'ASSIGNED', timeline: timeline('PLACED', 'CONFIRMED', 'ACCEPTED', 'ASSIGNED') })).toBe('accepted');
    expect(kitchenStageOf({ status: 'AT_RESTAURANT', timeline: timeline('ACCEPTED', 'PREPARING', 'ASSIGNED', 'AT_RESTAURANT') })).toBe('preparing');
    expect(kitchenStageOf({ status: 'AT_RESTAURANT', timeline: timeline('ACCEPTED', 'PREPARING', 'READY_FOR_PICKUP', 'AT_RESTAURANT') })).toBe('done');
    expect(kitchenStageOf({ status: 'CANCELLED', timeline: timeline('PLACED', 'CANCELLED') })).toBe('done');
  });
});

describe('errors on the wire', () => {
  it('given the contract error shape, when read, then the first code and detail are taken; anything else is not an error body', () => {
    expect(errorOf({ errors: [{ status: '409', code: 'INVALID_TRANSITION', detail: 'not ready' }] })).toEqual({ code: 'INVALID_TRANSITION', detail: 'not ready' });
    expect(errorOf({ errors: [] })).toBeNull();
    expect(errorOf('Bad Gateway')).toBeNull();
    expect(ackError({ nope: true })).toMatchObject({ code: 'MALFORMED_ACK' });
  });

  it('given error codes, when classified, then busy-or-down codes are transient and refusals are not', () => {
    for (const code of ['UNAVAILABLE', 'TIMEOUT', 'RATE_LIMITED', 'HTTP_502', 'HTTP_NETWORK', 'ACK_TIMEOUT']) expect(isTransient(code), code).toBe(true);
    for (const code of ['INVALID_TRANSITION', 'FORBIDDEN', 'VALIDATION_FAILED', 'HTTP_404']) expect(isTransient(code), code).toBe(false);
  });
});
