import type { OrderView } from '../machines/order/view.ts';
import { appError } from '../src/errors/app-error.ts';
import type { OrderService } from '../src/orders/order-service.ts';
import { failure, onEvent, type EventTable } from './events.ts';
import { rooms } from './rooms.ts';
import { orderRef } from './schemas.ts';

export interface CustomerEventsDeps {
  readonly orders: OrderService;
  /** Orders one socket may follow at once. */
  readonly maxSubscriptions: number;
}

/**
 * `/customer` (role customer). `order:subscribe` follows one of the customer's own orders: the socket joins the
 * order's room (where the order actor pushes `order:update` and the driver's `driver:location`), and gets the current
 * view in the ack and as an `order:update` at once. The view is read again after joining, so whatever changed before
 * the join is in that view and whatever changes after it arrives as a push: a client that subscribes again after a
 * reconnect always ends with the latest view (views carry `version`; keep the highest).
 */
export function customerEvents(deps: CustomerEventsDeps): EventTable {
  return {
    'order:subscribe': onEvent(orderRef, async ({ orderId }, { socket, principal }) => {
      const room = rooms.order(orderId);
      const following = [...socket.rooms].filter((r) => r.startsWith(rooms.order(''))).length;
      if (!socket.rooms.has(room) && following >= deps.maxSubscriptions) {
        return failure(appError('CONFLICT', `A connection follows at most ${deps.maxSubscriptions} orders; unsubscribe from one first`));
      }
      const allowed = await deps.orders.get(principal, orderId);
      if (!allowed.ok) return failure(allowed.error);
      if (!socket.connected) return failure(appError('UNAVAILABLE', 'The connection closed'));
      await socket.join(room);
      const again = await deps.orders.get(principal, orderId);
      const view = again.ok ? newer(again.value, allowed.value) : allowed.value;
      socket.emit('order:update', view);
      return { ok: true, order: view };
    }),
    'order:unsubscribe': onEvent(orderRef, async ({ orderId }, { socket }) => {
      await socket.leave(rooms.order(orderId));
      return { ok: true, orderId };
    }),
  };
}

function newer(a: OrderView, b: OrderView): OrderView {
  return a.version >= b.version ? a : b;
}
