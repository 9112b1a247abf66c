import { actorAddress } from '../../actors/address.ts';
import type { Effect, MessageMeta } from '../../actors/behavior.ts';
import type { Outbound } from '../../machines/dispatch/protocol.ts';

/** The addresses of the dispatch conversation. */
export const driverAddress = (driverId: string) => actorAddress('driver', driverId);
export const cellAddress = (cell: string) => actorAddress('cell', cell);
export const zoneAddress = (zone: string) => actorAddress('zone', zone);
export const dispatchAddress = (orderId: string) => actorAddress('dispatch', orderId);
export const orderAddress = (orderId: string) => actorAddress('order', orderId);
/** The Socket.IO room of one driver's app (CONTRACT.md `/driver`). */
export const driverRoom = (driverId: string) => `driver:${driverId}`;

/**
 * Turns what a dispatch machine wants done into runtime effects. `respond` answers the sender of the current
 * message: a reply to an asker (the benchmarks and tools), a message to an actor (the dispatcher), nothing for a
 * sender-less tell.
 */
export function runtimeEffects(outbound: readonly Outbound[], meta: MessageMeta): Effect[] {
  const effects: Effect[] = [];
  for (const o of outbound) {
    switch (o.type) {
      case 'toCell':
        effects.push({ type: 'send', to: cellAddress(o.cell), body: o.body });
        break;
      case 'toZone':
        effects.push({ type: 'send', to: zoneAddress(o.zone), body: o.body });
        break;
      case 'toDriver':
        effects.push({ type: 'send', to: driverAddress(o.driverId), body: o.body });
        break;
      case 'toDispatch':
        effects.push({ type: 'send', to: dispatchAddress(o.orderId), body: o.body });
        break;
      case 'toOrder':
        effects.push({ type: 'send', to: orderAddress(o.orderId), body: o.body });
        break;
      case 'respond':
        if (meta.isAsk) effects.push({ type: 'reply', body: o.body });
        else if (meta.from) effects.push({ type: 'send', to: meta.from, body: o.body });
        break;
      case 'reply':
        effects.push({ type: 'reply', body: o.body });
        break;
      case 'pushDriver':
        effects.push({ type: 'push', namespace: '/driver', rooms: [driverRoom(o.driverId)], event: o.push.event, data: o.push.data });
        break;
      case 'pushOrderFollowers':
        effects.push({ type: 'push', namespace: '/customer', rooms: [`order:${o.orderId}`], event: 'driver:location', data: o.location });
        break;
      case 'schedule':
        effects.push({ type: 'schedule', timerId: o.timerId, delayMs: o.delayMs, body: o.body });
        break;
      case 'cancel':
        effects.push({ type: 'cancel', timerId: o.timerId });
        break;
      default: {
        const _exhaustive: never = o;
        return _exhaustive;
      }
    }
  }
  return effects;
}
