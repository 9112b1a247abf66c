import type { Redis } from 'ioredis';
import type { ShardId } from './address.ts';
import type { RuntimeKeys } from './keys.ts';
import { defineScript } from './script.ts';

const forgetScript = defineScript(`
-- KEYS[1] shard inbox stream
-- ARGV[1] consumer group   ARGV[2] min idle ms   ARGV[3..] consumers to keep (live workers)
-- Deletes the group's consumers that are not kept, hold no pending entry and were idle at least ARGV[2] ms: every
-- worker that ever ran leaves one behind. In one script, so no entry can be delivered to one between the check and
-- the delete (a consumer with pending entries is never deleted: its entries would be lost to the group).
-- Returns the number deleted.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local keep = {}
for i = 3, #ARGV do keep[ARGV[i]] = true end
local deleted = 0
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local info = {}
  for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
  if not keep[info['name']] and tonumber(info['pending']) == 0 and tonumber(info['idle']) >= tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    deleted = deleted + 1
  end
end
return deleted
`);

/** Deletes the inbox's consumers of workers gone for at least `minIdleMs` that hold nothing pending. */
export async function forgetGoneConsumers(redis: Redis, keys: RuntimeKeys, shard: ShardId, live: readonly string[], minIdleMs: number): Promise<number> {
  return Number(await forgetScript.run(redis, [keys.inbox(shard)], [keys.group, minIdleMs, ...live]));
}
