import { batchingSink, type BatchingOptions } from './batching.ts';
import type { TrackingPing, TrackingSink } from './sink.ts';

export interface MemoryTrackingSink extends TrackingSink {
  /** Every batch "published", in order. */
  readonly batches: readonly (readonly TrackingPing[])[];
  /** Every ping published, in order. */
  published(): TrackingPing[];
}

/**
 * A real tracking sink that publishes into memory: the same buffering and batching as the Kafka one, so tests of
 * the gateway (and of the batching itself) see what would have gone to Kafka. `hold` makes a publish wait (a slow
 * broker), `fail` makes it throw (an outage).
 */
export function memoryTrackingSink(options: BatchingOptions & { hold?: () => Promise<void>; fail?: () => boolean } = {}): MemoryTrackingSink {
  const batches: TrackingPing[][] = [];
  const sink = batchingSink(async (batch) => {
    await options.hold?.();
    if (options.fail?.()) throw new Error('publish failed (memory sink told to fail)');
    batches.push([...batch]);
  }, options);
  return { ...sink, batches, published: () => batches.flat() };
}
