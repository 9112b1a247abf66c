import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script called by SHA, loaded on first NOSCRIPT. `lua` must start with its KEYS/ARGV contract. */
export interface Script {
  run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

export function defineScript(lua: string): Script {
  const sha = createHash('sha1').update(lua).digest('hex');
  return {
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (e) {
        if (e instanceof Error && e.message.startsWith('NOSCRIPT')) return redis.eval(lua, keys.length, ...keys, ...args);
        throw e;
      }
    },
  };
}
