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
 * What can be asked of an order. Every command carries `now`: the host's clock when it is handled, in
 * milliseconds since the Unix epoch (the actor runtime's `MessageMeta.now`); the decider never reads a clock.
 * Ids are never generated here: they arrive on commands.
 */
export type OrderCommand =
  | PlaceOrder
  | RecordPaymentAuthorized
  | RecordPaymentDeclined
  | TimeOutPayment
  | AcceptOrder
  | RejectOrder
  | StartPreparing
  | MarkReady
  | AssignDriver
  | ReportDispatchFailed
  | RetryDispatch
  | EscalateDispatch
  | StartTripToRestaurant
  | ArriveAtRestaurant
  | PickUpOrder
  | StartTripToCustomer
  | ArriveAtCustomer
  | DeliverOrder
  | RecordPaymentCaptured
  | CancelOrder;

export type OrderCommandType = OrderCommand['type'];

interface Timed {
  /** ms since the Unix epoch. */
  readonly now: number;
}

/** From the API, after the catalog priced the items (`POST /v1/orders`). */
export interface PlaceOrder extends Timed {
  readonly type: 'PlaceOrder';
  readonly orderId: OrderId;
  readonly customerId: CustomerId;
  readonly restaurantId: RestaurantId;
  /** Where the food is picked up; the driver search starts around it. */
  readonly restaurantLocation: GeoPoint;
  readonly items: readonly LineItem[];
  /** ISO 4217, e.g. `USD`. */
  readonly currency: string;
  readonly deliveryAddress: DeliveryAddress;
  readonly paymentMethod: PaymentMethod;
  readonly specialInstructions?: string;
  /**
   * Fingerprint of the API request that placed the order (its Idempotency-Key and body): a retry with the same
   * fingerprint gets the first response again, another body under the same key is refused.
   */
  readonly requestHash?: string;
}

/** From the payment actor: the card authorisation succeeded. */
export interface RecordPaymentAuthorized extends Timed {
  readonly type: 'RecordPaymentAuthorized';
  readonly authorizationId: string;
  /** Must equal the order's total. */
  readonly amountCents: number;
}

/** From the payment actor: the card was declined. The order is cancelled. */
export interface RecordPaymentDeclined extends Timed {
  readonly type: 'RecordPaymentDeclined';
  readonly reason: string;
}

/** The payment timer fired before the card was authorised. The order is cancelled. */
export interface TimeOutPayment extends Timed {
  readonly type: 'TimeOutPayment';
}

/** The restaurant accepts (`action: ACCEPT`). Starts the kitchen and the driver search. */
export interface AcceptOrder extends Timed {
  readonly type: 'AcceptOrder';
  /** ISO-8601. */
  readonly estimatedReadyTime: string;
}

export interface RejectOrder extends Timed {
  readonly type: 'RejectOrder';
  readonly reason: string;
}

export interface StartPreparing extends Timed {
  readonly type: 'StartPreparing';
}

export interface MarkReady extends Timed {
  readonly type: 'MarkReady';
}

/** From dispatch (a cell actor), or from ops assigning by hand after a failed search. */
export interface AssignDriver extends Timed {
  readonly type: 'AssignDriver';
  readonly driverId: DriverId;
  /** The dispatch offer the driver accepted (absent in events recorded before it was kept). */
  readonly offerId?: string;
  /** ISO-8601 estimate of delivery at the customer, when dispatch knows one. */
  readonly eta?: string;
}

/** From dispatch: it gave up finding a driver (offers declined or timed out, no one near). */
export interface ReportDispatchFailed extends Timed {
  readonly type: 'ReportDispatchFailed';
  readonly reason: string;
}

/** Search again after a failed search (or an escalation). */
export interface RetryDispatch extends Timed {
  readonly type: 'RetryDispatch';
}

/** Hand a failed search to people (ops); they may retry or assign a driver by hand. */
export interface EscalateDispatch extends Timed {
  readonly type: 'EscalateDispatch';
  readonly reason: string;
}

/** The driver steps of `PATCH /v1/drivers/{driverId}/orders/{orderId}`; only the assigned driver may report them. */
interface DriverStep extends Timed {
  readonly driverId: DriverId;
}

export interface StartTripToRestaurant extends DriverStep {
  readonly type: 'StartTripToRestaurant';
  /** ISO-8601 estimate of delivery at the customer, if known. */
  readonly eta?: string;
}

export interface ArriveAtRestaurant extends DriverStep {
  readonly type: 'ArriveAtRestaurant';
}

/** Allowed only once the restaurant has marked the food ready (see the chart). */
export interface PickUpOrder extends DriverStep {
  readonly type: 'PickUpOrder';
}

export interface StartTripToCustomer extends DriverStep {
  readonly type: 'StartTripToCustomer';
  /** ISO-8601 estimate of delivery at the customer, if known. */
  readonly eta?: string;
}

export interface ArriveAtCustomer extends DriverStep {
  readonly type: 'ArriveAtCustomer';
}

/** For cash on delivery the driver collects the money: the payment is captured with the delivery. */
export interface DeliverOrder extends DriverStep {
  readonly type: 'DeliverOrder';
}

/** From the payment actor: the card payment was captured after delivery. */
export interface RecordPaymentCaptured extends Timed {
  readonly type: 'RecordPaymentCaptured';
  readonly captureId: string;
  /** Must equal the order's total. */
  readonly amountCents: number;
}

/** `POST /v1/orders/{orderId}/cancel`. The cancellation policy decides: free, with a fee, or denied. */
export interface CancelOrder extends Timed {
  readonly type: 'CancelOrder';
  readonly reason: string;
  readonly by: Actor;
}

/** Every command type (and a compile-time check below that the list is complete). */
export const ORDER_COMMAND_TYPES = [
  'PlaceOrder',
  'RecordPaymentAuthorized',
  'RecordPaymentDeclined',
  'TimeOutPayment',
  'AcceptOrder',
  'RejectOrder',
  'StartPreparing',
  'MarkReady',
  'AssignDriver',
  'ReportDispatchFailed',
  'RetryDispatch',
  'EscalateDispatch',
  'StartTripToRestaurant',
  'ArriveAtRestaurant',
  'PickUpOrder',
  'StartTripToCustomer',
  'ArriveAtCustomer',
  'DeliverOrder',
  'RecordPaymentCaptured',
  'CancelOrder',
] as const satisfies readonly OrderCommandType[];

const _everyTypeListed: Record<Exclude<OrderCommandType, (typeof ORDER_COMMAND_TYPES)[number]>, never> = {};
void _everyTypeListed;
