import { Counter, Histogram, type Registry } from 'prom-client';
import type { Pool, PoolClient } from '../../db/pool.ts';
import type { Logger } from '../../observability/logger.ts';
import { err, ok } from '../../shared/result.ts';
import { ORDER_EVENTS_TOPIC } from '../outbox/message.ts';
import type { AppendError, Appended, AppendRequest, AppendResult, BeforeCommit, EventStore, StoredEvent } from './event-store.ts';
import { causationKey, planGroup, prepareAppend, type Decision, type PreparedAppend } from './plan.ts';

/** What a `beforeCommit` hook of the Postgres store gets: the append's transaction, for queries only. */
export type PgTransaction = Pick<PoolClient, 'query'>;

export interface PgEventStoreOptions {
  /** Appends written in one transaction at most; the rest wait for the next group. @default 500 */
  readonly maxGroupSize?: number;
  /** Group transactions in flight at once, each on its own pool connection. @default 2 */
  readonly maxConcurrentGroups?: number;
  readonly log?: Logger;
  /** Where `event_store_*` metrics go; none when absent. */
  readonly metrics?: Registry;
  /**
   * Runs once per group transaction, after the events are written and the per-append hooks ran, with every
   * accepted append and the `context` its request carried — a projection writes all its rows in a few multi-row
   * statements instead of a round trip per append. If it throws, the group is retried append by append.
   */
  readonly beforeCommitGroup?: (tx: PgTransaction, appended: readonly { appended: Appended; context: unknown }[]) => Promise<void>;
}

/**
 * First key of the two-int advisory locks that serialise writers of one order stream (second key:
 * `hashtext(order id)`). Transaction-scoped: released by COMMIT/ROLLBACK, or when the connection dies. Passed to the
 * SQL function `order_events_lock_and_read`, which takes them.
 */
export const ORDER_STREAM_LOCK_CLASS = 7301;

/**
 * The event store on Postgres (tables `order_events`, `order_commands`, `outbox`), with group commit.
 *
 * Group commit: appends requested within one event-loop turn are queued and written by one transaction
 * (up to `maxGroupSize`; later ones form the next group, at most `maxConcurrentGroups` in flight). The group
 * 1. takes a transaction-scoped advisory lock per stream in the group, in hash order (two groups never
 *    deadlock; every writer of a stream — in this process or another worker — waits for the one before it);
 * 2. reads, after the locks, each stream's version (max seq) and which of the group's causation ids the
 *    streams already applied (1 and 2 are one round trip: the function `order_events_lock_and_read`);
 * 3. decides each append in arrival order (`planGroup`): DUPLICATE, CONFLICT, or append at the next seqs;
 * 4. writes every accepted append's events, outbox rows and command rows with one multi-row INSERT
 *    (`unnest` of column arrays) per table, in one statement;
 * 5. runs the accepted appends' `beforeCommit` hooks in order, then commits.
 * Each caller gets its own result. Rejections are values and do not disturb the others. A throwing hook rolls
 * the group back and the group runs again without that append (whose caller gets the hook's error); any
 * other failure rolls back and each append is retried alone in its own transaction, so an unexpected error
 * reaches only the append that caused it. Retrying is safe because a committed append is recognised by its
 * causation id (DUPLICATE) if a COMMIT's outcome was lost.
 */
