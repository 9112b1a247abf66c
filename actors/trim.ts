import type { Redis } from 'ioredis';
import type { ShardId } from './address.ts';
import type { RuntimeKeys } from './keys.ts';
import { defineScript } from './script.ts';

const trimScript = defineScript(`
-- KEYS[1] shard inbox stream
-- ARGV[1] consumer group
-- Trims entries every consumer has acknowledged: below the oldest pending entry, or, with none pending, below the
-- group's last delivered id. Atomic, so nothing is delivered between reading that bound and trimming to it.
-- Returns { entries removed, lag, pending }.
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0, 0} end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
local lastDelivered, lag, pending = nil, 0, 0
for _, g in ipairs(groups) do
  local info = {}
  for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
  if info['name'] == ARGV[1] then
    lastDelivered = info['last-delivered-id']
    lag = tonumber(info['lag']) or 0
    pending = tonumber(info['pending']) or 0
  end
end
if not lastDelivered then return {0, 0, 0} end
local bound = lastDelivered
if pending > 0 then
  local summary = redis.call('XPENDING', KEYS[1], ARGV[1])
  bound = summary[2]
end
local removed = redis.call('XTRIM', KEYS[1], 'MINID', bound)
return {removed, lag, pending}
`);

export interface TrimResult {
  readonly removed: number;
  /** Entries not yet delivered to the group. */
  readonly lag: number;
  /** Entries delivered and not yet acknowledged. */
  readonly pending: number;
}

/** Trims a shard inbox without ever dropping an unacknowledged entry. */
export async function trimInbox(redis: Redis, keys: RuntimeKeys, shard: ShardId): Promise<TrimResult> {
  const [removed = 0, lag = 0, pending = 0] = (await trimScript.run(redis, [keys.inbox(shard)], [keys.group])) as number[];
  return { removed, lag, pending };
}
