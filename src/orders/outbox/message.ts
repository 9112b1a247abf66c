/** One message for the broker: what an outbox row holds and what a sink publishes. */
export interface OutboxMessage {
  readonly topic: string;
  /** The partitioning key; messages of one key are published in the order they were written. */
  readonly key: string;
  /** The serialised payload (JSON). */
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The Kafka topic every order event goes to (CONTRACT.md, "Events on Kafka"). */
export const ORDER_EVENTS_TOPIC = 'order_events';

/** The value of a message on `order_events`; consumers dedupe by `eventId`. */
export interface OrderEventPayload {
  readonly eventId: string;
  readonly eventType: string;
  readonly orderId: string;
  readonly seq: number;
  /** ISO-8601 UTC. */
  readonly occurredAt: string;
  readonly data: unknown;
}

/** The outbox message for one order event: key = order id, header `eventType`. */
export function orderEventMessage(payload: OrderEventPayload): OutboxMessage {
  return {
    topic: ORDER_EVENTS_TOPIC,
    key: payload.orderId,
    value: JSON.stringify(payload),
    headers: { eventType: payload.eventType },
  };
}
