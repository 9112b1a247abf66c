import type { OutboxMessage } from './message.ts';

/**
 * Where the outbox relay publishes. A sink resolves only once every message is durably accepted (for Kafka:
 * acknowledged by all in-sync replicas); it throws if any may not have been, and the relay publishes the whole
 * batch again later. Messages of one key must reach the broker in the order given.
 */
export interface OutboxSink {
  publish(messages: readonly OutboxMessage[]): Promise<void>;
}

/** A sink that keeps what it was given, in order: for tests and for running without a broker. */
export function recordingSink(): OutboxSink & { readonly messages: readonly OutboxMessage[]; readonly batches: number } {
  const messages: OutboxMessage[] = [];
  let batches = 0;
  return {
    async publish(batch) {
      messages.push(...batch);
      batches += 1;
    },
    get messages() {
      return messages;
    },
    get batches() {
      return batches;
    },
  };
}
