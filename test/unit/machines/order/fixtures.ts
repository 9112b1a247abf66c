import { seededRandom } from '../../../../src/shared/seeded-random.ts';
import type { OrderCommand, OrderCommandType, PlaceOrder } from '../../../../machines/order/commands.ts';
import { decide, evolve, initialOrderState, type OrderState } from '../../../../machines/order/decider.ts';
import type { OrderEvent } from '../../../../machines/order/events.ts';
import type { CustomerId, DriverId, ItemId, LineItem, OrderId, PaymentMethod, RestaurantId } from '../../../../machines/order/types.ts';

export const T0 = Date.parse('2025-03-01T12:00:00.000Z');
/** Steps of a story are this far apart, so the free-cancellation grace window has passed by the next one. */
export const STEP_MS = 2 * 60_000;
export const DRIVER = 'DRV-7' as DriverId;
export const OTHER_DRIVER = 'DRV-8' as DriverId;

/** 2 × 1000 + 1 × 350 = 2350 cents. */
export const ITEMS: readonly LineItem[] = [
  { itemId: 'PIZZA-001' as ItemId, name: 'Margherita', quantity: 2, unitPriceCents: 1000 },
  { itemId: 'SODA-002' as ItemId, name: 'Lemonade', quantity: 1, unitPriceCents: 350 },
];
export const TOTAL_CENTS = 2350;

export function placeOrder(paymentMethod: PaymentMethod, overrides: Partial<PlaceOrder> = {}): PlaceOrder {
  return {
    type: 'PlaceOrder',
    now: T0,
    orderId: 'ORD-1001' as OrderId,
    customerId: 'CUST-123' as CustomerId,
    restaurantId: 'REST-456' as RestaurantId,
    restaurantLocation: { lat: 37.7749, lng: -122.4194 },
    items: ITEMS,
    currency: 'USD',
    deliveryAddress: {
      street: '2510 Lagoon Way',
      city: 'Anytown',
      state: 'CA',
      zipCode: '12345',
      location: { lat: 37.77, lng: -122.41 },
    },
    paymentMethod,
    specialInstructions: 'Extra cheese',
    ...overrides,
  };
}

/** A well-formed command of `type` for the order in `state`: right amounts, the assigned driver, and so on. */
export function commandFor(type: OrderCommandType, state: OrderState, now: number): OrderCommand {
  const total = state.context.details?.totalCents ?? TOTAL_CENTS;
  const driverId = state.context.driverId ?? DRIVER;
  switch (type) {
    case 'PlaceOrder':
      return placeOrder('CARD', { now });
    case 'RecordPaymentAuthorized':
      return { type, now, authorizationId: 'AUTH-1', amountCents: total };
    case 'RecordPaymentDeclined':
      return { type, now, reason: 'insufficient funds' };
    case 'TimeOutPayment':
      return { type, now };
    case 'AcceptOrder':
      return { type, now, estimatedReadyTime: new Date(now + 20 * 60_000).toISOString() };
    case 'RejectOrder':
      return { type, now, reason: 'kitchen closed' };
    case 'StartPreparing':
    case 'MarkReady':
    case 'RetryDispatch':
      return { type, now };
    case 'AssignDriver':
      return { type, now, driverId: DRIVER, eta: new Date(now + 35 * 60_000).toISOString() };
    case 'ReportDispatchFailed':
      return { type, now, reason: 'no driver accepted the offer' };
    case 'EscalateDispatch':
      return { type, now, reason: 'three searches failed' };
    case 'StartTripToRestaurant':
    case 'StartTripToCustomer':
      return { type, now, driverId, eta: new Date(now + 25 * 60_000).toISOString() };
    case 'ArriveAtRestaurant':
    case 'PickUpOrder':
    case 'ArriveAtCustomer':
    case 'DeliverOrder':
      return { type, now, driverId };
    case 'RecordPaymentCaptured':
      return { type, now, captureId: 'CAP-1', amountCents: total };
    case 'CancelOrder':
      return { type, now, reason: 'changed my mind', by: { role: 'customer', id: 'CUST-123' } };
    default: {
      const _exhaustive: never = type;
      return _exhaustive;
    }
  }
}

export interface Story {
  readonly state: OrderState;
  readonly events: readonly OrderEvent[];
  /** The time of the last step. */
  readonly now: number;
}

export function fold(state: OrderState, events: readonly OrderEvent[]): OrderState {
  return events.reduce(evolve, state);
}

/** Applies one command that must be accepted. */
export function apply(story: Story, command: OrderCommand): Story {
  const result = decide(story.state, command);
  if (!result.ok) throw new Error(`${command.type} refused: ${result.error.code} ${result.error.detail}`);
  return { state: fold(story.state, result.value), events: [...story.events, ...result.value], now: command.now };
}

export const nothingYet: Story = { state: initialOrderState(), events: [], now: T0 };

