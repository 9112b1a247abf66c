import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../../src/db/pool.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { pgEventStore } from '../../../src/orders/event-store/index.ts';
import { kafkaSink, ORDER_EVENTS_TOPIC, outboxBacklog, relayBatch, type KafkaSink, type OrderEventPayload } from '../../../src/orders/outbox/index.ts';
import { freshDatabase } from '../../support/database.ts';

const brokers = (process.env.KAFKA_BROKERS ?? '')
  .split(',')
  .map((b) => b.trim())
  .filter((b) => b.length > 0);
const skipReason = brokers.length === 0 ? ' (skipped: set KAFKA_BROKERS to run)' : '';
if (skipReason) console.info(`outbox relay → Kafka${skipReason}`);

describe(`outbox relay → Kafka${skipReason}`, () => {
  const log = createLogger({ name: 'kafka-test', level: 'warn' });
  let db: Awaited<ReturnType<typeof freshDatabase>> | undefined;
  let pool: Pool | undefined;
  let sink: KafkaSink | undefined;

  beforeAll(async () => {
    if (brokers.length === 0) return;
    db = await freshDatabase();
    pool = createPool(db.url, { max: 4 });
    sink = kafkaSink(brokers, log);
    const admin = new Kafka({ clientId: 'outbox-test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: ORDER_EVENTS_TOPIC, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
  });

  afterAll(async () => {
    await sink?.close();
    await pool?.end();
    await db?.drop();
  });

  it.skipIf(brokers.length === 0)('given appended order events, when the relay publishes them, then they are on order_events keyed by order id, in seq order, with the eventType header', async () => {
    if (!pool || !sink) throw new Error('not set up');
    const store = pgEventStore(pool);
    const ids = Array.from({ length: 5 }, () => `ORD-${randomUUID()}`);
    for (let seq = 1; seq <= 4; seq++) {
      await Promise.all(
        ids.map((id) =>
          store.append(id, {
            expectedVersion: seq - 1,
            causationId: `cmd-${seq}`,
            events: [{ eventId: randomUUID(), type: `Step${seq}`, data: { seq }, occurredAt: '2025-11-21T10:00:00.000Z' }],
          }),
        ),
      );
    }

    const consumer = new Kafka({ clientId: 'outbox-test-consumer', brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: `outbox-test-${randomUUID()}` });
    const received: { key: string; payload: OrderEventPayload; eventType: string }[] = [];
    const wanted = new Set(ids);
    await consumer.connect();
    await consumer.subscribe({ topic: ORDER_EVENTS_TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? '';
        if (!wanted.has(key) || !message.value) return;
        received.push({ key, payload: JSON.parse(message.value.toString()) as OrderEventPayload, eventType: message.headers?.eventType?.toString() ?? '' });
      },
    });
    try {
      while ((await outboxBacklog(pool)) > 0) await relayBatch(pool, sink, { batchSize: 7 });
      const deadline = Date.now() + 30_000;
      while (received.length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await consumer.disconnect();
    }

    expect(received).toHaveLength(20);
    for (const id of ids) {
      const mine = received.filter((r) => r.key === id);
      expect(mine.map((r) => r.payload.seq)).toEqual([1, 2, 3, 4]);
      expect(mine.map((r) => r.eventType)).toEqual(['Step1', 'Step2', 'Step3', 'Step4']);
      expect(mine[0]?.payload).toMatchObject({ orderId: id, eventType: 'Step1', occurredAt: '2025-11-21T10:00:00.000Z', data: { seq: 1 } });
    }
  });
});
