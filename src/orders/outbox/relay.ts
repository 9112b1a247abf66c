import type { Registry } from 'prom-client';
import type { Pool } from '../../db/pool.ts';
import type { Logger } from '../../observability/logger.ts';
import { systemClock, type Clock } from '../../shared/clock.ts';
import type { OutboxMessage } from './message.ts';
import { outboxBacklog, outboxMetrics } from './metrics.ts';
import type { OutboxSink } from './sink.ts';

export interface OutboxRelayOptions {
  readonly pool: Pool;
  readonly sink: OutboxSink;
  readonly log: Logger;
  /** Stamps `published_at` and paces the backlog gauge. @default systemClock */
  readonly clock?: Clock;
  /** Rows per transaction, i.e. per `sink.publish` call. @default 500 */
  readonly batchSize?: number;
  /** Wait after a batch that was not full, or while another relay holds the lease, in ms. @default 200 */
  readonly pollMs?: number;
  /** Ceiling of the back-off after failures (doubling from `pollMs`), in ms. @default 10_000 */
  readonly maxBackoffMs?: number;
  /** The backlog gauge is refreshed at most this often, in ms. @default 1_000 */
  readonly backlogEveryMs?: number;
  /** Where `outbox_backlog`, `outbox_published_total` and `outbox_publish_failures_total` go. */
  readonly metrics?: Registry;
  /** Published rows are deleted once they are this old, ms (Kafka has them; the table must not grow forever). @default 7 days */
  readonly retentionMs?: number;
  /** How often the relay deletes expired published rows, ms. @default 60_000 */
  readonly purgeEveryMs?: number;
}

export interface OutboxRelay {
  /** Finishes the batch in progress (if any) and stops. */
  stop(): Promise<void>;
}

/**
 * The relay lease: a transaction-scoped advisory lock (two-int form, distinct from the event store's class)
 * that a relay must win at the start of every batch transaction.
 */
export const OUTBOX_RELAY_LOCK: readonly [number, number] = [7302, 1];

export type RelayStep = { readonly status: 'standby' } | { readonly status: 'published'; readonly count: number };

/**
 * One relay step, in one transaction: win the lease, lock the oldest unpublished rows (`ORDER BY id … FOR
 * UPDATE SKIP LOCKED`), publish them in id order, mark them published, commit. If the sink throws, the
 * transaction rolls back, the rows stay pending and the error propagates. `standby`: another relay holds the
 * lease right now.
 *
 * Why a lease per batch rather than relays sharing rows through SKIP LOCKED alone: two relays holding
 * different rows of one order could publish them out of order. With the lease, batches are strictly one after
 * another across all workers, each starting at the oldest pending row, so a key's rows go out in id order,
 * and ids of one key are in commit order (the event store writes a stream's rows under its stream lock). A
 * row is published by the relay that marked it, and the mark commits before the lease is released, so in
 * steady state no row is published twice. A crash between publish and commit republishes that batch (the rare
 * duplicate the contract allows; consumers dedupe by eventId). One batch in flight at a time bounds
 * throughput at about `batchSize` per broker round trip, which is far above the order event rate.
 */
export async function relayBatch(pool: Pool, sink: OutboxSink, options: { batchSize?: number; clock?: Clock } = {}): Promise<RelayStep> {
  const batchSize = options.batchSize ?? 500;
  const clock = options.clock ?? systemClock;
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      const lease = await client.query<{ leader: boolean }>({ name: 'outbox_relay_lease', text: LEASE_SQL });
      if (lease.rows[0]?.leader !== true) {
        await client.query('ROLLBACK');
        return { status: 'standby' };
      }
      const { rows } = await client.query<OutboxRow>({ name: 'outbox_relay_claim', text: CLAIM_SQL, values: [batchSize] });
      if (rows.length > 0) {
        await sink.publish(rows.map(toMessage));
        await client.query({ name: 'outbox_relay_mark', text: MARK_SQL, values: [rows.map((r) => r.id), new Date(clock.now())] });
      }
      await client.query('COMMIT');
      return { status: 'published', count: rows.length };
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    }
  } finally {
    client.release(broken);
  }
}

