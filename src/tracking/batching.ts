import type { TrackingPing, TrackingSink, TrackingStats } from './sink.ts';

export interface BatchingOptions {
  /** A partial batch is published this long after its first ping, ms. @default 250 */
  readonly flushEveryMs?: number;
  /** Pings per publish; a full batch is published at once. @default 500 */
  readonly maxBatch?: number;
  /** Pings held at most (a slow or absent broker); beyond, new pings are dropped and counted. @default 20_000 */
  readonly maxBuffered?: number;
  /** Told about each failed publish (its pings are counted as failed, not retried here). */
  readonly onError?: (error: unknown, lost: number) => void;
}

/**
 * The buffering half of every tracking sink: `record` appends and returns; one publish at a time drains the buffer
 * in batches of `maxBatch`, started when a batch is full or `flushEveryMs` after the first buffered ping. The
 * transport (`publish`) is all an implementation supplies.
 */
export function batchingSink(publish: (batch: readonly TrackingPing[]) => Promise<void>, options: BatchingOptions = {}): TrackingSink {
  const flushEveryMs = options.flushEveryMs ?? 250;
  const maxBatch = options.maxBatch ?? 500;
  const maxBuffered = options.maxBuffered ?? 20_000;
  let buffer: TrackingPing[] = [];
  let timer: NodeJS.Timeout | null = null;
  let pumping: Promise<void> | null = null;
  let closing = false;
  const counts = { recorded: 0, published: 0, dropped: 0, failed: 0 };

  const pump = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    pumping ??= (async () => {
      try {
        // Full batches go out back to back; a partial one only when due (the timer) or when closing.
        while (buffer.length > 0) {
          const batch = buffer.length <= maxBatch ? buffer : buffer.slice(0, maxBatch);
          buffer = buffer.length <= maxBatch ? [] : buffer.slice(maxBatch);
          try {
            await publish(batch);
            counts.published += batch.length;
          } catch (error) {
            counts.failed += batch.length;
            options.onError?.(error, batch.length);
          }
          if (buffer.length < maxBatch && !closing) break;
        }
      } finally {
        pumping = null;
        arm();
      }
    })();
    return pumping;
  };

  const arm = () => {
    if (timer || pumping || buffer.length === 0 || closing) return;
    timer = setTimeout(() => {
      timer = null;
      void pump();
    }, flushEveryMs);
    timer.unref();
  };

  return {
    record(ping) {
      if (closing || buffer.length >= maxBuffered) {
        counts.dropped++;
        return;
      }
      buffer.push(ping);
      counts.recorded++;
      if (buffer.length >= maxBatch && !pumping) void pump();
      else arm();
    },
    stats: (): TrackingStats => ({ ...counts, buffered: buffer.length }),
    async close() {
      closing = true;
      while (pumping) await pumping;
      if (buffer.length > 0) await pump();
    },
  };
}
