import { transition } from 'xstate';
import { err, ok, type Result } from '../../src/shared/result.ts';
import type { OrderCommand, PlaceOrder } from './commands.ts';
import type { OrderContext, OrderDetails } from './context.ts';
import type { DriverSearchStarted, OrderCancelled, OrderEvent, RefundInitiated } from './events.ts';
import { orderMachine } from './machine.ts';
import { cancellationPolicy, type CancellationDenialRule } from './policy.ts';
import { activeStatuses, reportedStatus, snapshotOf, type OrderSnapshot, type OrderState } from './state.ts';
import type { OrderStatus } from './types.ts';
import * as v from './validate.ts';

/**
 * The order as an event-sourced decider (Emmett style): `decide` turns a command into events or a rejection,
 * `evolve` folds one event into the state, `initialOrderState` is where every fold starts. All pure: no I/O,
 * no clock (time arrives on the command), no ids made up here.
 *
 * What the host does with the events (after it has appended them):
 * - PaymentAuthorizationRequested → ask the payment actor to authorise; schedule the payment timeout
 *   (TimeOutPayment when it fires; cancel it on PaymentAuthorized / OrderCancelled);
 * - OrderConfirmed → push `order:new` to the restaurant;
 * - DriverSearchStarted → ask dispatch (the cell actor around `pickup`) for a driver;
 * - OrderDelivered with paymentMethod CARD → ask the payment actor to capture (RecordPaymentCaptured follows);
 * - RefundInitiated → ask the payment actor to give `amountCents` back;
 * - every event → refresh the order view and push `order:update`.
 */
export { initialOrderState, type OrderState } from './state.ts';
export { cancellationPolicy, CANCELLATION_POLICY, type CancellationDecision, type CancellationDenialRule } from './policy.ts';
export { view, type OrderView } from './view.ts';

export type OrderRejectionCode = 'INVALID_TRANSITION' | 'ALREADY_ACCEPTED' | 'CANCELLATION_DENIED' | 'VALIDATION_FAILED' | 'NOT_FOUND';

/** A refused command. Codes are CONTRACT.md error codes; `detail` is safe to show to the asker. */
export interface OrderRejection {
  readonly code: OrderRejectionCode;
  readonly detail: string;
  /** The order's status when the command was refused; null when the order does not exist. */
  readonly status: OrderStatus | null;
  /** With CANCELLATION_DENIED: the policy rule that refused. */
  readonly policyRule?: CancellationDenialRule;
}

/** Who the platform says did what it decided by itself. */
const PAYMENTS = { role: 'system', id: 'payments' } as const;

/**
 * The events `command` produces in `state`, or why it is refused. Every event is first run through the chart:
 * a command whose events the chart would not take is refused, so the chart alone says what is allowed.
 * Refusals are values, never exceptions; the state is never changed (it is not even touched).
 */
export function decide(state: OrderState, command: OrderCommand): Result<OrderEvent[], OrderRejection> {
  const snapshot = snapshotOf(state);
  const status = reportedStatus(snapshot);
  const refuse: Refuse = (code, detail, policyRule) => err({ code, detail, status, ...(policyRule === undefined ? {} : { policyRule }) });

  const details = state.context.details;
  if (details === null && command.type !== 'PlaceOrder') return refuse('NOT_FOUND', 'the order does not exist');
  // (A PlaceOrder on a placed order is planned like any other and refused by the chart.)
  const badNow = v.epochMs(command.now, 'now');
  if (badNow !== null) return refuse('VALIDATION_FAILED', badNow);

  const planned = command.type === 'PlaceOrder' ? planPlacement(command, refuse) : plan(state, details, command, refuse);
  if (!planned.ok) return planned;

  let next = snapshot;
  for (const event of planned.value) {
    if (!next.can(event)) return refuse(refusalCode(state.context, command), refusalDetail(state.context, snapshot, command, status));
    [next] = transition(orderMachine, next, event);
  }
  return planned;
}

/**
 * Folds one event into the state: the chart takes the event (its `record` action updates the data), the
 * timeline gains every status a track entered, and the version counts the event. Total: an event the chart
 * does not take (which `decide` never produces) leaves everything but the version as it was.
 */
