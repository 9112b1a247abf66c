import { z } from 'zod';
import type { OrderView } from '../machines/order/view.ts';
import { OPEN_FOR_RESTAURANT } from '../machines/order/restaurant-statuses.ts';
import { appError } from '../src/errors/app-error.ts';
import type { Pool } from '../src/db/pool.ts';
import type { OrderService, RestaurantAction } from '../src/orders/order-service.ts';
import { failure, onEvent, type Ack, type EventContext, type EventTable } from './events.ts';
import { id, isoTime, orderRef } from './schemas.ts';

/** Most open orders replayed to a console on connect (oldest first). */
const MAX_OPEN_ORDERS_REPLAYED = 500;

/** The restaurant's open orders from the `orders` table (written in the events' transaction, before any push). */
export async function openOrders(pool: Pool, restaurantId: string): Promise<OrderView[]> {
  const { rows } = await pool.query<{ view: OrderView }>(
    'SELECT view FROM orders WHERE restaurant_id = $1 AND status = ANY($2::text[]) ORDER BY created_at, order_id LIMIT $3',
    [restaurantId, OPEN_FOR_RESTAURANT, MAX_OPEN_ORDERS_REPLAYED],
  );
  return rows.map((r) => r.view);
}

/**
 * On connect, after the socket joined its restaurant room: every open order as `order:new`. Joining first means an
 * order confirmed meanwhile is pushed, read, or both (a duplicate `order:new` carries the same view): a console that
 * connects late misses nothing.
 */
export async function replayOpenOrders(pool: Pool, { socket, principal }: EventContext): Promise<void> {
  if (principal.restaurantId === undefined) return;
  for (const view of await openOrders(pool, principal.restaurantId)) socket.emit('order:new', view);
}

const reasonSchema = z.string().trim().min(1).max(500);

/** `/restaurant` (role restaurant): the kitchen's steps, through the same OrderService (and rules) as REST. */
export function restaurantEvents(deps: { orders: OrderService }): EventTable {
  const act = async ({ principal }: EventContext, orderId: string, action: RestaurantAction): Promise<Ack> => {
    if (principal.restaurantId === undefined) return failure(appError('FORBIDDEN', 'This token names no restaurant'));
    const done = await deps.orders.restaurantAction(principal, principal.restaurantId, orderId, action);
    return done.ok ? { ok: true, order: done.value } : failure(done.error);
  };
  return {
    'order:accept': onEvent(z.object({ orderId: id, estimatedReadyTime: isoTime }).strict(), (input, ctx) =>
      act(ctx, input.orderId, { action: 'ACCEPT', estimatedReadyTime: input.estimatedReadyTime }),
    ),
    'order:reject': onEvent(z.object({ orderId: id, reason: reasonSchema }).strict(), (input, ctx) =>
      act(ctx, input.orderId, { action: 'REJECT', reason: input.reason }),
    ),
    'order:preparing': onEvent(orderRef, (input, ctx) => act(ctx, input.orderId, { action: 'PREPARING' })),
    'order:ready': onEvent(orderRef, (input, ctx) => act(ctx, input.orderId, { action: 'READY' })),
  };
}
