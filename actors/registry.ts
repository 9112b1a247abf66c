import type { Redis } from 'ioredis';
import type { Clock } from '../src/shared/clock.ts';
import type { RuntimeKeys } from './keys.ts';

/** What a worker says about itself on every heartbeat; the ops API shows it. */
export interface WorkerInfo {
  readonly workerId: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly shards: readonly number[];
  readonly actors: Readonly<Record<string, number>>;
}

/** Worker membership: a sorted set of heartbeat expiries, plus each worker's self-description. */
export interface WorkerRegistry {
  heartbeat(info: WorkerInfo): Promise<void>;
  /** Ids of workers whose heartbeat has not expired, sorted. */
  live(): Promise<string[]>;
  deregister(workerId: string): Promise<void>;
  describeLive(): Promise<WorkerInfo[]>;
}

export function redisWorkerRegistry(redis: Redis, keys: RuntimeKeys, clock: Clock, ttlMs: number): WorkerRegistry {
  const live = async () => {
    const now = clock.now();
    await redis.zremrangebyscore(keys.workers(), '-inf', now);
    const ids = await redis.zrangebyscore(keys.workers(), now, '+inf');
    return ids.sort();
  };
  return {
    async heartbeat(info) {
      await Promise.all([
        redis.zadd(keys.workers(), clock.now() + ttlMs, info.workerId),
        redis.set(keys.workerInfo(info.workerId), JSON.stringify(info), 'PX', ttlMs),
      ]);
    },
    live,
    async deregister(workerId) {
      await Promise.all([redis.zrem(keys.workers(), workerId), redis.del(keys.workerInfo(workerId))]);
    },
    async describeLive() {
      const ids = await live();
      const raw = await Promise.all(ids.map((id) => redis.get(keys.workerInfo(id))));
      return raw.flatMap((r) => (r === null ? [] : [JSON.parse(r) as WorkerInfo]));
    },
  };
}
