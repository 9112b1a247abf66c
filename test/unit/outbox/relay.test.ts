import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../../src/db/pool.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { pgEventStore, type EventStore, type PgTransaction } from '../../../src/orders/event-store/index.ts';
import {
  OUTBOX_RELAY_LOCK,
  outboxBacklog,
  purgePublished,
  recordingSink,
  registerOutboxBacklogGauge,
  relayBatch,
  startOutboxRelay,
  type OrderEventPayload,
  type OutboxMessage,
  type OutboxRelay,
  type OutboxSink,
} from '../../../src/orders/outbox/index.ts';
import { manualClock } from '../../../src/shared/clock.ts';
import { freshDatabase } from '../../support/database.ts';

const log = createLogger({ name: 'outbox-test', level: 'silent' });
let db: Awaited<ReturnType<typeof freshDatabase>>;
let pool: Pool;
let store: EventStore<PgTransaction>;
const relays: OutboxRelay[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  pool = createPool(db.url, { max: 12, applicationName: 'outbox-test' });
  store = pgEventStore(pool);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

// The outbox is one table: each test starts from an empty one and stops the relays it started.
beforeEach(async () => {
  await pool.query('TRUNCATE outbox');
});
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
});

const start = (options: Omit<Parameters<typeof startOutboxRelay>[0], 'pool' | 'log'>): OutboxRelay => {
  const relay = startOutboxRelay({ pool, log, ...options });
  relays.push(relay);
  return relay;
};

/** Appends `perOrder` single-event commands to each of `orders` new orders, round-robin, so keys interleave in the outbox. */
async function appendOrders(orders: number, perOrder: number): Promise<string[]> {
  const ids = Array.from({ length: orders }, () => `ORD-${randomUUID()}`);
  for (let seq = 1; seq <= perOrder; seq++) {
    const results = await Promise.all(
      ids.map((id) =>
        store.append(id, {
          expectedVersion: seq - 1,
          causationId: `cmd-${seq}`,
          events: [{ eventId: randomUUID(), type: `Step${seq}`, data: { seq }, occurredAt: '2025-11-21T10:00:00.000Z' }],
        }),
      ),
    );
    if (!results.every((r) => r.ok)) throw new Error('setup append failed');
  }
  return ids;
}

const payloads = (messages: readonly OutboxMessage[]): OrderEventPayload[] => messages.map((m) => JSON.parse(m.value) as OrderEventPayload);

/** Per key, the seqs in the order they were published. */
const seqsByKey = (messages: readonly OutboxMessage[]): Map<string, number[]> => {
  const byKey = new Map<string, number[]>();
  for (const p of payloads(messages)) byKey.set(p.orderId, [...(byKey.get(p.orderId) ?? []), p.seq]);
  return byKey;
};

