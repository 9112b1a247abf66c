import { describe, expect, it } from 'vitest';
import type { OrderCommand } from '../../../../machines/order/commands.ts';
import { decide, evolve, initialOrderState, statusOf, view } from '../../../../machines/order/decider.ts';
import { ORDER_EVENT_TYPES } from '../../../../machines/order/events.ts';
import { ORDER_STATUSES, type DriverId } from '../../../../machines/order/types.ts';
import { DRIVER, FIXTURE_NAMES, ITEMS, STEP_MS, T0, given, placeOrder, story } from './fixtures.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const at = (step: number) => iso(T0 + step * STEP_MS);

describe('order status', () => {
  it.each(FIXTURE_NAMES.filter((f) => f !== 'not placed'))('given %s, then the status is one of the 16 names', (fixture) => {
    expect(ORDER_STATUSES).toContain(statusOf(given(fixture).state));
  });

  it('given nothing was placed, then there is no status and no view', () => {
    expect(statusOf(initialOrderState())).toBeNull();
    expect(view(initialOrderState())).toBeNull();
  });

  it('given a driver assigned while the food is being prepared, then the order reports ASSIGNED (the driver track is further along)', () => {
    const { state } = story('CARD', ['RecordPaymentAuthorized', 'AcceptOrder', 'StartPreparing', 'AssignDriver']);

    expect(statusOf(state)).toBe('ASSIGNED');
  });

  it('given the food becomes ready while the driver is on the way, then the status stays EN_ROUTE_TO_RESTAURANT and the timeline still records READY_FOR_PICKUP', () => {
    const { state } = story('CARD', ['RecordPaymentAuthorized', 'AcceptOrder', 'AssignDriver', 'StartTripToRestaurant', 'StartPreparing', 'MarkReady']);

    expect(statusOf(state)).toBe('EN_ROUTE_TO_RESTAURANT');
    expect(view(state)?.timeline.map((t) => t.status)).toEqual([
      'PLACED',
      'PENDING_PAYMENT',
      'CONFIRMED',
      'ACCEPTED',
      'ASSIGNED',
      'EN_ROUTE_TO_RESTAURANT',
      'PREPARING',
      'READY_FOR_PICKUP',
    ]);
  });
});

describe('order view', () => {
  it('given a card order delivered and captured, then the view has what CONTRACT.md shows, with a timeline of every step', () => {
    const { state, events } = given('SETTLED (card)');

    expect(view(state)).toEqual({
      orderId: 'ORD-1001',
      customerId: 'CUST-123',
      restaurantId: 'REST-456',
      status: 'SETTLED',
      items: ITEMS,
      totalCents: 2350,
      currency: 'USD',
      paymentMethod: 'CARD',
      deliveryAddress: placeOrder('CARD').deliveryAddress,
      specialInstructions: 'Extra cheese',
      driverId: DRIVER,
      estimatedReadyTime: iso(T0 + 2 * STEP_MS + 20 * 60_000),
      eta: iso(T0 + 9 * STEP_MS + 25 * 60_000),
      timeline: [
        { status: 'PLACED', at: at(0) },
        { status: 'PENDING_PAYMENT', at: at(0) },
        { status: 'CONFIRMED', at: at(1) },
        { status: 'ACCEPTED', at: at(2) },
        { status: 'PREPARING', at: at(3) },
        { status: 'READY_FOR_PICKUP', at: at(4) },
        { status: 'ASSIGNED', at: at(5) },
        { status: 'EN_ROUTE_TO_RESTAURANT', at: at(6) },
        { status: 'AT_RESTAURANT', at: at(7) },
        { status: 'PICKED_UP', at: at(8) },
        { status: 'EN_ROUTE_TO_CUSTOMER', at: at(9) },
        { status: 'AT_CUSTOMER', at: at(10) },
        { status: 'DELIVERED', at: at(11) },
        { status: 'SETTLED', at: at(12) },
      ],
      createdAt: at(0),
      acceptedAt: at(2),
      deliveredAt: at(11),
      rejection: null,
      cancellation: null,
      refund: null,
      version: events.length,
    });
  });

  it('given an order rejected after the card was authorised, then the view shows the rejection and the full refund', () => {
    const { state } = given('REJECTED');

    expect(view(state)).toMatchObject({
      status: 'REJECTED',
      rejection: { at: at(2), reason: 'kitchen closed' },
      refund: { at: at(2), amountCents: 2350 },
    });
  });

  it('given an order cancelled while preparing, then the view shows who cancelled, the fee and the refund', () => {
    const { state } = given('CANCELLED by the customer while PREPARING');

    expect(view(state)).toMatchObject({
      status: 'CANCELLED',
      cancellation: {
        at: at(4),
        reason: 'changed my mind',
        by: { role: 'customer', id: 'CUST-123' },
        policyRule: 'PREPARING',
        feeCents: 1175,
        refundCents: 1175,
      },
      refund: { at: at(4), amountCents: 1175 },
    });
  });

  it('given a cash order, when it is placed, then it is PLACED and CONFIRMED at once and the restaurant can see it', () => {
    const { state, events } = story('CASH_ON_DELIVERY', []);

    expect(events.map((e) => e.type)).toEqual(['OrderPlaced', 'OrderConfirmed']);
    expect(view(state)?.timeline).toEqual([
      { status: 'PLACED', at: at(0) },
      { status: 'CONFIRMED', at: at(0) },
    ]);
  });
});

