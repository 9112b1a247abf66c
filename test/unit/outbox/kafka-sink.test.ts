import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../../src/db/pool.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { pgEventStore } from '../../../src/orders/event-store/index.ts';
import { kafkaSink, orderEventMessage, outboxBacklog, relayBatch } from '../../../src/orders/outbox/index.ts';
import { freshDatabase } from '../../support/database.ts';

// Without a broker: what the Kafka sink does when Kafka is unreachable (the broker round trip itself is
// covered by test/integration/event-store/kafka-relay.test.ts when KAFKA_BROKERS is set).
describe('kafka sink without a reachable broker', () => {
  const lines: string[] = [];
  const log = createLogger({
    name: 'kafka-sink-test',
    level: 'warn',
    destination: new Writable({ write: (chunk: Buffer, _enc, done) => void (lines.push(chunk.toString()), done()) }),
  });
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: Pool;

  beforeAll(async () => {
    db = await freshDatabase();
    pool = createPool(db.url, { max: 4 });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('given an unreachable broker, when the relay publishes through it, then the batch fails, rows stay pending, and kafkajs logs go to our logger', async () => {
    const sink = kafkaSink(['127.0.0.1:1'], log, { connectionTimeoutMs: 200, retries: 1 });
    const id = `ORD-${randomUUID()}`;
    await pgEventStore(pool).append(id, {
      expectedVersion: 0,
      causationId: 'place',
      events: [{ eventId: randomUUID(), type: 'OrderPlaced', data: {}, occurredAt: '2025-11-21T10:00:00.000Z' }],
    });

    await expect(relayBatch(pool, sink)).rejects.toMatchObject({ name: expect.stringMatching(/^KafkaJS/) });
    expect(await outboxBacklog(pool)).toBe(1);
    // A later publish tries again (it does not stay stuck on the failed connection).
    await expect(sink.publish([orderEventMessage({ eventId: randomUUID(), eventType: 'X', orderId: id, seq: 2, occurredAt: '2025-11-21T10:00:00.000Z', data: {} })])).rejects.toThrow();
    await sink.close();
    expect(lines.some((l) => l.includes('"kafka"'))).toBe(true);
  });

  it('given a configuration the idempotent producer refuses (no retries), then creating the sink throws', () => {
    expect(() => kafkaSink(['127.0.0.1:1'], log, { retries: 0 })).toThrow(/retries/);
  });

  it('given no messages, then publish resolves without connecting', async () => {
    const sink = kafkaSink(['127.0.0.1:1'], log, { connectionTimeoutMs: 200, retries: 1 });
    await expect(sink.publish([])).resolves.toBeUndefined();
    await sink.close();
  });
});
