import { Kafka, logLevel, Partitioners, type logCreator, type Producer, type TopicMessages } from 'kafkajs';
import type { Logger } from '../../observability/logger.ts';
import type { OutboxMessage } from './message.ts';
import type { OutboxSink } from './sink.ts';

export interface KafkaSink extends OutboxSink {
  /** Disconnects the producer; a later `publish` connects again. */
  close(): Promise<void>;
}

export interface KafkaSinkOptions {
  /** @default 'food-delivery-outbox' */
  readonly clientId?: string;
  /** Time to establish a broker connection, in ms. @default 1_000 (kafkajs) */
  readonly connectionTimeoutMs?: number;
  /** Retries of a failed request or connection inside one publish before it throws; at least 1 (the idempotent
   * producer refuses 0). @default 5 (kafkajs) */
  readonly retries?: number;
}

/**
 * The outbox sink on Kafka: an idempotent producer (acks = all in-sync replicas, one request in flight per
 * broker, so retries neither duplicate nor reorder within a partition) with the default murmur2 partitioner,
 * so one key — one order — always lands in one partition, in publish order. Connects on first use; after a
 * failed publish it disconnects and the next publish reconnects.
 */
export function kafkaSink(brokers: readonly string[], log: Logger, options: KafkaSinkOptions = {}): KafkaSink {
  const kafka = new Kafka({
    clientId: options.clientId ?? 'food-delivery-outbox',
    brokers: [...brokers],
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(log),
    ...(options.connectionTimeoutMs === undefined ? {} : { connectionTimeout: options.connectionTimeoutMs }),
    ...(options.retries === undefined ? {} : { retry: { retries: options.retries } }),
  });
  const newProducer = (): Producer => kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  // Created up front so that a configuration kafkajs refuses fails here, at startup, not on the first publish.
  let fresh: Producer | undefined = newProducer();
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;

  const connected = (): Promise<Producer> => {
    connecting ??= (async () => {
      const p = fresh ?? newProducer();
      fresh = undefined;
      try {
        await p.connect();
      } catch (error) {
        connecting = undefined;
        await p.disconnect().catch(() => undefined);
        throw error;
      }
      producer = p;
      return p;
    })();
    return connecting;
  };

  const reset = async (): Promise<void> => {
    const p = producer;
    producer = undefined;
    connecting = undefined;
    await p?.disconnect().catch((error: unknown) => log.debug({ err: error }, 'kafka sink: disconnect failed'));
  };

  return {
    async publish(messages) {
      if (messages.length === 0) return;
      const p = await connected();
      try {
        await p.sendBatch({ acks: -1, topicMessages: byTopic(messages) });
      } catch (error) {
        await reset();
        throw error;
      }
    },
    close: reset,
  };
}

/** One entry per topic; within a topic, messages keep the order they were given. */
function byTopic(messages: readonly OutboxMessage[]): TopicMessages[] {
  const topics = new Map<string, TopicMessages>();
  for (const m of messages) {
    let t = topics.get(m.topic);
    if (!t) topics.set(m.topic, (t = { topic: m.topic, messages: [] }));
    t.messages.push({ key: m.key, value: m.value, headers: { ...m.headers } });
  }
  return [...topics.values()];
}

function pinoLogCreator(log: Logger): logCreator {
  return () =>
    ({ namespace, level, log: entry }) => {
      const { message, timestamp: _timestamp, ...extra } = entry;
      const fields = { kafka: namespace, ...extra };
      if (level === logLevel.ERROR) log.error(fields, message);
      else if (level === logLevel.WARN) log.warn(fields, message);
      else if (level === logLevel.INFO) log.info(fields, message);
      else log.debug(fields, message);
    };
}