export function evolve(state: OrderState, event: OrderEvent): OrderState {
  const before = snapshotOf(state);
  const [after] = transition(orderMachine, before, event);
  const had = activeStatuses(before);
  const entered = activeStatuses(after).filter((s) => !had.includes(s));
  const context =
    entered.length === 0
      ? after.context
      : { ...after.context, timeline: [...after.context.timeline, ...entered.map((s) => ({ status: s, at: event.at }))] };
  return { value: after.value, context, version: state.version + 1 };
}

/**
 * The status the order reports, always one of the 16 OrderStatus names once it is placed (null before: it
 * does not exist). During fulfilment the kitchen and the driver tracks run in parallel and the furthest along
 * wins: the kitchen's status (ACCEPTED, PREPARING, READY_FOR_PICKUP) until a driver is assigned, the driver's
 * (ASSIGNED … AT_CUSTOMER) from then on.
 */
export function statusOf(state: OrderState): OrderStatus | null {
  return reportedStatus(snapshotOf(state));
}

type Refuse = (code: OrderRejectionCode, detail: string, policyRule?: CancellationDenialRule) => Result<never, OrderRejection>;

function planPlacement(command: PlaceOrder, refuse: Refuse): Result<OrderEvent[], OrderRejection> {
  const at = isoAt(command.now);
  const problem =
    v.text(command.orderId, 'orderId') ??
    v.text(command.customerId, 'customerId') ??
    v.text(command.restaurantId, 'restaurantId') ??
    v.geoPoint(command.restaurantLocation, 'restaurantLocation') ??
    v.lineItems(command.items) ??
    v.currency(command.currency) ??
    v.address(command.deliveryAddress, 'deliveryAddress') ??
    v.paymentMethod(command.paymentMethod) ??
    (command.specialInstructions === undefined ? null : v.text(command.specialInstructions, 'specialInstructions'));
  if (problem !== null) return refuse('VALIDATION_FAILED', problem);
  const totalCents = command.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
  if (!Number.isSafeInteger(totalCents)) return refuse('VALIDATION_FAILED', 'the order total is too large');

  const placed: OrderEvent = {
    type: 'OrderPlaced',
    at,
    data: {
      orderId: command.orderId,
      customerId: command.customerId,
      restaurantId: command.restaurantId,
      restaurantLocation: { lat: command.restaurantLocation.lat, lng: command.restaurantLocation.lng },
      items: command.items.map(({ itemId, name, quantity, unitPriceCents }) => ({ itemId, name, quantity, unitPriceCents })),
      totalCents,
      currency: command.currency,
      deliveryAddress: {
        street: command.deliveryAddress.street,
        city: command.deliveryAddress.city,
        state: command.deliveryAddress.state,
        zipCode: command.deliveryAddress.zipCode,
        location: { lat: command.deliveryAddress.location.lat, lng: command.deliveryAddress.location.lng },
      },
      paymentMethod: command.paymentMethod,
      specialInstructions: command.specialInstructions ?? null,
      requestHash: command.requestHash ?? null,
    },
  };
  return ok(
    command.paymentMethod === 'CARD'
      ? [placed, { type: 'PaymentAuthorizationRequested', at, data: { amountCents: totalCents, currency: command.currency } }]
      : [placed, { type: 'OrderConfirmed', at, data: { paymentMethod: 'CASH_ON_DELIVERY' } }],
  );
}

