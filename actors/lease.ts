import type { Redis } from 'ioredis';
import { allShards, type ShardId } from './address.ts';
import { ownershipBalanced } from './assignment.ts';
import type { RuntimeKeys } from './keys.ts';
import type { LeaseToken } from './store.ts';
import { defineScript } from './script.ts';

const acquireScript = defineScript(`
-- KEYS[1] shard lease   KEYS[2] shard epoch counter
-- ARGV[1] worker id   ARGV[2] lease TTL ms
-- Returns the new epoch (fencing token) when the lease was free, 0 when someone holds it.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. epoch, 'PX', ARGV[2])
return epoch
`);

const renewScript = defineScript(`
-- KEYS[1] shard lease
-- ARGV[1] lease token (workerId|epoch)   ARGV[2] lease TTL ms
-- Returns 1 when the token still holds the lease (now extended), 0 otherwise.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`);

const releaseScript = defineScript(`
-- KEYS[1] shard lease
-- ARGV[1] lease token (workerId|epoch)
-- Deletes the lease only if this token holds it. Returns 1 if deleted.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

export interface Lease {
  readonly shard: ShardId;
  readonly token: LeaseToken;
  readonly epoch: number;
}

/** Shard leases: SET NX PX with a per-shard epoch, so every write can be fenced by `workerId|epoch`. */
export interface Leases {
  acquire(shard: ShardId): Promise<Lease | null>;
  renew(lease: Lease): Promise<boolean>;
  release(lease: Lease): Promise<void>;
  /** The worker id holding each shard's lease (null = free). */
  owners(shards: readonly ShardId[]): Promise<(string | null)[]>;
}

export function redisLeases(redis: Redis, keys: RuntimeKeys, workerId: string, ttlMs: number): Leases {
  return {
    async acquire(shard) {
      const epoch = Number(await acquireScript.run(redis, [keys.lease(shard), keys.epoch(shard)], [workerId, ttlMs]));
      return epoch > 0 ? { shard, epoch, token: `${workerId}|${epoch}` } : null;
    },
    async renew(lease) {
      return (await renewScript.run(redis, [keys.lease(lease.shard)], [lease.token, ttlMs])) === 1;
    },
    async release(lease) {
      await releaseScript.run(redis, [keys.lease(lease.shard)], [lease.token]);
    },
    owners: (shards) => leaseOwners(redis, keys, shards),
  };
}

export async function leaseOwners(redis: Redis, keys: RuntimeKeys, shards: readonly ShardId[]): Promise<(string | null)[]> {
  // One GET per key (not MGET) so it works on Redis Cluster, where shards live in different slots.
  const values = await Promise.all(shards.map((s) => redis.get(keys.lease(s))));
  return values.map((v) => (v === null ? null : v.slice(0, v.lastIndexOf('|'))));
}

/** Whether all `shardCount` shards are held, evenly, by exactly `workerIds`: what the workers settle into. */
export async function leasesBalanced(redis: Redis, keys: RuntimeKeys, shardCount: number, workerIds: readonly string[]): Promise<boolean> {
  return ownershipBalanced(await leaseOwners(redis, keys, allShards(shardCount)), workerIds);
}