/**
 * Publishes the outbox until stopped: full batches back to back, otherwise every `pollMs`; after a failure
 * (sink or database) it backs off, doubling up to `maxBackoffMs`, and the rows stay pending until a batch
 * succeeds. Any number of relays (one per worker) may run; one publishes at a time (see `relayBatch`).
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { pool, sink, log } = options;
  const clock = options.clock ?? systemClock;
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollMs ?? 200;
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  const backlogEveryMs = options.backlogEveryMs ?? 1_000;
  const metrics = options.metrics ? outboxMetrics(options.metrics) : undefined;

  const retentionMs = options.retentionMs ?? 7 * 24 * 3600_000;
  const purgeEveryMs = options.purgeEveryMs ?? 60_000;
  let stopped = false;
  let wake: (() => void) | undefined;
  let backlogAt = Number.NEGATIVE_INFINITY;
  let purgedAt = Number.NEGATIVE_INFINITY;

  const purge = async (): Promise<void> => {
    if (clock.now() - purgedAt < purgeEveryMs) return;
    purgedAt = clock.now();
    try {
      const deleted = await purgePublished(pool, clock.now() - retentionMs);
      if (deleted > 0) log.info({ deleted }, 'outbox relay: deleted published rows past retention');
    } catch (error) {
      log.warn({ err: error }, 'outbox relay: could not delete expired rows');
    }
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const refreshBacklog = async (): Promise<void> => {
    if (!metrics || clock.now() - backlogAt < backlogEveryMs) return;
    backlogAt = clock.now();
    try {
      metrics.backlog.set(await outboxBacklog(pool));
    } catch (error) {
      log.debug({ err: error }, 'outbox relay: could not count the backlog');
    }
  };

  const loop = async (): Promise<void> => {
    let failures = 0;
    while (!stopped) {
      let waitMs = pollMs;
      try {
        const step = await relayBatch(pool, sink, { batchSize, clock });
        if (failures > 0) log.info({ failures }, 'outbox relay: publishing again');
        failures = 0;
        if (step.status === 'published') {
          metrics?.published.inc(step.count);
          if (step.count === batchSize) waitMs = 0;
        }
      } catch (error) {
        failures += 1;
        waitMs = Math.min(maxBackoffMs, pollMs * 2 ** failures);
        metrics?.failures.inc();
        log.warn({ err: error, failures, retryInMs: waitMs }, 'outbox relay: batch failed, rows stay pending');
      }
      await refreshBacklog();
      await purge();
      if (waitMs > 0 && !stopped) await sleep(waitMs);
    }
  };

  const running = loop();
  log.info({ batchSize, pollMs }, 'outbox relay started');

  return {
    async stop() {
      stopped = true;
      wake?.();
      await running;
      log.info('outbox relay stopped');
    },
  };
}

/**
 * Deletes rows published before `before` (ms since the Unix epoch), oldest first, in chunks of `chunk` so that no
 * statement holds many locks; unpublished rows are never touched. Returns how many were deleted.
 */
export async function purgePublished(pool: Pool, before: number, chunk = 5_000): Promise<number> {
  let total = 0;
  for (;;) {
    const { rowCount } = await pool.query(PURGE_SQL, [new Date(before), chunk]);
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < chunk) return total;
  }
}

const PURGE_SQL = `
DELETE FROM outbox WHERE id IN (
  SELECT id FROM outbox WHERE published_at IS NOT NULL AND published_at < $1 ORDER BY id LIMIT $2
)`;

interface OutboxRow {
  id: string;
  topic: string;
  message_key: string;
  value: string;
  headers: Record<string, unknown> | null;
}

const toMessage = (r: OutboxRow): OutboxMessage => ({
  topic: r.topic,
  key: r.message_key,
  value: r.value,
  headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])),
});

const LEASE_SQL = `SELECT pg_try_advisory_xact_lock(${OUTBOX_RELAY_LOCK[0]}, ${OUTBOX_RELAY_LOCK[1]}) AS leader`;

const CLAIM_SQL = `
SELECT id, topic, message_key, payload::text AS value, headers
FROM outbox WHERE published_at IS NULL
ORDER BY id LIMIT $1
FOR UPDATE SKIP LOCKED`;

const MARK_SQL = `UPDATE outbox SET published_at = $2 WHERE id = ANY($1::bigint[])`;