/** The events a command on a placed order would produce; the chart has not been asked yet. */
function plan(state: OrderState, details: OrderDetails | null, command: Exclude<OrderCommand, PlaceOrder>, refuse: Refuse): Result<OrderEvent[], OrderRejection> {
  if (details === null) return refuse('NOT_FOUND', 'the order does not exist');
  const at = isoAt(command.now);
  const { context } = state;
  const invalid = (problem: v.Problem): Result<never, OrderRejection> | null => (problem === null ? null : refuse('VALIDATION_FAILED', problem));
  const optionalIso = (value: string | undefined, field: string): Result<string | null, OrderRejection> => {
    if (value === undefined) return ok(null);
    const iso = v.isoTime(value);
    return iso === null ? refuse('VALIDATION_FAILED', `${field} must be an ISO-8601 time with a zone`) : ok(iso);
  };

  switch (command.type) {
    case 'RecordPaymentAuthorized':
      return (
        invalid(v.text(command.authorizationId, 'authorizationId') ?? sameAmount(command.amountCents, details.totalCents)) ??
        ok([
          { type: 'PaymentAuthorized', at, data: { authorizationId: command.authorizationId, amountCents: command.amountCents } },
          { type: 'OrderConfirmed', at, data: { paymentMethod: 'CARD' } },
        ])
      );
    case 'RecordPaymentDeclined':
      return (
        invalid(v.text(command.reason, 'reason')) ??
        ok([
          { type: 'PaymentDeclined', at, data: { reason: command.reason } },
          paymentFailure(at, `PAYMENT_DECLINED: ${command.reason}`, 'free: the card was declined and not charged'),
        ])
      );
    case 'TimeOutPayment':
      return ok([
        { type: 'PaymentAuthorizationTimedOut', at, data: {} },
        paymentFailure(at, 'PAYMENT_TIMEOUT', 'free: the card was not authorised in time and not charged'),
      ]);
    case 'AcceptOrder': {
      const readyAt = v.isoTime(command.estimatedReadyTime);
      if (readyAt === null) return refuse('VALIDATION_FAILED', 'estimatedReadyTime must be an ISO-8601 time with a zone');
      return ok([{ type: 'OrderAcceptedByRestaurant', at, data: { estimatedReadyTime: readyAt } }, driverSearch(at, details, context)]);
    }
    case 'RejectOrder':
      return (
        invalid(v.text(command.reason, 'reason')) ??
        ok([
          { type: 'OrderRejectedByRestaurant', at, data: { reason: command.reason } },
          ...refund(at, details, context.payment.authorizedCents, 'ORDER_REJECTED'),
        ])
      );
    case 'StartPreparing':
      return ok([{ type: 'FoodPreparing', at, data: {} }]);
    case 'MarkReady':
      return ok([{ type: 'OrderReadyForPickup', at, data: {} }]);
    case 'AssignDriver': {
      const eta = optionalIso(command.eta, 'eta');
      if (!eta.ok) return eta;
      return (
        invalid(v.text(command.driverId, 'driverId')) ??
        ok([{ type: 'DriverAssigned', at, data: { driverId: command.driverId, eta: eta.value, ...(command.offerId ? { offerId: command.offerId } : {}) } }])
      );
    }
    case 'ReportDispatchFailed':
      return invalid(v.text(command.reason, 'reason')) ?? ok([{ type: 'DispatchFailed', at, data: { reason: command.reason, attempt: context.dispatch.attempts } }]);
    case 'RetryDispatch':
      return ok([driverSearch(at, details, context)]);
    case 'EscalateDispatch':
      return (
        invalid(v.text(command.reason, 'reason')) ??
        ok([{ type: 'DispatchEscalated', at, data: { reason: command.reason, attempt: context.dispatch.attempts } }])
      );
    case 'StartTripToRestaurant': {
      const eta = optionalIso(command.eta, 'eta');
      if (!eta.ok) return eta;
      return invalid(v.text(command.driverId, 'driverId')) ?? ok([{ type: 'DriverEnRouteToRestaurant', at, data: { driverId: command.driverId, eta: eta.value } }]);
    }
    case 'ArriveAtRestaurant':
      return invalid(v.text(command.driverId, 'driverId')) ?? ok([{ type: 'DriverArrivedAtRestaurant', at, data: { driverId: command.driverId } }]);
    case 'PickUpOrder':
      return invalid(v.text(command.driverId, 'driverId')) ?? ok([{ type: 'OrderPickedUp', at, data: { driverId: command.driverId } }]);
    case 'StartTripToCustomer': {
      const eta = optionalIso(command.eta, 'eta');
      if (!eta.ok) return eta;
      return invalid(v.text(command.driverId, 'driverId')) ?? ok([{ type: 'DriverEnRouteToCustomer', at, data: { driverId: command.driverId, eta: eta.value } }]);
    }
    case 'ArriveAtCustomer':
      return invalid(v.text(command.driverId, 'driverId')) ?? ok([{ type: 'DriverArrivedAtCustomer', at, data: { driverId: command.driverId } }]);
    case 'DeliverOrder': {
      const bad = invalid(v.text(command.driverId, 'driverId'));
      if (bad !== null) return bad;
      const delivered: OrderEvent = { type: 'OrderDelivered', at, data: { driverId: command.driverId, paymentMethod: details.paymentMethod } };
      if (details.paymentMethod === 'CARD') return ok([delivered]);
      // Cash on delivery: the driver collected the money at the door, so the payment is captured now.
      return ok([
        delivered,
        { type: 'PaymentCaptured', at, data: { paymentMethod: 'CASH_ON_DELIVERY', amountCents: details.totalCents, currency: details.currency, captureId: null } },
      ]);
    }
    case 'RecordPaymentCaptured':
      return (
        invalid(v.text(command.captureId, 'captureId') ?? sameAmount(command.amountCents, details.totalCents)) ??
        ok([
          {
            type: 'PaymentCaptured',
            at,
            data: { paymentMethod: details.paymentMethod, amountCents: command.amountCents, currency: details.currency, captureId: command.captureId },
          },
        ])
      );
    case 'CancelOrder': {
      const bad = invalid(v.text(command.reason, 'reason') ?? v.actor(command.by, 'by'));
      if (bad !== null) return bad;
      const decision = cancellationPolicy(state, command.now);
      if (!decision.allowed) {
        return refuse('CANCELLATION_DENIED', decision.reason, decision.rule);
      }
      const cancelled: OrderCancelled = {
        type: 'OrderCancelled',
        at,
        data: {
          reason: command.reason,
          by: { role: command.by.role, id: command.by.id },
          policyRule: decision.rule,
          policyReason: decision.reason,
          feeCents: decision.feeCents,
          refundCents: decision.refundCents,
        },
      };
      return ok([cancelled, ...refund(at, details, decision.refundCents, 'ORDER_CANCELLED')]);
    }
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}

function isoAt(nowMs: number): string {
  return new Date(nowMs).toISOString();
}

function sameAmount(amountCents: number, totalCents: number): v.Problem {
  return v.cents(amountCents, 'amountCents') ?? (amountCents === totalCents ? null : `amountCents must equal the order total (${totalCents})`);
}

function driverSearch(at: string, details: OrderDetails, context: OrderContext): DriverSearchStarted {
  return {
    type: 'DriverSearchStarted',
    at,
    data: {
      attempt: context.dispatch.attempts + 1,
      restaurantId: details.restaurantId,
      pickup: details.restaurantLocation,
      dropoff: details.deliveryAddress.location,
    },
  };
}

function refund(at: string, details: OrderDetails, amountCents: number, cause: RefundInitiated['data']['cause']): RefundInitiated[] {
  return amountCents > 0 ? [{ type: 'RefundInitiated', at, data: { amountCents, currency: details.currency, cause } }] : [];
}

/** Payment failures cancel the order for free: nothing was taken. */
function paymentFailure(at: string, reason: string, policyReason: string): OrderCancelled {
  return {
    type: 'OrderCancelled',
    at,
    data: { reason, by: PAYMENTS, policyRule: 'PAYMENT_FAILED', policyReason, feeCents: 0, refundCents: 0 },
  };
}

/** The chart refused: a repeated acceptance is its own code, everything else is an invalid transition. */
function refusalCode(context: OrderContext, command: OrderCommand): OrderRejectionCode {
  return command.type === 'AcceptOrder' && context.acceptedAt !== null ? 'ALREADY_ACCEPTED' : 'INVALID_TRANSITION';
}

function refusalDetail(context: OrderContext, snapshot: OrderSnapshot, command: OrderCommand, status: OrderStatus | null): string {
  const where = `while the order is ${status ?? 'not placed'}`;
  switch (command.type) {
    case 'PlaceOrder':
      return 'the order has already been placed';
    case 'AcceptOrder':
      return context.acceptedAt !== null ? `the restaurant already accepted the order at ${context.acceptedAt}` : `the order cannot be accepted ${where}`;
    case 'StartTripToRestaurant':
    case 'ArriveAtRestaurant':
    case 'PickUpOrder':
    case 'StartTripToCustomer':
    case 'ArriveAtCustomer':
    case 'DeliverOrder':
      if (context.driverId !== null && context.driverId !== command.driverId) return `the order is assigned to another driver`;
      if (command.type === 'PickUpOrder' && snapshot.hasTag('AT_RESTAURANT') && !snapshot.hasTag('READY_FOR_PICKUP')) {
        return 'the food is not ready for pickup yet';
      }
      return `${command.type} is not allowed ${where}`;
    default:
      return `${command.type} is not allowed ${where}`;
  }
}
