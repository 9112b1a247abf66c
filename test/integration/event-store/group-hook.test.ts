import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../../src/db/pool.ts';
import { pgEventStore, type NewEvent } from '../../../src/orders/event-store/index.ts';
import { freshDatabase } from '../../support/database.ts';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let pool: Pool;

beforeAll(async () => {
  db = await freshDatabase();
  pool = createPool(db.url, { max: 6 });
  await pool.query('CREATE TABLE projection (stream_id text PRIMARY KEY, version int NOT NULL, note text NOT NULL)');
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const event = (type: string): NewEvent => ({ eventId: randomUUID(), type, data: {}, occurredAt: '2026-01-01T00:00:00.000Z' });

describe('event store group hook (beforeCommitGroup)', () => {
  it('given concurrent appends, when their group commits, then the hook sees each accepted append with its context, in the same transaction', async () => {
    const calls: number[] = [];
    const store = pgEventStore(pool, {
      beforeCommitGroup: async (tx, appended) => {
        calls.push(appended.length);
        await tx.query('INSERT INTO projection (stream_id, version, note) SELECT * FROM unnest($1::text[], $2::int[], $3::text[])', [
          appended.map((a) => a.appended.streamId),
          appended.map((a) => a.appended.version),
          appended.map((a) => String(a.context)),
        ]);
      },
    });
    const streams = Array.from({ length: 10 }, () => `S-${randomUUID()}`);
    const results = await Promise.all(streams.map((s) => store.append(s, { expectedVersion: 0, causationId: 'c1', events: [event('A'), event('B')], context: `note-${s}` })));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(10);
    const rows = await pool.query<{ stream_id: string; version: number; note: string }>('SELECT * FROM projection WHERE stream_id = ANY($1)', [streams]);
    expect(rows.rows.map((r) => [r.version, r.note]).sort()).toEqual(streams.map((s) => [2, `note-${s}`]).sort());
  });

  it('given a group hook that throws, then nothing of the group is kept and each append fails alone', async () => {
    const store = pgEventStore(pool, {
      beforeCommitGroup: async () => {
        throw new Error('projection down');
      },
    });
    const stream = `S-${randomUUID()}`;
    await expect(store.append(stream, { expectedVersion: 0, causationId: 'c1', events: [event('A')], context: 'x' })).rejects.toThrow('projection down');
    expect(await store.read(stream)).toEqual([]);
    expect((await pool.query('SELECT 1 FROM outbox WHERE message_key = $1', [stream])).rowCount).toBe(0);
  });
});