export function pgEventStore(pool: Pool, options: PgEventStoreOptions = {}): EventStore<PgTransaction> {
  const maxGroupSize = options.maxGroupSize ?? 500;
  const maxConcurrentGroups = options.maxConcurrentGroups ?? 2;
  const log = options.log;
  const metrics = options.metrics ? storeMetrics(options.metrics) : undefined;

  interface Pending {
    readonly append: PreparedAppend;
    readonly hook: BeforeCommit<PgTransaction> | undefined;
    readonly context: unknown;
    readonly resolve: (result: AppendResult) => void;
    readonly reject: (error: unknown) => void;
  }

  const queue: Pending[] = [];
  let scheduled = false;
  let inFlight = 0;

  const schedule = (): void => {
    if (scheduled || queue.length === 0 || inFlight >= maxConcurrentGroups) return;
    scheduled = true;
    // setImmediate runs after the current turn's I/O callbacks and microtasks: everything requested in this
    // turn joins the group.
    setImmediate(startGroups);
  };

  const startGroups = (): void => {
    scheduled = false;
    while (queue.length > 0 && inFlight < maxConcurrentGroups) {
      const group = queue.splice(0, maxGroupSize);
      inFlight += 1;
      metrics?.groupSize.observe(group.length);
      void runGroup(group).finally(() => {
        inFlight -= 1;
        schedule();
      });
    }
  };

  /** Settles every member; never rejects. */
  const runGroup = async (group: readonly Pending[]): Promise<void> => {
    let members = group;
    while (members.length > 0) {
      let outcome: GroupOutcome;
      try {
        outcome = await commitGroup(
          pool,
          members.map((m) => m.append),
          members.map((m) => m.hook),
          options.beforeCommitGroup && ((tx, accepted) => options.beforeCommitGroup?.(tx, accepted.map(({ index, appended }) => ({ appended, context: members[index]?.context }))) ?? Promise.resolve()),
        );
      } catch (error) {
        if (members.length === 1) {
          members[0]?.reject(error);
          metrics?.appends.inc({ outcome: 'error' });
          return;
        }
        log?.warn({ err: error, appends: members.length }, 'event store group commit failed; retrying its appends one by one');
        for (const m of members) await runGroup([m]);
        return;
      }
      if (outcome.kind === 'hook-failed') {
        const failed = members[outcome.index];
        failed?.reject(outcome.error);
        metrics?.appends.inc({ outcome: 'error' });
        members = members.filter((_, i) => i !== outcome.index);
        continue;
      }
      members.forEach((m, i) => {
        const d = outcome.decisions[i];
        if (!d) return m.reject(new Error('event store: no decision for an append'));
        const result: AppendResult = d.kind === 'append' ? ok({ version: d.appended.version }) : err(d.error);
        metrics?.appends.inc({ outcome: d.kind === 'append' ? 'appended' : outcomeLabel(d.error) });
        m.resolve(result);
      });
      return;
    }
  };

  return {
    append(streamId, request: AppendRequest<PgTransaction>) {
      return new Promise<AppendResult>((resolve, reject) => {
        // A malformed request fails here, alone, before it can join a group.
        const append = prepareAppend(streamId, request);
        queue.push({ append, hook: request.beforeCommit, context: request.context, resolve, reject });
        schedule();
      });
    },

    async read(streamId, { fromVersion = 0 } = {}) {
      const { rows } = await pool.query<EventRow>({ name: 'order_events_read', text: READ_SQL, values: [streamId, fromVersion] });
      return rows.map(toStoredEvent);
    },
  };
}

type GroupOutcome = { kind: 'committed'; decisions: Decision[] } | { kind: 'hook-failed'; index: number; error: unknown };

async function commitGroup(
  pool: Pool,
  appends: readonly PreparedAppend[],
  hooks: readonly (BeforeCommit<PgTransaction> | undefined)[],
  groupHook: ((tx: PgTransaction, accepted: readonly { index: number; appended: Appended }[]) => Promise<void>) | undefined,
): Promise<GroupOutcome> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      const streamIds = [...new Set(appends.map((a) => a.streamId))];
      const state = await client.query<{ order_id: string; causation_id: string | null; version: number; now: Date }>({
        name: 'order_events_lock_and_read',
        text: LOCK_AND_READ_SQL,
        values: [ORDER_STREAM_LOCK_CLASS, streamIds, appends.map((a) => a.streamId), appends.map((a) => a.causationId)],
      });
      const recordedAt = (state.rows[0]?.now ?? new Date(NaN)).toISOString();
      const versions = new Map<string, number>();
      const causations = new Map<string, number>();
      for (const row of state.rows) {
        if (row.causation_id === null) versions.set(row.order_id, row.version);
        else causations.set(causationKey(row.order_id, row.causation_id), row.version);
      }

      const decisions = planGroup(appends, { versions, causations }, recordedAt);
      const accepted = decisions.flatMap((d, index) => (d.kind === 'append' ? [{ index, appended: d.appended }] : []));
      if (accepted.length > 0) await client.query({ name: 'order_events_insert', text: INSERT_SQL, values: insertValues(accepted, appends) });

      for (const { index, appended } of accepted) {
        const hook = hooks[index];
        if (!hook) continue;
        try {
          await hook(client, appended);
        } catch (error) {
          await client.query('ROLLBACK');
          return { kind: 'hook-failed', index, error };
        }
      }
      if (groupHook && accepted.length > 0) await groupHook(client, accepted);
      await client.query('COMMIT');
      return { kind: 'committed', decisions };
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        // The connection is unusable (or the outcome unknown): do not give it back to the pool.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    }
  } finally {
    client.release(broken);
  }
}

