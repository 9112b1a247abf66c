import type { OrderStatus } from './types.ts';

/** Statuses the restaurant never sees: an order becomes its business once paid (or cash) — `order:new` starts it. */
const HIDDEN_FROM_RESTAURANT: ReadonlySet<OrderStatus> = new Set<OrderStatus>(['PLACED', 'PENDING_PAYMENT']);

export function restaurantSees(status: OrderStatus): boolean {
  return !HIDDEN_FROM_RESTAURANT.has(status);
}

/**
 * The statuses of an order the restaurant still has in hand (its console's open orders): confirmed and not yet picked
 * up. Once a driver is assigned the order reports the driver's status (ASSIGNED, EN_ROUTE_TO_RESTAURANT,
 * AT_RESTAURANT) while the kitchen may still be preparing it — dispatch runs in parallel with the food — so those are
 * open too. Every one of them is a status the restaurant sees.
 */
export const OPEN_FOR_RESTAURANT: readonly OrderStatus[] = [
  'CONFIRMED',
  'ACCEPTED',
  'PREPARING',
  'READY_FOR_PICKUP',
  'ASSIGNED',
  'EN_ROUTE_TO_RESTAURANT',
  'AT_RESTAURANT',
];
