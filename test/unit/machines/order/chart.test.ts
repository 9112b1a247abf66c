import { describe, expect, it } from 'vitest';
import { ORDER_COMMAND_TYPES, type OrderCommand, type OrderCommandType } from '../../../../machines/order/commands.ts';
import { decide, statusOf, type OrderRejectionCode } from '../../../../machines/order/decider.ts';
import type { OrderEventType } from '../../../../machines/order/events.ts';
import type { OrderStatus } from '../../../../machines/order/types.ts';
import { FIXTURE_NAMES, STEP_MS, commandFor, fold, given, placeOrder, type FixtureName } from './fixtures.ts';

interface Allowed {
  readonly given: FixtureName;
  readonly when: OrderCommandType;
  readonly then: readonly OrderEventType[];
  readonly status: OrderStatus;
  /** A command other than the fixture's default for `when`. */
  readonly command?: (now: number) => OrderCommand;
}

/** The spec: every command allowed in every situation, what it records and where the order ends up. */
const ALLOWED: readonly Allowed[] = [
  { given: 'not placed', when: 'PlaceOrder', then: ['OrderPlaced', 'PaymentAuthorizationRequested'], status: 'PENDING_PAYMENT' },
  {
    given: 'not placed',
    when: 'PlaceOrder',
    then: ['OrderPlaced', 'OrderConfirmed'],
    status: 'CONFIRMED',
    command: (now) => placeOrder('CASH_ON_DELIVERY', { now }),
  },
  { given: 'PLACED', when: 'CancelOrder', then: ['OrderCancelled'], status: 'CANCELLED' },

  { given: 'PENDING_PAYMENT', when: 'RecordPaymentAuthorized', then: ['PaymentAuthorized', 'OrderConfirmed'], status: 'CONFIRMED' },
  { given: 'PENDING_PAYMENT', when: 'RecordPaymentDeclined', then: ['PaymentDeclined', 'OrderCancelled'], status: 'CANCELLED' },
  { given: 'PENDING_PAYMENT', when: 'TimeOutPayment', then: ['PaymentAuthorizationTimedOut', 'OrderCancelled'], status: 'CANCELLED' },
  { given: 'PENDING_PAYMENT', when: 'CancelOrder', then: ['OrderCancelled'], status: 'CANCELLED' },

  { given: 'CONFIRMED (card)', when: 'AcceptOrder', then: ['OrderAcceptedByRestaurant', 'DriverSearchStarted'], status: 'ACCEPTED' },
  { given: 'CONFIRMED (card)', when: 'RejectOrder', then: ['OrderRejectedByRestaurant', 'RefundInitiated'], status: 'REJECTED' },
  { given: 'CONFIRMED (card)', when: 'CancelOrder', then: ['OrderCancelled', 'RefundInitiated'], status: 'CANCELLED' },
  { given: 'CONFIRMED (cash)', when: 'AcceptOrder', then: ['OrderAcceptedByRestaurant', 'DriverSearchStarted'], status: 'ACCEPTED' },
  { given: 'CONFIRMED (cash)', when: 'RejectOrder', then: ['OrderRejectedByRestaurant'], status: 'REJECTED' },
  { given: 'CONFIRMED (cash)', when: 'CancelOrder', then: ['OrderCancelled'], status: 'CANCELLED' },

  { given: 'ACCEPTED, searching for a driver', when: 'StartPreparing', then: ['FoodPreparing'], status: 'PREPARING' },
  { given: 'ACCEPTED, searching for a driver', when: 'AssignDriver', then: ['DriverAssigned'], status: 'ASSIGNED' },
  { given: 'ACCEPTED, searching for a driver', when: 'ReportDispatchFailed', then: ['DispatchFailed'], status: 'ACCEPTED' },
  { given: 'ACCEPTED, searching for a driver', when: 'CancelOrder', then: ['OrderCancelled', 'RefundInitiated'], status: 'CANCELLED' },

  { given: 'ACCEPTED, dispatch failed', when: 'StartPreparing', then: ['FoodPreparing'], status: 'PREPARING' },
  { given: 'ACCEPTED, dispatch failed', when: 'RetryDispatch', then: ['DriverSearchStarted'], status: 'ACCEPTED' },
  { given: 'ACCEPTED, dispatch failed', when: 'EscalateDispatch', then: ['DispatchEscalated'], status: 'ACCEPTED' },
  { given: 'ACCEPTED, dispatch failed', when: 'AssignDriver', then: ['DriverAssigned'], status: 'ASSIGNED' },
  { given: 'ACCEPTED, dispatch failed', when: 'CancelOrder', then: ['OrderCancelled', 'RefundInitiated'], status: 'CANCELLED' },

  { given: 'ACCEPTED, dispatch escalated', when: 'StartPreparing', then: ['FoodPreparing'], status: 'PREPARING' },
  { given: 'ACCEPTED, dispatch escalated', when: 'RetryDispatch', then: ['DriverSearchStarted'], status: 'ACCEPTED' },
  { given: 'ACCEPTED, dispatch escalated', when: 'AssignDriver', then: ['DriverAssigned'], status: 'ASSIGNED' },
  { given: 'ACCEPTED, dispatch escalated', when: 'CancelOrder', then: ['OrderCancelled', 'RefundInitiated'], status: 'CANCELLED' },

  { given: 'PREPARING, searching for a driver', when: 'MarkReady', then: ['OrderReadyForPickup'], status: 'READY_FOR_PICKUP' },
  { given: 'PREPARING, searching for a driver', when: 'AssignDriver', then: ['DriverAssigned'], status: 'ASSIGNED' },
  { given: 'PREPARING, searching for a driver', when: 'ReportDispatchFailed', then: ['DispatchFailed'], status: 'PREPARING' },
  { given: 'PREPARING, searching for a driver', when: 'CancelOrder', then: ['OrderCancelled', 'RefundInitiated'], status: 'CANCELLED' },

  { given: 'READY_FOR_PICKUP, searching for a driver', when: 'AssignDriver', then: ['DriverAssigned'], status: 'ASSIGNED' },
  { given: 'READY_FOR_PICKUP, searching for a driver', when: 'ReportDispatchFailed', then: ['DispatchFailed'], status: 'READY_FOR_PICKUP' },
  // The food is made: the fee is the whole total, so there is nothing to refund.
  { given: 'READY_FOR_PICKUP, searching for a driver', when: 'CancelOrder', then: ['OrderCancelled'], status: 'CANCELLED' },

  { given: 'ASSIGNED, kitchen not started', when: 'StartPreparing', then: ['FoodPreparing'], status: 'ASSIGNED' },
  {
    given: 'ASSIGNED, kitchen not started',
    when: 'StartTripToRestaurant',
    then: ['DriverEnRouteToRestaurant'],
    status: 'EN_ROUTE_TO_RESTAURANT',
  },
  { given: 'ASSIGNED, kitchen not started', when: 'CancelOrder', then: ['OrderCancelled', 'RefundInitiated'], status: 'CANCELLED' },

  { given: 'ASSIGNED, food ready', when: 'StartTripToRestaurant', then: ['DriverEnRouteToRestaurant'], status: 'EN_ROUTE_TO_RESTAURANT' },
  { given: 'ASSIGNED, food ready', when: 'CancelOrder', then: ['OrderCancelled'], status: 'CANCELLED' },

  { given: 'EN_ROUTE_TO_RESTAURANT, food preparing', when: 'MarkReady', then: ['OrderReadyForPickup'], status: 'EN_ROUTE_TO_RESTAURANT' },
  { given: 'EN_ROUTE_TO_RESTAURANT, food preparing', when: 'ArriveAtRestaurant', then: ['DriverArrivedAtRestaurant'], status: 'AT_RESTAURANT' },
  { given: 'EN_ROUTE_TO_RESTAURANT, food preparing', when: 'CancelOrder', then: ['OrderCancelled', 'RefundInitiated'], status: 'CANCELLED' },

  { given: 'AT_RESTAURANT, food preparing', when: 'MarkReady', then: ['OrderReadyForPickup'], status: 'AT_RESTAURANT' },
  { given: 'AT_RESTAURANT, food preparing', when: 'CancelOrder', then: ['OrderCancelled', 'RefundInitiated'], status: 'CANCELLED' },

  { given: 'AT_RESTAURANT, food ready', when: 'PickUpOrder', then: ['OrderPickedUp'], status: 'PICKED_UP' },
  { given: 'AT_RESTAURANT, food ready', when: 'CancelOrder', then: ['OrderCancelled'], status: 'CANCELLED' },

  { given: 'PICKED_UP', when: 'StartTripToCustomer', then: ['DriverEnRouteToCustomer'], status: 'EN_ROUTE_TO_CUSTOMER' },
  { given: 'EN_ROUTE_TO_CUSTOMER', when: 'ArriveAtCustomer', then: ['DriverArrivedAtCustomer'], status: 'AT_CUSTOMER' },
  { given: 'AT_CUSTOMER (card)', when: 'DeliverOrder', then: ['OrderDelivered'], status: 'DELIVERED' },
  { given: 'AT_CUSTOMER (cash)', when: 'DeliverOrder', then: ['OrderDelivered', 'PaymentCaptured'], status: 'SETTLED' },
  { given: 'DELIVERED (card)', when: 'RecordPaymentCaptured', then: ['PaymentCaptured'], status: 'SETTLED' },
];

