import { systemClock, type Clock } from '../../shared/clock.ts';
import { ok, err } from '../../shared/result.ts';
import { orderEventMessage, type OutboxMessage } from '../outbox/message.ts';
import type { AppendResult, EventStore, StoredEvent } from './event-store.ts';
import { causationKey, planGroup, prepareAppend } from './plan.ts';

/**
 * The transaction handle an in-memory `beforeCommit` hook gets: what it stages is applied only if the append
 * commits, at the same moment as the events (the in-memory counterpart of writing through the pg client).
 */
export interface MemoryTransaction {
  onCommit(apply: () => void): void;
}

export interface MemoryEventStore extends EventStore<MemoryTransaction> {
  /** Every outbox message written so far, oldest first (what a relay would publish). */
  outbox(): readonly OutboxMessage[];
}

/**
 * The event store in process memory, for tests of the actor host and machines without Postgres. It passes the
 * same contract suite as the Postgres store; appends are applied one at a time, in call order.
 */
export function memoryEventStore(options: { clock?: Clock } = {}): MemoryEventStore {
  const clock = options.clock ?? systemClock;
  const streams = new Map<string, StoredEvent[]>();
  const versions = new Map<string, number>();
  const causations = new Map<string, number>();
  const outbox: OutboxMessage[] = [];
  let tail: Promise<unknown> = Promise.resolve();

  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const next = tail.then(run);
    tail = next.catch(() => undefined);
    return next;
  };

  return {
    append(streamId, request) {
      return serial(async (): Promise<AppendResult> => {
        const prepared = prepareAppend(streamId, request);
        const [decision] = planGroup([prepared], { versions, causations }, new Date(clock.now()).toISOString());
        if (!decision) throw new Error('planGroup returned no decision');
        if (decision.kind === 'reject') return err(decision.error);
        const { appended } = decision;
        const staged: (() => void)[] = [];
        await request.beforeCommit?.({ onCommit: (apply) => void staged.push(apply) }, appended);
        // Commit: nothing above touched the store, so a throwing hook left it as it was.
        const events = streams.get(streamId) ?? [];
        // Stored as the Postgres store would return them: a JSON copy, not the caller's object.
        events.push(...appended.events.map((e, i) => ({ ...e, data: JSON.parse(prepared.events[i]?.dataJson ?? 'null') as unknown })));
        streams.set(streamId, events);
        versions.set(streamId, appended.version);
        causations.set(causationKey(streamId, prepared.causationId), appended.version);
        for (const e of appended.events) {
          outbox.push(orderEventMessage({ eventId: e.eventId, eventType: e.type, orderId: streamId, seq: e.seq, occurredAt: e.occurredAt, data: e.data }));
        }
        for (const apply of staged) apply();
        return ok({ version: appended.version });
      });
    },

    async read(streamId, { fromVersion = 0 } = {}) {
      return (streams.get(streamId) ?? []).filter((e) => e.seq > fromVersion);
    },

    outbox: () => outbox,
  };
}
