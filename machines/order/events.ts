import type {
  Actor,
  CustomerId,
  DeliveryAddress,
  DriverId,
  GeoPoint,
  LineItem,
  OrderId,
  PaymentMethod,
  RestaurantId,
} from './types.ts';

/**
 * A past-tense fact about one order. JSON as it stands: `type` becomes Kafka's `eventType`, `data` its `data`,
 * `at` its `occurredAt` (ISO-8601 UTC). Field names are part of the public contract; add, never rename.
 */
interface Fact<T extends string, D> {
  readonly type: T;
  /** ISO-8601 UTC. */
  readonly at: string;
  readonly data: D;
}

type NoData = Readonly<Record<string, never>>;

export type OrderPlaced = Fact<
  'OrderPlaced',
  {
    orderId: OrderId;
    customerId: CustomerId;
    restaurantId: RestaurantId;
    restaurantLocation: GeoPoint;
    items: readonly LineItem[];
    /** Sum of quantity × unit price over the items. */
    totalCents: number;
    currency: string;
    deliveryAddress: DeliveryAddress;
    paymentMethod: PaymentMethod;
    specialInstructions: string | null;
    /** See PlaceOrder.requestHash; null when placed without one. */
    requestHash: string | null;
  }
>;
/** The host asks the payment actor to authorise the card (and arms the payment timeout). */
export type PaymentAuthorizationRequested = Fact<'PaymentAuthorizationRequested', { amountCents: number; currency: string }>;
export type PaymentAuthorized = Fact<'PaymentAuthorized', { authorizationId: string; amountCents: number }>;
export type PaymentDeclined = Fact<'PaymentDeclined', { reason: string }>;
export type PaymentAuthorizationTimedOut = Fact<'PaymentAuthorizationTimedOut', NoData>;
/** Paid (card authorised) or cash on delivery: the restaurant gets the order now. */
export type OrderConfirmed = Fact<'OrderConfirmed', { paymentMethod: PaymentMethod }>;
export type OrderAcceptedByRestaurant = Fact<'OrderAcceptedByRestaurant', { estimatedReadyTime: string }>;
export type OrderRejectedByRestaurant = Fact<'OrderRejectedByRestaurant', { reason: string }>;
export type FoodPreparing = Fact<'FoodPreparing', NoData>;
export type OrderReadyForPickup = Fact<'OrderReadyForPickup', NoData>;
/** The host asks dispatch (the restaurant's cell actor) for a driver. `attempt` counts from 1. */
export type DriverSearchStarted = Fact<
  'DriverSearchStarted',
  { attempt: number; restaurantId: RestaurantId; pickup: GeoPoint; dropoff: GeoPoint }
>;
export type DispatchFailed = Fact<'DispatchFailed', { reason: string; attempt: number }>;
export type DispatchEscalated = Fact<'DispatchEscalated', { reason: string; attempt: number }>;
export type DriverAssigned = Fact<'DriverAssigned', { driverId: DriverId; eta: string | null; offerId?: string }>;
export type DriverEnRouteToRestaurant = Fact<'DriverEnRouteToRestaurant', { driverId: DriverId; eta: string | null }>;
export type DriverArrivedAtRestaurant = Fact<'DriverArrivedAtRestaurant', { driverId: DriverId }>;
export type OrderPickedUp = Fact<'OrderPickedUp', { driverId: DriverId }>;
export type DriverEnRouteToCustomer = Fact<'DriverEnRouteToCustomer', { driverId: DriverId; eta: string | null }>;
export type DriverArrivedAtCustomer = Fact<'DriverArrivedAtCustomer', { driverId: DriverId }>;
/** For a card, the host asks the payment actor to capture; for cash, PaymentCaptured follows in the same batch. */
export type OrderDelivered = Fact<'OrderDelivered', { driverId: DriverId; paymentMethod: PaymentMethod }>;
/** `captureId` is null for cash (the driver collected it). Moves the order to SETTLED. */
export type PaymentCaptured = Fact<
  'PaymentCaptured',
  { paymentMethod: PaymentMethod; amountCents: number; currency: string; captureId: string | null }
>;
/** Which rule of the cancellation policy priced a cancellation (see policy.ts). */
export type CancellationRule =
  | 'BEFORE_ACCEPTANCE'
  | 'GRACE_WINDOW'
  | 'DISPATCH_FAILED'
  | 'ACCEPTED'
  | 'PREPARING'
  | 'READY_FOR_PICKUP'
  | 'PAYMENT_FAILED';
export type OrderCancelled = Fact<
  'OrderCancelled',
  {
    /** Why the asker cancels (free text from the customer, or e.g. `PAYMENT_DECLINED: …`). */
    reason: string;
    by: Actor;
    /** The policy's decision: which rule applied, and its explanation. */
    policyRule: CancellationRule;
    policyReason: string;
    feeCents: number;
    /** What goes back to the customer's card; 0 when nothing was authorised (cash, or before authorisation). */
    refundCents: number;
  }
>;
/**
 * The host asks the payment actor to give `amountCents` back: release that much of the authorisation (or refund
 * it, if captured). Follows OrderCancelled or OrderRejectedByRestaurant when money was authorised.
 */
export type RefundInitiated = Fact<
  'RefundInitiated',
  { amountCents: number; currency: string; cause: 'ORDER_CANCELLED' | 'ORDER_REJECTED' }
>;

export type OrderEvent =
  | OrderPlaced
  | PaymentAuthorizationRequested
  | PaymentAuthorized
  | PaymentDeclined
  | PaymentAuthorizationTimedOut
  | OrderConfirmed
  | OrderAcceptedByRestaurant
  | OrderRejectedByRestaurant
  | FoodPreparing
  | OrderReadyForPickup
  | DriverSearchStarted
  | DispatchFailed
  | DispatchEscalated
  | DriverAssigned
  | DriverEnRouteToRestaurant
  | DriverArrivedAtRestaurant
  | OrderPickedUp
  | DriverEnRouteToCustomer
  | DriverArrivedAtCustomer
  | OrderDelivered
  | PaymentCaptured
  | OrderCancelled
  | RefundInitiated;

export type OrderEventType = OrderEvent['type'];

/** Every event type, for consumers that validate `eventType` (and a test that keeps the list complete). */
export const ORDER_EVENT_TYPES = [
  'OrderPlaced',
  'PaymentAuthorizationRequested',
  'PaymentAuthorized',
  'PaymentDeclined',
  'PaymentAuthorizationTimedOut',
  'OrderConfirmed',
  'OrderAcceptedByRestaurant',
  'OrderRejectedByRestaurant',
  'FoodPreparing',
  'OrderReadyForPickup',
  'DriverSearchStarted',
  'DispatchFailed',
  'DispatchEscalated',
  'DriverAssigned',
  'DriverEnRouteToRestaurant',
  'DriverArrivedAtRestaurant',
  'OrderPickedUp',
  'DriverEnRouteToCustomer',
  'DriverArrivedAtCustomer',
  'OrderDelivered',
  'PaymentCaptured',
  'OrderCancelled',
  'RefundInitiated',
] as const satisfies readonly OrderEventType[];

// Fails to compile when an event type is missing from ORDER_EVENT_TYPES.
const _everyTypeListed: Record<Exclude<OrderEventType, (typeof ORDER_EVENT_TYPES)[number]>, never> = {};
void _everyTypeListed;
