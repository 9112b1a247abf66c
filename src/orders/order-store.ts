import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { parseAddress, type ShardId } from '../../actors/address.ts';
import type { RuntimeKeys } from '../../actors/keys.ts';
import type { ActorRecord, ActorStore } from '../../actors/store.ts';
import { NO_ENTRY } from '../../actors/stream-id.ts';
import { evolve, initialOrderState, view } from '../../machines/order/decider.ts';
import type { OrderEvent } from '../../machines/order/events.ts';
import type { Pool } from '../db/pool.ts';
import type { EventStore, PgTransaction } from './event-store/index.ts';
import type { OrderActorState } from './order-actor.ts';
import type { OrderCommitContext } from './order-projection.ts';
import type { OrderReadModel } from './read-model.ts';

/**
 * Persistence of order actors: their events in the Postgres event store are the truth. A commit appends the
 * command's events at the version it was decided on (optimistic concurrency is the fence: a stale writer gets a
 * conflict and decides again on what is stored), and in the same transaction the outbox rows, the actor's runtime
 * bookkeeping and the `orders` read row (the event store must be created with `beforeCommitGroup: projectOrders`).
 * Only then are the inbox entries acknowledged and the Redis read model refreshed. Loading folds the events; nothing
 * else is needed to rebuild an order.
 */
export function orderActorStore(deps: { pool: Pool; events: EventStore<PgTransaction>; redis: Redis; keys: RuntimeKeys; readModel: OrderReadModel }): ActorStore {
  const { pool, events, redis, keys } = deps;
  const orderIdOf = (address: string) => {
    const parsed = parseAddress(address);
    if (!parsed || parsed.kind !== 'order') throw new TypeError(`not an order address: ${address}`);
    return parsed.id;
  };
  const ackAll = async (shard: ShardId, ackIds: readonly string[]) => {
    if (ackIds.length > 0) await redis.xack(keys.inbox(shard), keys.group, ...ackIds);
  };
  return {
    async load(_shard, address) {
      const orderId = orderIdOf(address);
      const [stored, bookkeeping] = await Promise.all([
        events.read(orderId),
        pool.query<{ applied_through: string; recent_ids: string[]; outbox: ActorRecord['outbox'] }>(
          'SELECT applied_through, recent_ids, outbox FROM order_actors WHERE order_id = $1',
          [orderId],
        ),
      ]);
      const row = bookkeeping.rows[0];
      if (stored.length === 0 && !row) return null;
      const order = stored.reduce((s, e) => evolve(s, { type: e.type, at: e.occurredAt, data: e.data } as OrderEvent), initialOrderState());
      const state: OrderActorState = { order, pending: null };
      return { state, appliedThrough: row?.applied_through ?? NO_ENTRY, recentIds: row?.recent_ids ?? [], outbox: row?.outbox ?? [] };
    },
    async acknowledge({ shard, ackIds, record }) {
      // Orders are fenced by their stream version, not the lease; an unchanged order has nothing to fence. The Redis
      // copy is refreshed though: a worker that died between a commit and its refresh left it behind the events, and
      // the command it had not acknowledged comes back here, as a duplicate, on the next owner.
      const v = view((record.state as OrderActorState).order);
      await Promise.all([v ? deps.readModel.cache(v) : undefined, ackAll(shard, ackIds)]);
      return 'acknowledged';
    },
    async commit(c) {
      const orderId = orderIdOf(c.address);
      const state = c.record.state as OrderActorState;
      const pending = state.pending;
      if (pending && pending.events.length > 0) {
        const v = view(state.order);
        const context: OrderCommitContext = {
          orderId,
          version: state.order.version,
          appliedThrough: c.record.appliedThrough,
          recentIds: c.record.recentIds,
          outbox: c.record.outbox,
          view: v,
        };
        const appended = await events.append(orderId, {
          expectedVersion: state.order.version - pending.events.length,
          causationId: pending.causationId,
          events: pending.events.map((e, i) => ({ eventId: uuidFrom(`${orderId}|${pending.causationId}|${i}`), type: e.type, data: e.data, occurredAt: e.at })),
          // Bookkeeping and read row are written by the store's group hook (projectOrders), in this transaction.
          context,
        });
        if (!appended.ok) return 'conflict';
        // The events are committed: the Redis copy and the acknowledgement go out together (one round trip).
        await Promise.all([v ? deps.readModel.cache(v) : undefined, ackAll(c.shard, c.ackIds)]);
        return 'committed';
      }
      await ackAll(c.shard, c.ackIds);
      return 'committed';
    },
  };
}

/** A UUID (version-5 layout) derived from text: the same command's events keep their ids on a retry. */
export function uuidFrom(text: string): string {
  const h = createHash('sha1').update(text).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
