import type { Logger } from '../observability/logger.ts';
import type { BatchingOptions } from './batching.ts';
import { kafkaTrackingSink } from './kafka.ts';
import { discardingTrackingSink, type TrackingSink } from './sink.ts';

export { batchingSink, type BatchingOptions } from './batching.ts';
export { kafkaTrackingSink, type KafkaTrackingOptions, type TrackingProducer } from './kafka.ts';
export { memoryTrackingSink, type MemoryTrackingSink } from './memory.ts';
export { discardingTrackingSink, TRACKING_TOPIC, type TrackingPing, type TrackingSink, type TrackingStats } from './sink.ts';

/** The tracking sink of a process: Kafka when brokers are configured (KAFKA_BROKERS), otherwise none. */
export function trackingSinkFor(config: { kafkaBrokers: readonly string[] }, log: Logger, options: BatchingOptions = {}): TrackingSink {
  return config.kafkaBrokers.length > 0 ? kafkaTrackingSink(config.kafkaBrokers, log, options) : discardingTrackingSink();
}