async function waitFor(probe: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A sink that throws while `down` is set, and otherwise passes batches on. */
function switchableSink(inner: OutboxSink) {
  let calls = 0;
  return {
    down: true,
    get calls() {
      return calls;
    },
    async publish(messages: readonly OutboxMessage[]) {
      calls += 1;
      if (this.down) throw Object.assign(new Error('broker unavailable'), { code: 'BROKER_DOWN' });
      await inner.publish(messages);
    },
  };
}

/** Slows every publish a little so that relays running side by side really overlap. */
function slowSink(inner: OutboxSink, ms: number): OutboxSink {
  return {
    async publish(messages) {
      await new Promise((r) => setTimeout(r, Math.random() * ms));
      await inner.publish(messages);
    },
  };
}

describe('outbox relay', () => {
  it('given pending rows, when a batch runs, then they are published once in id order with key, payload and header, and marked published', async () => {
    const ids = await appendOrders(3, 2);
    const sink = recordingSink();
    const clock = manualClock(Date.parse('2025-11-21T12:00:00.000Z'));

    expect(await relayBatch(pool, sink, { batchSize: 100, clock })).toEqual({ status: 'published', count: 6 });
    expect(await relayBatch(pool, sink, { batchSize: 100, clock })).toEqual({ status: 'published', count: 0 });

    expect(sink.messages).toHaveLength(6);
    expect(sink.messages.map((m) => m.key)).toEqual([...ids, ...ids]);
    expect(payloads(sink.messages).map((p) => [p.orderId, p.seq, p.eventType])).toEqual([
      ...ids.map((id) => [id, 1, 'Step1']),
      ...ids.map((id) => [id, 2, 'Step2']),
    ]);
    expect(sink.messages[0]).toMatchObject({ topic: 'order_events', headers: { eventType: 'Step1' } });
    const rows = await pool.query<{ published_at: Date | null }>('SELECT published_at FROM outbox ORDER BY id');
    expect(rows.rows.map((r) => r.published_at?.toISOString())).toEqual(Array(6).fill('2025-11-21T12:00:00.000Z'));
    expect(await outboxBacklog(pool)).toBe(0);
  });

  it('given rows published at different times and some pending, when published rows past retention are purged, then only those are deleted', async () => {
    await appendOrders(4, 1);
    const sink = recordingSink();
    const old = Date.parse('2025-11-01T00:00:00.000Z');
    expect(await relayBatch(pool, sink, { batchSize: 2, clock: manualClock(old) })).toEqual({ status: 'published', count: 2 });
    expect(await relayBatch(pool, sink, { batchSize: 1, clock: manualClock(old + 10 * 24 * 3600_000) })).toEqual({ status: 'published', count: 1 });
    await appendOrders(1, 1);

    expect(await purgePublished(pool, old + 7 * 24 * 3600_000, 1)).toBe(2);
    const left = await pool.query<{ published_at: Date | null }>('SELECT published_at FROM outbox ORDER BY id');
    expect(left.rows.map((r) => r.published_at?.toISOString() ?? null)).toEqual(['2025-11-11T00:00:00.000Z', null, null]);
    expect(await outboxBacklog(pool)).toBe(2);
  });

  it('given a relay with a short retention, when it runs, then it deletes what it published once that is old enough', async () => {
    await appendOrders(3, 1);
    const clock = manualClock(Date.parse('2025-11-21T12:00:00.000Z'));
    start({ sink: recordingSink(), clock, pollMs: 10, retentionMs: 60_000, purgeEveryMs: 0 });
    await expect.poll(async () => (await pool.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NOT NULL')).rows[0]?.n).toBe(3);
    clock.advance(61_000);
    await expect.poll(async () => (await pool.query('SELECT count(*)::int AS n FROM outbox')).rows[0]?.n).toBe(0);
  });

  it('given more rows than the batch size, then batches take the oldest rows first', async () => {
    await appendOrders(5, 2);
    const sink = recordingSink();
    expect(await relayBatch(pool, sink, { batchSize: 4 })).toEqual({ status: 'published', count: 4 });
    expect(await outboxBacklog(pool)).toBe(6);
    expect(await relayBatch(pool, sink, { batchSize: 4 })).toEqual({ status: 'published', count: 4 });
    expect(await relayBatch(pool, sink, { batchSize: 4 })).toEqual({ status: 'published', count: 2 });
    const { rows } = await pool.query<{ event_id: string }>('SELECT event_id FROM outbox ORDER BY id');
    expect(payloads(sink.messages).map((p) => p.eventId)).toEqual(rows.map((r) => r.event_id));
    expect(sink.batches).toBe(3);
  });

  it('given another relay holds the lease, then a batch stands by and publishes nothing', async () => {
    await appendOrders(2, 1);
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1::int, $2::int)', [...OUTBOX_RELAY_LOCK]);
      const sink = recordingSink();
      expect(await relayBatch(pool, sink)).toEqual({ status: 'standby' });
      expect(sink.messages).toEqual([]);
      expect(await outboxBacklog(pool)).toBe(2);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
  });

  it('given a failing sink, when a batch runs, then it rejects and the rows stay pending', async () => {
    await appendOrders(2, 2);
    const sink = switchableSink(recordingSink());
    await expect(relayBatch(pool, sink)).rejects.toMatchObject({ code: 'BROKER_DOWN' });
    expect(await outboxBacklog(pool)).toBe(4);
    expect((await pool.query('SELECT 1 FROM outbox WHERE published_at IS NOT NULL')).rowCount).toBe(0);
  });

  it('given the sink is down, when the relay runs, then rows wait, and once it recovers they go out exactly once, in order', async () => {
    const ids = await appendOrders(4, 3);
    const recorded = recordingSink();
    const sink = switchableSink(recorded);
    const metrics = new Registry();
    start({ sink, pollMs: 5, maxBackoffMs: 40, batchSize: 5, metrics });

    await waitFor(async () => sink.calls >= 3, 'a few failed attempts');
    expect(recorded.messages).toEqual([]);
    expect(await outboxBacklog(pool)).toBe(12);

    sink.down = false;
    await waitFor(async () => (await outboxBacklog(pool)) === 0, 'the backlog to drain');

    expect(recorded.messages).toHaveLength(12);
    expect(new Set(payloads(recorded.messages).map((p) => p.eventId)).size).toBe(12);
    for (const id of ids) expect(seqsByKey(recorded.messages).get(id)).toEqual([1, 2, 3]);
    const failures = await metrics.getSingleMetric('outbox_publish_failures_total')?.get();
    expect(failures?.values[0]?.value).toBeGreaterThanOrEqual(3);
    const published = await metrics.getSingleMetric('outbox_published_total')?.get();
    expect(published?.values[0]?.value).toBe(12);
  });

  it('given two relays running side by side over 1,000 rows (some written while they run), then each row is published exactly once and every order’s events in seq order', async () => {
    const before = await appendOrders(50, 10); // 500 rows
    const shared = recordingSink();
    start({ sink: slowSink(shared, 4), pollMs: 5, batchSize: 37 });
    start({ sink: slowSink(shared, 4), pollMs: 5, batchSize: 37 });
    const during = await appendOrders(50, 10); // 500 more, while the relays publish

    await waitFor(async () => (await outboxBacklog(pool)) === 0 && shared.messages.length >= 1_000, 'all 1,000 rows');

    expect(shared.messages).toHaveLength(1_000);
    expect(new Set(payloads(shared.messages).map((p) => p.eventId)).size).toBe(1_000);
    const byKey = seqsByKey(shared.messages);
    for (const id of [...before, ...during]) expect(byKey.get(id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('given a stopped relay, then stop waits for the batch in progress and nothing is published afterwards', async () => {
    await appendOrders(3, 1);
    const sink = recordingSink();
    const relay = startOutboxRelay({ pool, log, sink, pollMs: 5 });
    await waitFor(async () => sink.messages.length === 3, 'the first rows');
    await relay.stop();
    await appendOrders(2, 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(sink.messages).toHaveLength(3);
    expect(await outboxBacklog(pool)).toBe(2);
  });
});

describe('outbox metrics', () => {
  it('given a relay with a registry, then outbox_backlog follows the backlog', async () => {
    await appendOrders(3, 1);
    const metrics = new Registry();
    const sink = switchableSink(recordingSink());
    start({ sink, pollMs: 5, maxBackoffMs: 10, backlogEveryMs: 0, metrics });
    const backlog = async () => (await metrics.getSingleMetric('outbox_backlog')?.get())?.values[0]?.value;

    await waitFor(async () => (await backlog()) === 3, 'the gauge to show 3');
    sink.down = false;
    await waitFor(async () => (await backlog()) === 0, 'the gauge to show 0');
  });

  it('given no relay (no Kafka), then registerOutboxBacklogGauge shows the backlog on every scrape', async () => {
    const metrics = new Registry();
    registerOutboxBacklogGauge(metrics, pool, log);
    await appendOrders(2, 2);

    expect(await metrics.metrics()).toMatch(/^outbox_backlog 4$/m);
    await appendOrders(1, 1);
    expect(await metrics.metrics()).toMatch(/^outbox_backlog 5$/m);
  });

  it('given the gauge registered and a relay on the same registry, then nothing is registered twice', async () => {
    const metrics = new Registry();
    registerOutboxBacklogGauge(metrics, pool);
    start({ sink: recordingSink(), pollMs: 5, metrics });
    await appendOrders(1, 1);
    await waitFor(async () => (await outboxBacklog(pool)) === 0, 'the row to go out');
    expect(await metrics.metrics()).toMatch(/^outbox_backlog 0$/m);
    expect(await metrics.metrics()).toMatch(/^outbox_published_total 1$/m);
  });
});
