import { z } from 'zod';
import type { ActorBehavior } from '../../actors/behavior.ts';
import type { FindDriver } from '../../machines/dispatch/protocol.ts';
import { dispatchAddress } from '../../src/dispatch/effects.ts';
import { err, ok } from '../../src/shared/result.ts';

/**
 * A stand-in for the order actor in dispatch tests and benchmarks (kind `order`): on `Start` it sends FindDriver to
 * `dispatch:<orderId>` exactly as the real order does, and it records every AssignDriver / ReportDispatchFailed it
 * receives, with the host time, so a test can check each order got exactly one outcome. Like the real order, it
 * pushes `assignment` to the driver once it has recorded an AssignDriver (with the pickup and drop-off of its last
 * `Start`, when it had one).
 */
export interface RecordedOrder {
  readonly finds: readonly { readonly attempt: number; readonly at: number }[];
  readonly assigned: readonly { readonly driverId: string; readonly eta: string | null; readonly at: number }[];
  readonly failed: readonly { readonly reason: string; readonly at: number }[];
  readonly trip?: { readonly restaurantId: string; readonly pickup: { lat: number; lng: number }; readonly dropoff: { lat: number; lng: number } };
}

const point = z.object({ lat: z.number(), lng: z.number() });
const messageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Start'), restaurantId: z.string(), attempt: z.number().int().positive(), pickup: point, dropoff: point }),
  z.object({ type: z.literal('Cancel') }),
  z.object({ type: z.literal('AssignDriver'), driverId: z.string(), offerId: z.string(), eta: z.string().optional() }),
  z.object({ type: z.literal('ReportDispatchFailed'), reason: z.string() }),
]);
export type RecordedOrderMessage = z.infer<typeof messageSchema>;

export const orderRecorderBehavior: ActorBehavior<RecordedOrder & { orderId: string }, RecordedOrderMessage> = {
  kind: 'order',
  parse: (body) => {
    const parsed = messageSchema.safeParse(body);
    return parsed.success ? ok(parsed.data) : err(parsed.error.issues[0]?.message ?? 'invalid');
  },
  initialState: (orderId) => ({ orderId, finds: [], assigned: [], failed: [] }),
  decide(state, message, meta) {
    switch (message.type) {
      case 'Start': {
        const find: FindDriver = {
          type: 'FindDriver',
          orderId: state.orderId,
          restaurantId: message.restaurantId,
          attempt: message.attempt,
          pickup: message.pickup,
          dropoff: message.dropoff,
          requestedAt: new Date(meta.now).toISOString(),
        };
        return {
          state: {
            ...state,
            finds: [...state.finds, { attempt: message.attempt, at: meta.now }],
            trip: { restaurantId: message.restaurantId, pickup: message.pickup, dropoff: message.dropoff },
          },
          effects: [{ type: 'send', to: dispatchAddress(state.orderId), body: find }],
        };
      }
      case 'Cancel':
        return { state, effects: [{ type: 'send', to: dispatchAddress(state.orderId), body: { type: 'CancelSearch', orderId: state.orderId } }] };
      case 'AssignDriver': {
        const { trip } = state;
        const assignment = {
          offerId: message.offerId,
          orderId: state.orderId,
          ...(trip ? { restaurant: { restaurantId: trip.restaurantId, location: trip.pickup }, dropoff: { location: trip.dropoff } } : {}),
        };
        return {
          state: { ...state, assigned: [...state.assigned, { driverId: message.driverId, eta: message.eta ?? null, at: meta.now }] },
          effects: [{ type: 'push', namespace: '/driver', rooms: [`driver:${message.driverId}`], event: 'assignment', data: assignment }],
        };
      }
      case 'ReportDispatchFailed':
        return { state: { ...state, failed: [...state.failed, { reason: message.reason, at: meta.now }] }, effects: [] };
      default: {
        const _exhaustive: never = message;
        return _exhaustive;
      }
    }
  },
};