/** Places an order and then runs `steps` (well-formed commands), STEP_MS apart. */
export function story(paymentMethod: PaymentMethod, steps: readonly OrderCommandType[], place: Partial<PlaceOrder> = {}): Story {
  let s = apply(nothingYet, placeOrder(paymentMethod, place));
  for (const type of steps) s = apply(s, commandFor(type, s.state, s.now + STEP_MS));
  return s;
}

/** An order that is PLACED and nothing else: the first event of a card placement only. */
export function placedOnly(): Story {
  const result = decide(initialOrderState(), placeOrder('CARD'));
  if (!result.ok) throw new Error('placement refused');
  const first = result.value.slice(0, 1);
  return { state: fold(initialOrderState(), first), events: first, now: T0 };
}

const CARD_ACCEPTED: OrderCommandType[] = ['RecordPaymentAuthorized', 'AcceptOrder'];
const TO_ASSIGNED_READY: OrderCommandType[] = [...CARD_ACCEPTED, 'StartPreparing', 'MarkReady', 'AssignDriver'];
const TO_PICKED_UP: OrderCommandType[] = [...TO_ASSIGNED_READY, 'StartTripToRestaurant', 'ArriveAtRestaurant', 'PickUpOrder'];
const TO_AT_CUSTOMER: OrderCommandType[] = [...TO_PICKED_UP, 'StartTripToCustomer', 'ArriveAtCustomer'];
const CASH_TO_AT_CUSTOMER: OrderCommandType[] = TO_AT_CUSTOMER.filter((t) => t !== 'RecordPaymentAuthorized');

/** Named situations an order can be in; the tests' "given". Card orders unless the name says cash. */
export const FIXTURES = {
  'not placed': () => nothingYet,
  PLACED: placedOnly,
  PENDING_PAYMENT: () => story('CARD', []),
  'CONFIRMED (card)': () => story('CARD', ['RecordPaymentAuthorized']),
  'CONFIRMED (cash)': () => story('CASH_ON_DELIVERY', []),
  'ACCEPTED, searching for a driver': () => story('CARD', CARD_ACCEPTED),
  'ACCEPTED, dispatch failed': () => story('CARD', [...CARD_ACCEPTED, 'ReportDispatchFailed']),
  'ACCEPTED, dispatch escalated': () => story('CARD', [...CARD_ACCEPTED, 'ReportDispatchFailed', 'EscalateDispatch']),
  'PREPARING, searching for a driver': () => story('CARD', [...CARD_ACCEPTED, 'StartPreparing']),
  'READY_FOR_PICKUP, searching for a driver': () => story('CARD', [...CARD_ACCEPTED, 'StartPreparing', 'MarkReady']),
  'ASSIGNED, kitchen not started': () => story('CARD', [...CARD_ACCEPTED, 'AssignDriver']),
  'ASSIGNED, food ready': () => story('CARD', TO_ASSIGNED_READY),
  'EN_ROUTE_TO_RESTAURANT, food preparing': () => story('CARD', [...CARD_ACCEPTED, 'StartPreparing', 'AssignDriver', 'StartTripToRestaurant']),
  'AT_RESTAURANT, food preparing': () =>
    story('CARD', [...CARD_ACCEPTED, 'StartPreparing', 'AssignDriver', 'StartTripToRestaurant', 'ArriveAtRestaurant']),
  'AT_RESTAURANT, food ready': () => story('CARD', [...TO_ASSIGNED_READY, 'StartTripToRestaurant', 'ArriveAtRestaurant']),
  PICKED_UP: () => story('CARD', TO_PICKED_UP),
  EN_ROUTE_TO_CUSTOMER: () => story('CARD', [...TO_PICKED_UP, 'StartTripToCustomer']),
  'AT_CUSTOMER (card)': () => story('CARD', TO_AT_CUSTOMER),
  'AT_CUSTOMER (cash)': () => story('CASH_ON_DELIVERY', CASH_TO_AT_CUSTOMER),
  'DELIVERED (card)': () => story('CARD', [...TO_AT_CUSTOMER, 'DeliverOrder']),
  'SETTLED (card)': () => story('CARD', [...TO_AT_CUSTOMER, 'DeliverOrder', 'RecordPaymentCaptured']),
  'SETTLED (cash)': () => story('CASH_ON_DELIVERY', [...CASH_TO_AT_CUSTOMER, 'DeliverOrder']),
  REJECTED: () => story('CARD', ['RecordPaymentAuthorized', 'RejectOrder']),
  'CANCELLED by the customer while PREPARING': () => story('CARD', [...CARD_ACCEPTED, 'StartPreparing', 'CancelOrder']),
  'CANCELLED after a declined card': () => story('CARD', ['RecordPaymentDeclined']),
} as const satisfies Record<string, () => Story>;

export type FixtureName = keyof typeof FIXTURES;
export const FIXTURE_NAMES = Object.keys(FIXTURES) as FixtureName[];

export function given(name: FixtureName): Story {
  return FIXTURES[name]();
}

export const prng = seededRandom;