/** The INSERT's column arrays: one entry per event (events and outbox) and one per command. */
function insertValues(accepted: readonly { index: number; appended: Appended }[], appends: readonly PreparedAppend[]): unknown[] {
  const orderIds: string[] = [];
  const seqs: number[] = [];
  const eventIds: string[] = [];
  const types: string[] = [];
  const data: string[] = [];
  const causationIds: string[] = [];
  const occurredAt: string[] = [];
  const commandOrderIds: string[] = [];
  const commandCausationIds: string[] = [];
  const commandVersions: number[] = [];
  for (const { index, appended } of accepted) {
    const prepared = appends[index];
    appended.events.forEach((e, i) => {
      orderIds.push(e.streamId);
      seqs.push(e.seq);
      eventIds.push(e.eventId);
      types.push(e.type);
      data.push(prepared?.events[i]?.dataJson ?? JSON.stringify(e.data));
      causationIds.push(e.causationId);
      occurredAt.push(e.occurredAt);
    });
    commandOrderIds.push(appended.streamId);
    commandCausationIds.push(appended.causationId);
    commandVersions.push(appended.version);
  }
  return [orderIds, seqs, eventIds, types, data, causationIds, occurredAt, ORDER_EVENTS_TOPIC, commandOrderIds, commandCausationIds, commandVersions];
}

interface EventRow {
  order_id: string;
  seq: number;
  event_id: string;
  event_type: string;
  data: unknown;
  causation_id: string;
  occurred_at: Date;
  recorded_at: Date;
}

const toStoredEvent = (r: EventRow): StoredEvent => ({
  streamId: r.order_id,
  seq: r.seq,
  eventId: r.event_id,
  type: r.event_type,
  data: r.data,
  causationId: r.causation_id,
  occurredAt: r.occurred_at.toISOString(),
  recordedAt: r.recorded_at.toISOString(),
});

const outcomeLabel = (e: AppendError): string => (e.code === 'CONFLICT' ? 'conflict' : 'duplicate');

/** Get-or-create, so several stores (tests, benchmarks) can share one registry. */
function storeMetrics(registry: Registry) {
  const registers = [registry];
  const groupSize =
    (registry.getSingleMetric('event_store_group_size') as Histogram | undefined) ??
    new Histogram({
      name: 'event_store_group_size',
      help: 'Appends written by one group-commit transaction',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers,
    });
  const appends =
    (registry.getSingleMetric('event_store_appends_total') as Counter<'outcome'> | undefined) ??
    new Counter({
      name: 'event_store_appends_total',
      help: 'Appends settled, by outcome (appended, conflict, duplicate, error)',
      labelNames: ['outcome'] as const,
      registers,
    });
  return { groupSize, appends };
}

// Locks the group's streams in a fixed (hash) order, then — with a snapshot taken after the locks, so it sees the
// previous writer's commit — reads each stream's version (rows with causation_id NULL) and the group's causation ids
// already applied: migrations/1763700400000_event-store-lock-and-read.sql.
const LOCK_AND_READ_SQL = 'SELECT order_id, causation_id, version, now FROM order_events_lock_and_read($1::int, $2::text[], $3::text[], $4::text[])';

// One statement, one multi-row INSERT per table. Outbox ids follow the input order (ORDER BY n), which puts
// each order's rows in seq order; across transactions the stream lock orders them.
const INSERT_SQL = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::int[], $3::uuid[], $4::text[], $5::jsonb[], $6::text[], $7::text[])
    WITH ORDINALITY AS t(order_id, seq, event_id, event_type, data, causation_id, occurred_at, n)
), events AS (
  INSERT INTO order_events (order_id, seq, event_id, event_type, data, causation_id, occurred_at)
  SELECT order_id, seq, event_id, event_type, data, causation_id, occurred_at::timestamptz FROM input ORDER BY n
), messages AS (
  INSERT INTO outbox (event_id, topic, message_key, payload, headers)
  SELECT event_id, $8::text, order_id,
         jsonb_build_object('eventId', event_id, 'eventType', event_type, 'orderId', order_id, 'seq', seq,
                            'occurredAt', occurred_at, 'data', data),
         jsonb_build_object('eventType', event_type)
  FROM input ORDER BY n
), commands AS (
  INSERT INTO order_commands (order_id, causation_id, version)
  SELECT * FROM unnest($9::text[], $10::text[], $11::int[])
)
SELECT 1`;

const READ_SQL = `
SELECT order_id, seq, event_id, event_type, data, causation_id, occurred_at, recorded_at
FROM order_events WHERE order_id = $1 AND seq > $2 ORDER BY seq`;
