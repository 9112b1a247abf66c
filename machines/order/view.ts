import type { Cancellation, TimelineEntry } from './context.ts';
import { reportedStatus, snapshotOf, type OrderState } from './state.ts';
import type { Actor, CustomerId, DeliveryAddress, DriverId, LineItem, OrderId, OrderStatus, PaymentMethod, RestaurantId } from './types.ts';

/** The order view of CONTRACT.md (`GET /v1/orders/{orderId}`, `order:update`), plus a few additions. */
export interface OrderView {
  readonly orderId: OrderId;
  readonly customerId: CustomerId;
  readonly restaurantId: RestaurantId;
  readonly status: OrderStatus;
  readonly items: readonly LineItem[];
  readonly totalCents: number;
  readonly currency: string;
  readonly paymentMethod: PaymentMethod;
  readonly deliveryAddress: DeliveryAddress;
  readonly specialInstructions: string | null;
  readonly driverId: DriverId | null;
  /** ISO-8601 UTC, once the restaurant accepted. */
  readonly estimatedReadyTime: string | null;
  /** Estimated delivery at the customer (ISO-8601 UTC), once dispatch or the driver gave one. */
  readonly eta: string | null;
  /** Every status a track entered, in order; the kitchen's steps stay visible after a driver is assigned. */
  readonly timeline: readonly TimelineEntry[];
  readonly createdAt: string;
  readonly acceptedAt: string | null;
  readonly deliveredAt: string | null;
  readonly rejection: { readonly at: string; readonly reason: string } | null;
  readonly cancellation: {
    readonly at: string;
    readonly reason: string;
    readonly by: Actor;
    readonly policyRule: Cancellation['policyRule'];
    readonly policyReason: string;
    readonly feeCents: number;
    readonly refundCents: number;
  } | null;
  readonly refund: { readonly at: string; readonly amountCents: number } | null;
  /** Events applied; the order stream's last sequence number. */
  readonly version: number;
}

/**
 * The view of an order, or null when it has not been placed (the API's 404). Remembered per (immutable) state
 * object, like its snapshot: the actor looks at the same state's view several times per command.
 */
export function view(state: OrderState): OrderView | null {
  const known = views.get(state);
  if (known !== undefined) return known;
  const built = buildView(state);
  views.set(state, built);
  return built;
}
const views = new WeakMap<OrderState, OrderView | null>();

function buildView(state: OrderState): OrderView | null {
  const { context } = state;
  const { details } = context;
  const status = reportedStatus(snapshotOf(state));
  if (details === null || status === null) return null;
  return {
    orderId: details.orderId,
    customerId: details.customerId,
    restaurantId: details.restaurantId,
    status,
    items: details.items,
    totalCents: details.totalCents,
    currency: details.currency,
    paymentMethod: details.paymentMethod,
    deliveryAddress: details.deliveryAddress,
    specialInstructions: details.specialInstructions,
    driverId: context.driverId,
    estimatedReadyTime: context.estimatedReadyTime,
    eta: context.eta,
    timeline: context.timeline,
    createdAt: details.placedAt,
    acceptedAt: context.acceptedAt,
    deliveredAt: context.deliveredAt,
    rejection: context.rejection,
    cancellation: context.cancellation,
    refund: context.refund,
    version: state.version,
  };
}
