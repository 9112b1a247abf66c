import type { Redis } from 'ioredis';
import type { RuntimeKeys } from './keys.ts';

/** Deletes every key of a namespace (tests and benchmarks clean up after themselves). SCAN-based: never blocks Redis. */
export async function deleteNamespace(redis: Redis, keys: Pick<RuntimeKeys, 'pattern'>): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', keys.pattern(), 'COUNT', 1000);
    if (found.length > 0) await redis.del(...found);
    cursor = next;
  } while (cursor !== '0');
}
