import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { BatchingOptions } from '../../../src/tracking/batching.ts';
import { kafkaTrackingSink, type TrackingProducer } from '../../../src/tracking/kafka.ts';
import { memoryTrackingSink } from '../../../src/tracking/memory.ts';
import { TRACKING_TOPIC, type TrackingPing, type TrackingSink } from '../../../src/tracking/sink.ts';

const ping = (i: number): TrackingPing => ({
  driverId: `DRV-${i % 7}`,
  lat: 37.77 + i * 1e-5,
  lng: -122.41,
  heading: null,
  speedKph: 20,
  at: new Date(Date.UTC(2024, 4, 1, 12, 0, 0, i)).toISOString(),
  receivedAt: new Date(Date.UTC(2024, 4, 1, 12, 0, 1, i)).toISOString(),
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What every implementation is held to, given a way to read what it published and to make publishing stall or fail. */
interface Subject {
  sink: TrackingSink;
  published(): TrackingPing[];
  batchSizes(): number[];
  /** While set, publishing waits (a slow broker). */
  stall(on: boolean): void;
  /** While set, publishing throws (a broker outage). */
  fail(on: boolean): void;
}

function contract(name: string, make: (options: BatchingOptions) => Subject) {
  describe(`tracking sink contract: ${name}`, () => {
    it('given a few pings, when recorded, then nothing is published at once, and one batch goes out after the flush period', async () => {
      const s = make({ flushEveryMs: 30, maxBatch: 100 });
      for (let i = 0; i < 5; i++) s.sink.record(ping(i));
      expect(s.published()).toEqual([]);
      await sleep(80);
      expect(s.published()).toEqual([0, 1, 2, 3, 4].map(ping));
      expect(s.sink.stats()).toMatchObject({ recorded: 5, published: 5, dropped: 0, buffered: 0 });
      await s.sink.close();
    });

    it('given a full batch, then it is published without waiting for the flush period, in batches of at most maxBatch', async () => {
      const s = make({ flushEveryMs: 10_000, maxBatch: 10 });
      for (let i = 0; i < 25; i++) s.sink.record(ping(i));
      await sleep(30);
      expect(s.published()).toHaveLength(20);
      expect(s.batchSizes()).toEqual([10, 10]);
      await s.sink.close();
      expect(s.published()).toEqual(Array.from({ length: 25 }, (_, i) => ping(i)));
    });

    it('given a stalled broker, when the buffer is full, then further pings are dropped and counted, and record never blocks', async () => {
      const s = make({ flushEveryMs: 5, maxBatch: 10, maxBuffered: 50 });
      s.stall(true);
      const started = performance.now();
      for (let i = 0; i < 200; i++) s.sink.record(ping(i));
      expect(performance.now() - started).toBeLessThan(50);
      const { dropped, recorded } = s.sink.stats();
      expect(dropped).toBeGreaterThan(0);
      expect(recorded + dropped).toBe(200);
      s.stall(false);
      await s.sink.close();
      expect(s.published()).toHaveLength(recorded);
    });

    it('given a failing broker, then the batch is counted as failed and later pings still go out', async () => {
      const s = make({ flushEveryMs: 10, maxBatch: 100 });
      s.fail(true);
      s.sink.record(ping(1));
      await sleep(50);
      expect(s.sink.stats()).toMatchObject({ failed: 1, published: 0 });
      s.fail(false);
      s.sink.record(ping(2));
      await sleep(50);
      expect(s.published()).toEqual([ping(2)]);
      await s.sink.close();
    });

    it('given a closed sink, then buffered pings were published and later ones are dropped', async () => {
      const s = make({ flushEveryMs: 10_000, maxBatch: 100 });
      s.sink.record(ping(1));
      await s.sink.close();
      expect(s.published()).toEqual([ping(1)]);
      s.sink.record(ping(2));
      expect(s.sink.stats().dropped).toBe(1);
    });
  });
}

/** A gate publishes wait on while stalled. */
function gate() {
  let open: () => void = () => undefined;
  let closed: Promise<void> | null = null;
  return {
    set(stalled: boolean) {
      if (stalled) closed ??= new Promise<void>((r) => (open = r));
      else {
        open();
        closed = null;
      }
    },
    wait: () => closed ?? Promise.resolve(),
  };
}

contract('in memory', (options) => {
  let failing = false;
  const stalled = gate();
  const sink = memoryTrackingSink({ ...options, hold: stalled.wait, fail: () => failing });
  return {
    sink,
    published: () => sink.published(),
    batchSizes: () => sink.batches.map((b) => b.length),
    stall: (on) => stalled.set(on),
    fail: (on) => {
      failing = on;
    },
  };
});

contract('Kafka (stand-in producer)', (options) => {
  const sends: { topic: string; acks?: number; messages: { key: string; value: string; timestamp: string }[] }[] = [];
  let failing = false;
  const stalled = gate();
  let connects = 0;
  const producer: TrackingProducer = {
    connect: async () => {
      connects++;
    },
    disconnect: async () => undefined,
    send: async (record) => {
      await stalled.wait();
      if (failing) throw new Error('broker down');
      sends.push(record as (typeof sends)[number]);
      return [];
    },
  };
  const sink = kafkaTrackingSink(['localhost:1'], pino({ level: 'silent' }), { ...options, producer });
  return {
    sink,
    published: () => {
      for (const s of sends) {
        expect(s.topic).toBe(TRACKING_TOPIC);
        expect(s.acks).toBe(1);
        for (const m of s.messages) expect(m.key).toBe((JSON.parse(m.value) as TrackingPing).driverId);
      }
      expect(connects).toBeLessThanOrEqual(1 + sends.length);
      return sends.flatMap((s) => s.messages.map((m) => JSON.parse(m.value) as TrackingPing));
    },
    batchSizes: () => sends.map((s) => s.messages.length),
    stall: (on) => stalled.set(on),
    fail: (on) => {
      failing = on;
    },
  };
});
