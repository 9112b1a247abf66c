import type { OrderEvent, OrderPlaced, CancellationRule } from './events.ts';
import type { Actor, DriverId, OrderStatus } from './types.ts';

/** What OrderPlaced fixed about the order. */
export type OrderDetails = OrderPlaced['data'] & { readonly placedAt: string };

export interface Cancellation {
  readonly at: string;
  readonly reason: string;
  readonly by: Actor;
  readonly policyRule: CancellationRule;
  readonly policyReason: string;
  readonly feeCents: number;
  readonly refundCents: number;
}

export interface TimelineEntry {
  readonly status: OrderStatus;
  /** ISO-8601 UTC. */
  readonly at: string;
}

/**
 * The order's data, the chart's context. Plain JSON; every field is a fold of the events (see `applyFacts`).
 * `details` is null until the order is placed.
 */
export interface OrderContext {
  readonly details: OrderDetails | null;
  readonly payment: {
    readonly authorizationId: string | null;
    /** What the card holds for this order; 0 for cash and before authorisation. */
    readonly authorizedCents: number;
    readonly declinedReason: string | null;
    readonly capturedCents: number;
    readonly captureId: string | null;
  };
  readonly acceptedAt: string | null;
  readonly estimatedReadyTime: string | null;
  readonly dispatch: {
    /** Driver searches started so far. */
    readonly attempts: number;
    readonly lastFailureReason: string | null;
    readonly escalated: boolean;
  };
  readonly driverId: DriverId | null;
  /** The latest estimate of delivery at the customer (ISO-8601), if anyone gave one. */
  readonly eta: string | null;
  readonly deliveredAt: string | null;
  readonly rejection: { readonly at: string; readonly reason: string } | null;
  readonly cancellation: Cancellation | null;
  /** Owed back to the customer after a cancellation or rejection, until RefundInitiated records it. */
  readonly refundDueCents: number;
  readonly refund: { readonly at: string; readonly amountCents: number } | null;
  /** Every status any track entered, in the order it happened (filled in by `evolve`). */
  readonly timeline: readonly TimelineEntry[];
}

export function initialContext(): OrderContext {
  return {
    details: null,
    payment: { authorizationId: null, authorizedCents: 0, declinedReason: null, capturedCents: 0, captureId: null },
    acceptedAt: null,
    estimatedReadyTime: null,
    dispatch: { attempts: 0, lastFailureReason: null, escalated: false },
    driverId: null,
    eta: null,
    deliveredAt: null,
    rejection: null,
    cancellation: null,
    refundDueCents: 0,
    refund: null,
    timeline: [],
  };
}

/**
 * Folds one event into the data. Which events are allowed, and when, is the chart's business, not this
 * function's: the chart runs it only on transitions it took.
 */
export function applyFacts(context: OrderContext, event: OrderEvent): OrderContext {
  switch (event.type) {
    case 'OrderPlaced':
      return { ...context, details: { ...event.data, placedAt: event.at } };
    case 'PaymentAuthorizationRequested':
      return context;
    case 'PaymentAuthorized':
      return {
        ...context,
        payment: { ...context.payment, authorizationId: event.data.authorizationId, authorizedCents: event.data.amountCents },
      };
    case 'PaymentDeclined':
      return { ...context, payment: { ...context.payment, declinedReason: event.data.reason } };
    case 'PaymentAuthorizationTimedOut':
    case 'OrderConfirmed':
      return context;
    case 'OrderAcceptedByRestaurant':
      return { ...context, acceptedAt: event.at, estimatedReadyTime: event.data.estimatedReadyTime };
    case 'OrderRejectedByRestaurant':
      return {
        ...context,
        rejection: { at: event.at, reason: event.data.reason },
        refundDueCents: context.payment.authorizedCents,
      };
    case 'FoodPreparing':
    case 'OrderReadyForPickup':
      return context;
    case 'DriverSearchStarted':
      return { ...context, dispatch: { ...context.dispatch, attempts: event.data.attempt, escalated: false } };
    case 'DispatchFailed':
      return { ...context, dispatch: { ...context.dispatch, lastFailureReason: event.data.reason } };
    case 'DispatchEscalated':
      return { ...context, dispatch: { ...context.dispatch, escalated: true } };
    case 'DriverAssigned':
      return { ...context, driverId: event.data.driverId, eta: event.data.eta ?? context.eta };
    case 'DriverEnRouteToRestaurant':
    case 'DriverEnRouteToCustomer':
      return { ...context, eta: event.data.eta ?? context.eta };
    case 'DriverArrivedAtRestaurant':
    case 'OrderPickedUp':
    case 'DriverArrivedAtCustomer':
      return context;
    case 'OrderDelivered':
      return { ...context, deliveredAt: event.at };
    case 'PaymentCaptured':
      return {
        ...context,
        payment: { ...context.payment, capturedCents: event.data.amountCents, captureId: event.data.captureId },
      };
    case 'OrderCancelled':
      return {
        ...context,
        cancellation: { at: event.at, ...event.data },
        refundDueCents: event.data.refundCents,
      };
    case 'RefundInitiated':
      return { ...context, refund: { at: event.at, amountCents: event.data.amountCents }, refundDueCents: 0 };
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}
