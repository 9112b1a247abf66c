/**
 * One location ping on the analytics stream (Kafka topic `tracking.update`, key = driverId). Times are ISO-8601:
 * `at` is the device's fix, `receivedAt` when the gateway acknowledged it.
 */
export interface TrackingPing {
  readonly driverId: string;
  readonly lat: number;
  readonly lng: number;
  readonly heading: number | null;
  readonly speedKph: number | null;
  readonly at: string;
  readonly receivedAt: string;
}

export const TRACKING_TOPIC = 'tracking.update';

/**
 * Where the gateway hands each acknowledged ping for analytics. Never on the hot path: `record` returns at once
 * (it only buffers); pings are published in batches by the implementation, and dropped — counted — when the
 * buffer is full or publishing fails. Losing an analytics ping is fine; slowing a driver's ack is not.
 */
export interface TrackingSink {
  record(ping: TrackingPing): void;
  stats(): TrackingStats;
  /** Publishes what is buffered, then stops; later `record`s are dropped. */
  close(): Promise<void>;
}

export interface TrackingStats {
  /** Accepted into the buffer. */
  readonly recorded: number;
  readonly published: number;
  /** Refused because the buffer was full (or the sink closed). */
  readonly dropped: number;
  /** Lost in a publish that failed. */
  readonly failed: number;
  readonly buffered: number;
}

/** For processes without Kafka: counts and drops. */
export function discardingTrackingSink(): TrackingSink {
  let dropped = 0;
  return {
    record: () => {
      dropped++;
    },
    stats: () => ({ recorded: 0, published: 0, dropped, failed: 0, buffered: 0 }),
    close: async () => undefined,
  };
}
