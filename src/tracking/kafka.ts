import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { Logger } from '../observability/logger.ts';
import { batchingSink, type BatchingOptions } from './batching.ts';
import { TRACKING_TOPIC, type TrackingPing, type TrackingSink } from './sink.ts';

/** The part of a kafkajs producer the sink uses (tests pass a stand-in). */
export type TrackingProducer = Pick<Producer, 'connect' | 'disconnect' | 'send'>;

export interface KafkaTrackingOptions extends BatchingOptions {
  /** @default 'food-delivery-tracking' */
  readonly clientId?: string;
  /** @default TRACKING_TOPIC */
  readonly topic?: string;
  /** Replaces the kafkajs producer (tests). */
  readonly producer?: TrackingProducer;
}

/**
 * Pings to Kafka `tracking.update` (key = driverId, so one driver's pings stay in order within a partition;
 * value = the ping as JSON; message timestamp = the fix time). An analytics stream: acks from the leader only
 * (`acks: 1`) and no idempotence — a rare duplicate or loss on a broker failover is acceptable, latency is not.
 * Connects on the first publish; after a failed publish it reconnects on the next.
 */
export function kafkaTrackingSink(brokers: readonly string[], log: Logger, options: KafkaTrackingOptions = {}): TrackingSink {
  const topic = options.topic ?? TRACKING_TOPIC;
  const newProducer = (): TrackingProducer =>
    options.producer ??
    new Kafka({ clientId: options.clientId ?? 'food-delivery-tracking', brokers: [...brokers], logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: true });
  let producer: TrackingProducer | null = null;
  let connecting: Promise<TrackingProducer> | null = null;

  const connected = (): Promise<TrackingProducer> => {
    connecting ??= (async () => {
      const p = newProducer();
      try {
        await p.connect();
      } catch (error) {
        connecting = null;
        throw error;
      }
      producer = p;
      return p;
    })();
    return connecting;
  };

  const publish = async (batch: readonly TrackingPing[]) => {
    const p = await connected();
    try {
      await p.send({
        topic,
        acks: 1,
        messages: batch.map((ping) => ({ key: ping.driverId, value: JSON.stringify(ping), timestamp: String(Date.parse(ping.at)) })),
      });
    } catch (error) {
      producer = null;
      connecting = null;
      await p.disconnect().catch(() => undefined);
      throw error;
    }
  };

  let lastWarnedAt = 0;
  const sink = batchingSink(publish, {
    ...options,
    onError: (error, lost) => {
      options.onError?.(error, lost);
      // At most one line per 10 s: a broker outage must not flood the log at ping rate.
      const now = performance.now();
      if (now - lastWarnedAt > 10_000) {
        lastWarnedAt = now;
        log.warn({ err: error, lost, stats: sink.stats() }, 'tracking: publishing pings to Kafka failed; they are dropped');
      }
    },
  });
  return {
    record: sink.record,
    stats: sink.stats,
    async close() {
      await sink.close();
      await producer?.disconnect().catch(() => undefined);
      producer = null;
      connecting = null;
    },
  };
}