/** Statuses after which a cancellation is refused by the policy (rather than being an invalid step). */
const CANCEL_DENIED_IN: readonly FixtureName[] = [
  'PICKED_UP',
  'EN_ROUTE_TO_CUSTOMER',
  'AT_CUSTOMER (card)',
  'AT_CUSTOMER (cash)',
  'DELIVERED (card)',
  'SETTLED (card)',
  'SETTLED (cash)',
  'REJECTED',
  'CANCELLED by the customer while PREPARING',
  'CANCELLED after a declined card',
];

function expectedRefusal(fixture: FixtureName, type: OrderCommandType): OrderRejectionCode {
  if (fixture === 'not placed') return 'NOT_FOUND';
  if (type === 'CancelOrder' && CANCEL_DENIED_IN.includes(fixture)) return 'CANCELLATION_DENIED';
  if (type === 'AcceptOrder' && given(fixture).state.context.acceptedAt !== null) return 'ALREADY_ACCEPTED';
  return 'INVALID_TRANSITION';
}

describe('order chart: allowed transitions', () => {
  it.each(ALLOWED.map((a) => [`given ${a.given}, when ${a.when}, then ${a.then.join(' + ')} and the order is ${a.status}`, a] as const))(
    '%s',
    (_name, a) => {
      const before = given(a.given);
      const now = before.now + STEP_MS;
      const command = a.command?.(now) ?? commandFor(a.when, before.state, now);

      const result = decide(before.state, command);

      expect(result.ok ? result.value.map((e) => e.type) : result.error).toEqual(a.then);
      if (!result.ok) return;
      const after = fold(before.state, result.value);
      expect(statusOf(after)).toBe(a.status);
      expect(after.version).toBe(before.state.version + a.then.length);
      expect(result.value.every((e) => e.at === new Date(now).toISOString())).toBe(true);
    },
  );
});

