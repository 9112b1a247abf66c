import type { Brand } from '../../src/shared/brand.ts';

export type OrderId = Brand<string, 'OrderId'>;
export type CustomerId = Brand<string, 'CustomerId'>;
export type RestaurantId = Brand<string, 'RestaurantId'>;
export type DriverId = Brand<string, 'DriverId'>;
export type ItemId = Brand<string, 'ItemId'>;

/**
 * Every status an order can report, in the seed chart's order (the order an order moves through them).
 * The position is the status's rank: when two tracks run in parallel, the order reports the furthest along.
 */
export const ORDER_STATUSES = [
  'PLACED',
  'PENDING_PAYMENT',
  'CONFIRMED',
  'ACCEPTED',
  'REJECTED',
  'PREPARING',
  'READY_FOR_PICKUP',
  'ASSIGNED',
  'EN_ROUTE_TO_RESTAURANT',
  'AT_RESTAURANT',
  'PICKED_UP',
  'EN_ROUTE_TO_CUSTOMER',
  'AT_CUSTOMER',
  'DELIVERED',
  'SETTLED',
  'CANCELLED',
] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

export function isOrderStatus(value: unknown): value is OrderStatus {
  return typeof value === 'string' && (ORDER_STATUSES as readonly string[]).includes(value);
}

export const PAYMENT_METHODS = ['CARD', 'CASH_ON_DELIVERY'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export interface GeoPoint {
  readonly lat: number;
  readonly lng: number;
}

export interface DeliveryAddress {
  readonly street: string;
  readonly city: string;
  readonly state: string;
  readonly zipCode: string;
  readonly location: GeoPoint;
}

/** A line of the order, priced by the catalog when the order was placed. Money in minor units (cents). */
export interface LineItem {
  readonly itemId: ItemId;
  readonly name: string;
  /** A positive integer. */
  readonly quantity: number;
  /** A non-negative integer, in minor units of the order's currency. */
  readonly unitPriceCents: number;
}

/** The roles of CONTRACT.md, plus `system` for what the platform itself decides (timers, payments, dispatch). */
export const ACTOR_ROLES = ['customer', 'restaurant', 'driver', 'admin', 'support', 'ops', 'system'] as const;
export type ActorRole = (typeof ACTOR_ROLES)[number];

/** Who asked for a command: a role and that principal's id (a customer id, a user id, or e.g. `payments`). */
export interface Actor {
  readonly role: ActorRole;
  readonly id: string;
}
