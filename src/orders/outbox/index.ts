export { ORDER_EVENTS_TOPIC, orderEventMessage, type OrderEventPayload, type OutboxMessage } from './message.ts';
export { recordingSink, type OutboxSink } from './sink.ts';
export { kafkaSink, type KafkaSink, type KafkaSinkOptions } from './kafka-sink.ts';
export { OUTBOX_RELAY_LOCK, purgePublished, relayBatch, startOutboxRelay, type OutboxRelay, type OutboxRelayOptions, type RelayStep } from './relay.ts';
export { outboxBacklog, outboxMetrics, registerOutboxBacklogGauge, type OutboxMetrics } from './metrics.ts';