describe('order chart: refused commands', () => {
  const cases = FIXTURE_NAMES.flatMap((fixture) =>
    ORDER_COMMAND_TYPES.filter((type) => !ALLOWED.some((a) => a.given === fixture && a.when === type)).map((type) => {
      const code = expectedRefusal(fixture, type);
      return [`given ${fixture}, when ${type}, then ${code} and nothing changes`, fixture, type, code] as const;
    }),
  );

  it.each(cases)('%s', (_name, fixture, type, code) => {
    const before = given(fixture);
    const snapshot = structuredClone(before.state);

    const result = decide(before.state, commandFor(type, before.state, before.now + STEP_MS));

    expect(result.ok ? result.value.map((e) => e.type) : result.error.code).toBe(code);
    if (!result.ok) {
      expect(result.error.detail).not.toBe('');
      expect(result.error.status).toBe(statusOf(before.state));
    }
    expect(before.state).toEqual(snapshot);
  });

  it('given every situation, then each command is either in the allowed table or refused (the table is the whole chart)', () => {
    const surprises = FIXTURE_NAMES.flatMap((fixture) => {
      const { state, now } = given(fixture);
      return ORDER_COMMAND_TYPES.filter((type) => decide(state, commandFor(type, state, now + STEP_MS)).ok)
        .filter((type) => !ALLOWED.some((a) => a.given === fixture && a.when === type))
        .map((type) => `${fixture}: ${type}`);
    });
    expect(surprises).toEqual([]);
  });
});

describe('order chart: who may move the order', () => {
  it('given a driver at the restaurant with the food ready, when another driver reports the pickup, then INVALID_TRANSITION', () => {
    const { state, now } = given('AT_RESTAURANT, food ready');

    const result = decide(state, { type: 'PickUpOrder', now: now + STEP_MS, driverId: 'DRV-8' as never });

    expect(result).toEqual({
      ok: false,
      error: { code: 'INVALID_TRANSITION', detail: 'the order is assigned to another driver', status: 'AT_RESTAURANT' },
    });
  });

  it('given the driver at the restaurant while the food is still being prepared, when the driver picks up, then INVALID_TRANSITION saying the food is not ready', () => {
    const { state, now } = given('AT_RESTAURANT, food preparing');

    const result = decide(state, commandFor('PickUpOrder', state, now + STEP_MS));

    expect(result).toEqual({
      ok: false,
      error: { code: 'INVALID_TRANSITION', detail: 'the food is not ready for pickup yet', status: 'AT_RESTAURANT' },
    });
  });

  it('given an accepted order, when the restaurant accepts again, then ALREADY_ACCEPTED with when it was accepted', () => {
    const { state, now } = given('PREPARING, searching for a driver');

    const result = decide(state, commandFor('AcceptOrder', state, now + STEP_MS));

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('ALREADY_ACCEPTED');
    expect(result.error.detail).toContain(state.context.acceptedAt ?? 'unreachable');
  });

  it('given a placed order, when it is placed again, then INVALID_TRANSITION', () => {
    const { state, now } = given('CONFIRMED (cash)');

    const result = decide(state, placeOrder('CASH_ON_DELIVERY', { now: now + STEP_MS }));

    expect(result).toEqual({ ok: false, error: { code: 'INVALID_TRANSITION', detail: 'the order has already been placed', status: 'CONFIRMED' } });
  });
});
