import type { Redis } from 'ioredis';
import type { RuntimeKeys } from '../../actors/keys.ts';
import { leasesBalanced } from '../../actors/lease.ts';

/**
 * Waits until the benchmark's workers own every shard, evenly. Measuring earlier would time the hand-over of
 * shards between workers (a just-started worker takes all it can, then gives its share back), not the runtime.
 */
export async function waitForBalancedOwnership(redis: Redis, keys: RuntimeKeys, shardCount: number, workerIds: readonly string[]): Promise<void> {
  const deadline = performance.now() + 60_000;
  while (!(await leasesBalanced(redis, keys, shardCount, workerIds))) {
    if (performance.now() > deadline) throw new Error(`the ${shardCount} shards were not spread over ${workerIds.length} workers within 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
