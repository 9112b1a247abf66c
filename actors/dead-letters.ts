import type { Redis } from 'ioredis';
import type { ShardId } from './address.ts';
import type { RuntimeKeys } from './keys.ts';

/** A parked message: what it was, where it came from and why it could not be handled. */
export interface DeadLetter {
  readonly shard: ShardId;
  readonly entryId: string;
  readonly reason: string;
  /** The entry's fields as they were, for inspection and manual replay. */
  readonly fields: readonly string[];
}

const MAX_DEAD_LETTERS = 100_000;

export interface DeadLetters {
  /** Parks the entry, then acknowledges it in its inbox so it never blocks the shard. */
  park(letter: DeadLetter): Promise<void>;
  list(count: number): Promise<DeadLetter[]>;
}

export function redisDeadLetters(redis: Redis, keys: RuntimeKeys): DeadLetters {
  return {
    async park(letter) {
      await redis.xadd(
        keys.deadLetters(),
        'MAXLEN',
        '~',
        MAX_DEAD_LETTERS,
        '*',
        'shard',
        String(letter.shard),
        'entryId',
        letter.entryId,
        'reason',
        letter.reason,
        'fields',
        JSON.stringify(letter.fields),
      );
      await redis.xack(keys.inbox(letter.shard), keys.group, letter.entryId);
    },
    async list(count) {
      const entries = await redis.xrevrange(keys.deadLetters(), '+', '-', 'COUNT', count);
      return entries.map(([, f]) => {
        const get = (name: string) => f[f.indexOf(name) + 1] ?? '';
        return {
          shard: Number(get('shard')) as ShardId,
          entryId: get('entryId'),
          reason: get('reason'),
          fields: JSON.parse(get('fields') || '[]') as string[],
        };
      });
    },
  };
}