describe('evolve', () => {
  it('given a confirmed order, when an event the chart does not take is folded in, then only the version moves', () => {
    const { state } = given('CONFIRMED (cash)');

    const next = evolve(state, { type: 'OrderPickedUp', at: at(5), data: { driverId: DRIVER } });

    expect(next).toEqual({ ...state, version: state.version + 1 });
  });

  it('given the event type list, then it names every event the decider can produce', () => {
    const produced = new Set(FIXTURE_NAMES.flatMap((f) => given(f).events.map((e) => e.type)));
    expect([...produced].filter((t) => !(ORDER_EVENT_TYPES as readonly string[]).includes(t))).toEqual([]);
  });
});

describe('command validation', () => {
  const cases: readonly [string, () => { state: ReturnType<typeof initialOrderState>; command: OrderCommand }][] = [
    ['no items', () => ({ state: initialOrderState(), command: placeOrder('CARD', { items: [] }) })],
    [
      'a zero quantity',
      () => ({ state: initialOrderState(), command: placeOrder('CARD', { items: [{ ...(ITEMS[0] as (typeof ITEMS)[number]), quantity: 0 }] }) }),
    ],
    [
      'a fractional price',
      () => ({ state: initialOrderState(), command: placeOrder('CARD', { items: [{ ...(ITEMS[0] as (typeof ITEMS)[number]), unitPriceCents: 9.5 }] }) }),
    ],
    ['a lower-case currency', () => ({ state: initialOrderState(), command: placeOrder('CARD', { currency: 'usd' }) })],
    [
      'a missing zip code',
      () => ({ state: initialOrderState(), command: placeOrder('CARD', { deliveryAddress: { ...placeOrder('CARD').deliveryAddress, zipCode: ' ' } }) }),
    ],
    [
      'a latitude out of range',
      () => ({
        state: initialOrderState(),
        command: placeOrder('CARD', { deliveryAddress: { ...placeOrder('CARD').deliveryAddress, location: { lat: 91, lng: 0 } } }),
      }),
    ],
    ['an unknown payment method', () => ({ state: initialOrderState(), command: placeOrder('CARD', { paymentMethod: 'BITCOIN' as never }) })],
    ['a clock that is not whole milliseconds', () => ({ state: initialOrderState(), command: placeOrder('CARD', { now: Number.NaN }) })],
    [
      'an authorisation for less than the total',
      () => {
        const { state, now } = given('PENDING_PAYMENT');
        return { state, command: { type: 'RecordPaymentAuthorized', now: now + STEP_MS, authorizationId: 'AUTH-1', amountCents: 2000 } };
      },
    ],
    [
      'an estimated ready time that is not ISO-8601',
      () => {
        const { state, now } = given('CONFIRMED (card)');
        return { state, command: { type: 'AcceptOrder', now: now + STEP_MS, estimatedReadyTime: 'in 20 minutes' } };
      },
    ],
    [
      'an empty rejection reason',
      () => {
        const { state, now } = given('CONFIRMED (card)');
        return { state, command: { type: 'RejectOrder', now: now + STEP_MS, reason: '' } };
      },
    ],
    [
      'an empty driver id',
      () => {
        const { state, now } = given('ACCEPTED, searching for a driver');
        return { state, command: { type: 'AssignDriver', now: now + STEP_MS, driverId: '' as DriverId } };
      },
    ],
    [
      'a cancellation by an unknown role',
      () => {
        const { state, now } = given('CONFIRMED (card)');
        return { state, command: { type: 'CancelOrder', now: now + STEP_MS, reason: 'x', by: { role: 'robot' as never, id: 'R2' } } };
      },
    ],
  ];

  it.each(cases)('given %s, then VALIDATION_FAILED and nothing changes', (_name, make) => {
    const { state, command } = make();
    const before = structuredClone(state);

    const result = decide(state, command);

    expect(result.ok ? result.value : result.error.code).toBe('VALIDATION_FAILED');
    expect(state).toEqual(before);
  });

  it('given an estimated ready time with an offset, when the restaurant accepts, then the event carries it in UTC', () => {
    const { state, now } = given('CONFIRMED (card)');

    const result = decide(state, { type: 'AcceptOrder', now: now + STEP_MS, estimatedReadyTime: '2025-03-01T14:30:00+02:00' });

    expect(result.ok && result.value[0]).toEqual({
      type: 'OrderAcceptedByRestaurant',
      at: iso(now + STEP_MS),
      data: { estimatedReadyTime: '2025-03-01T12:30:00.000Z' },
    });
  });
});
