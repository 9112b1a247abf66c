import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../../src/db/pool.ts';
import { ORDER_STREAM_LOCK_CLASS, pgEventStore, type NewEvent, type PgTransaction } from '../../../src/orders/event-store/index.ts';
import type { OutboxMessage } from '../../../src/orders/outbox/index.ts';
import { freshDatabase } from '../../support/database.ts';
import { eventStoreContract } from './contract.ts';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let pool: Pool;

beforeAll(async () => {
  db = await freshDatabase();
  pool = createPool(db.url, { max: 12, applicationName: 'event-store-test' });
  await pool.query('CREATE TABLE contract_marks (id bigserial PRIMARY KEY, stream_id text NOT NULL, mark text NOT NULL)');
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const newStream = (): string => `ORD-${randomUUID()}`;
const event = (type: string, data: unknown = {}): NewEvent => ({ eventId: randomUUID(), type, data, occurredAt: '2025-11-21T10:00:00.000Z' });

/** Transaction ids that wrote these streams' events: one id = one transaction. */
const writers = async (ids: readonly string[]): Promise<string[]> =>
  (await pool.query<{ xid: string }>('SELECT DISTINCT xmin::text AS xid FROM order_events WHERE order_id = ANY($1)', [ids])).rows.map((r) => r.xid);

describe('Postgres event store', () => {
  eventStoreContract<PgTransaction>(async () => ({
    store: pgEventStore(pool),
    outbox: async (streamId) =>
      (
        await pool.query<{ topic: string; message_key: string; value: string; headers: Record<string, string> }>(
          'SELECT topic, message_key, payload::text AS value, headers FROM outbox WHERE message_key = $1 ORDER BY id',
          [streamId],
        )
      ).rows.map((r): OutboxMessage => ({ topic: r.topic, key: r.message_key, value: r.value, headers: r.headers })),
    mark: async (tx, streamId, mark) => void (await tx.query('INSERT INTO contract_marks (stream_id, mark) VALUES ($1, $2)', [streamId, mark])),
    marks: async (streamId) => (await pool.query<{ mark: string }>('SELECT mark FROM contract_marks WHERE stream_id = $1 ORDER BY id', [streamId])).rows.map((r) => r.mark),
  }));

  describe('group commit', () => {
    it('given 50 appends to different streams in one event-loop turn, then they commit in one transaction', async () => {
      const metrics = new Registry();
      const store = pgEventStore(pool, { metrics });
      const ids = Array.from({ length: 50 }, newStream);

      const results = await Promise.all(ids.map((id) => store.append(id, { expectedVersion: 0, causationId: 'place', events: [event('OrderPlaced'), event('PaymentRequested')] })));

      expect(results.every((r) => r.ok)).toBe(true);
      expect(await writers(ids)).toHaveLength(1);
      const text = await metrics.metrics();
      expect(text).toMatch(/^event_store_group_size_count 1$/m);
      expect(text).toMatch(/^event_store_group_size_sum 50$/m);
    });

    it('given a conflicting and a duplicate append in a group, then the others in the group still commit, together', async () => {
      const store = pgEventStore(pool);
      const [busy, fresh1, fresh2] = [newStream(), newStream(), newStream()];
      await store.append(busy, { expectedVersion: 0, causationId: 'first', events: [event('A')] });

      const [ok1, conflict, duplicate, ok2] = await Promise.all([
        store.append(fresh1, { expectedVersion: 0, causationId: 'x', events: [event('A')] }),
        store.append(busy, { expectedVersion: 0, causationId: 'second', events: [event('B')] }),
        store.append(busy, { expectedVersion: 0, causationId: 'first', events: [event('A')] }),
        store.append(fresh2, { expectedVersion: 0, causationId: 'y', events: [event('A')] }),
      ]);

      expect([ok1, ok2]).toEqual([
        { ok: true, value: { version: 1 } },
        { ok: true, value: { version: 1 } },
      ]);
      expect(conflict).toEqual({ ok: false, error: { code: 'CONFLICT', expectedVersion: 0, actualVersion: 1 } });
      expect(duplicate).toEqual({ ok: false, error: { code: 'DUPLICATE', version: 1 } });
      expect(await writers([fresh1, fresh2])).toHaveLength(1);
    });

    it('given appends chained on one stream within a group, then they apply in call order', async () => {
      const store = pgEventStore(pool);
      const id = newStream();
      const results = await Promise.all([
        store.append(id, { expectedVersion: 0, causationId: 'a', events: [event('A')] }),
        store.append(id, { expectedVersion: 1, causationId: 'b', events: [event('B'), event('C')] }),
        store.append(id, { expectedVersion: 3, causationId: 'c', events: [event('D')] }),
        store.append(id, { expectedVersion: 3, causationId: 'b', events: [event('B'), event('C')] }),
      ]);
      expect(results).toEqual([
        { ok: true, value: { version: 1 } },
        { ok: true, value: { version: 3 } },
        { ok: true, value: { version: 4 } },
        { ok: false, error: { code: 'DUPLICATE', version: 3 } },
      ]);
      expect(await writers([id])).toHaveLength(1);
    });

    it('given a hook that throws inside a group, then only its caller fails and the rest of the group commits together', async () => {
      const store = pgEventStore(pool);
      const [a, b, c] = [newStream(), newStream(), newStream()];
      const boom = new Error('projection failed');
      const mark = (id: string) => async (tx: PgTransaction) => void (await tx.query('INSERT INTO contract_marks (stream_id, mark) VALUES ($1, $2)', [id, 'ok']));

      const [ra, rb, rc] = await Promise.allSettled([
        store.append(a, { expectedVersion: 0, causationId: 'x', events: [event('A')], beforeCommit: mark(a) }),
        store.append(b, { expectedVersion: 0, causationId: 'x', events: [event('A')], beforeCommit: async () => Promise.reject(boom) }),
        store.append(c, { expectedVersion: 0, causationId: 'x', events: [event('A')], beforeCommit: mark(c) }),
      ]);

      expect(ra).toEqual({ status: 'fulfilled', value: { ok: true, value: { version: 1 } } });
      expect(rb).toEqual({ status: 'rejected', reason: boom });
      expect(rc).toEqual({ status: 'fulfilled', value: { ok: true, value: { version: 1 } } });
      expect(await pgEventStore(pool).read(b)).toEqual([]);
      expect(await writers([a, c])).toHaveLength(1);
      const marks = await pool.query('SELECT stream_id FROM contract_marks WHERE stream_id = ANY($1) ORDER BY id', [[a, b, c]]);
      expect(marks.rows.map((r: { stream_id: string }) => r.stream_id)).toEqual([a, c]);
    });

    it('given a hook, then it runs inside the transaction: it sees its events, other connections do not yet', async () => {
      const store = pgEventStore(pool);
      const id = newStream();
      let inside = -1;
      let outside = -1;

      await store.append(id, {
        expectedVersion: 0,
        causationId: 'a',
        events: [event('A'), event('B')],
        beforeCommit: async (tx) => {
          inside = Number((await tx.query<{ n: string }>('SELECT count(*) AS n FROM order_events WHERE order_id = $1', [id])).rows[0]?.n);
          outside = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM order_events WHERE order_id = $1', [id])).rows[0]?.n);
        },
      });

      expect([inside, outside]).toEqual([2, 0]);
    });

    it('given an append that fails unexpectedly inside a group (an event id already used), then only it rejects and the others commit', async () => {
      const store = pgEventStore(pool);
      const taken = event('A');
      await store.append(newStream(), { expectedVersion: 0, causationId: 'x', events: [taken] });
      const [a, b, c] = [newStream(), newStream(), newStream()];

      const [ra, rb, rc] = await Promise.allSettled([
        store.append(a, { expectedVersion: 0, causationId: 'x', events: [event('A')] }),
        store.append(b, { expectedVersion: 0, causationId: 'x', events: [event('B'), taken] }),
        store.append(c, { expectedVersion: 0, causationId: 'x', events: [event('C')] }),
      ]);

      expect(ra.status === 'fulfilled' && ra.value).toEqual({ ok: true, value: { version: 1 } });
      expect(rb.status).toBe('rejected');
      expect((rb as PromiseRejectedResult).reason).toMatchObject({ code: '23505' });
      expect(rc.status === 'fulfilled' && rc.value).toEqual({ ok: true, value: { version: 1 } });
      expect(await store.read(b)).toEqual([]);
      expect(await pool.query('SELECT 1 FROM outbox WHERE message_key = $1', [b])).toMatchObject({ rowCount: 0 });
    });

    it('given two stores (two workers) racing on one stream, then each version is won once and nobody errors', async () => {
      const stores = [pgEventStore(pool), pgEventStore(pool)];
      const id = newStream();

      const won = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const store = stores[i % 2];
          if (!store) throw new Error('no store');
          let expected = 0;
          for (;;) {
            const r = await store.append(id, { expectedVersion: expected, causationId: `c-${i}`, events: [event(`E${i}`)] });
            if (r.ok) return r.value.version;
            if (r.error.code === 'DUPLICATE') return r.error.version;
            expected = r.error.actualVersion;
          }
        }),
      );

      expect([...won].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect((await stores[0]?.read(id))?.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it('given a writer holding a stream, when an append waits for it, then the append sees that commit and answers CONFLICT', async () => {
      const id = newStream();
      const blocker = await pool.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ORDER_STREAM_LOCK_CLASS, id]);
        await blocker.query(
          `INSERT INTO order_events (order_id, seq, event_id, event_type, data, causation_id, occurred_at) VALUES ($1, 1, $2, 'E0', '{}', 'c-blocker', now())`,
          [id, randomUUID()],
        );
        const pending = pgEventStore(pool).append(id, { expectedVersion: 0, causationId: 'c-waiter', events: [event('E1')] });
        // The append's transaction is queued behind the lock before the blocker commits.
        await expect
          .poll(async () => (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rows[0]?.n, { timeout: 5_000 })
          .toBeGreaterThan(0);
        await blocker.query('COMMIT');

        const r = await pending;
        expect(r.ok ? 'appended' : r.error).toEqual({ code: 'CONFLICT', expectedVersion: 0, actualVersion: 1 });
      } finally {
        blocker.release();
      }
    });

    it('given interleaved appends to many streams, then outbox ids follow each stream’s seq order', async () => {
      const store = pgEventStore(pool, { maxGroupSize: 7 });
      const ids = Array.from({ length: 10 }, newStream);
      for (let round = 0; round < 5; round++) {
        await Promise.all(ids.map((id) => store.append(id, { expectedVersion: round * 2, causationId: `r${round}`, events: [event('X'), event('Y')] })));
      }
      const { rows } = await pool.query<{ key: string; seq: number }>(
        `SELECT message_key AS key, (payload->>'seq')::int AS seq FROM outbox WHERE message_key = ANY($1) ORDER BY id`,
        [ids],
      );
      for (const id of ids) expect(rows.filter((r) => r.key === id).map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    });

    it('given a group larger than maxGroupSize, then it is split and every append still gets its result', async () => {
      const metrics = new Registry();
      const store = pgEventStore(pool, { maxGroupSize: 10, metrics });
      const ids = Array.from({ length: 35 }, newStream);
      const results = await Promise.all(ids.map((id) => store.append(id, { expectedVersion: 0, causationId: 'a', events: [event('A')] })));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(await metrics.metrics()).toMatch(/^event_store_group_size_count 4$/m);
    });
  });
});
