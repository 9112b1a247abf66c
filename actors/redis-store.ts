import type { Redis } from 'ioredis';
import type { ActorStore, ActorRecord, Commit, CommitOutcome } from './store.ts';
import type { RuntimeKeys } from './keys.ts';
import { defineScript } from './script.ts';

const commitScript = defineScript(`
-- KEYS[1] shard lease   KEYS[2] shard inbox stream   KEYS[3..] actor records, one per commit
-- ARGV[1] lease token (workerId|epoch) every write is fenced by   ARGV[2] consumer group
-- then per commit, in KEYS order: record JSON, record TTL ms (0 = none), n, then n inbox entry ids to XACK
-- Returns 1 when every record is written and its entries acknowledged; 0, having written nothing, when the lease
-- is not (or no longer) this token.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local a = 3
for k = 3, #KEYS do
  local ttl = tonumber(ARGV[a + 1])
  if ttl > 0 then
    redis.call('SET', KEYS[k], ARGV[a], 'PX', ttl)
  else
    redis.call('SET', KEYS[k], ARGV[a])
  end
  local n = tonumber(ARGV[a + 2])
  if n > 0 then redis.call('XACK', KEYS[2], ARGV[2], unpack(ARGV, a + 3, a + 2 + n)) end
  a = a + 3 + n
end
return 1
`);

const ackScript = defineScript(`
-- KEYS[1] shard lease   KEYS[2] shard inbox stream
-- ARGV[1] lease token (workerId|epoch)   ARGV[2] consumer group   ARGV[3..] entry ids
-- Acknowledges the entries only while the token holds the lease. Returns 1 if acknowledged, 0 if fenced.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('XACK', KEYS[2], ARGV[2], unpack(ARGV, 3))
return 1
`);

/** Most commits folded into one script call. */
const MAX_GROUP = 128;

interface Pending {
  readonly commit: Commit;
  readonly resolve: (outcome: CommitOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The actor store on Redis: one JSON string per actor, written with its acks in one fenced script.
 * Commits of one shard issued in the same turn of the event loop go out as one script call (group commit), which
 * is where most of the runtime's throughput comes from; each caller still gets its own outcome.
 */
export function redisActorStore(redis: Redis, keys: RuntimeKeys): ActorStore {
  const groups = new Map<string, Pending[]>();
  let flushScheduled = false;

  const send = async (group: readonly Pending[]) => {
    const first = group[0];
    if (!first) return;
    const { shard, fence } = first.commit;
    const recordKeys: string[] = [];
    const args: (string | number)[] = [fence, keys.group];
    for (const { commit } of group) {
      recordKeys.push(keys.actor(shard, commit.address));
      args.push(JSON.stringify(commit.record), commit.ttlMs ?? 0, commit.ackIds.length, ...commit.ackIds);
    }
    try {
      const written = await commitScript.run(redis, [keys.lease(shard), keys.inbox(shard), ...recordKeys], args);
      for (const p of group) p.resolve(written === 1 ? 'committed' : 'fenced');
    } catch (e) {
      for (const p of group) p.reject(e);
    }
  };

  const flush = () => {
    flushScheduled = false;
    const all = [...groups.values()];
    groups.clear();
    for (const pending of all) {
      for (let i = 0; i < pending.length; i += MAX_GROUP) void send(pending.slice(i, i + MAX_GROUP));
    }
  };

  return {
    async load(shard, address) {
      const raw = await redis.get(keys.actor(shard, address));
      return raw === null ? null : (JSON.parse(raw) as ActorRecord);
    },
    async acknowledge({ shard, fence, ackIds }) {
      if (ackIds.length === 0) return 'acknowledged';
      const done = await ackScript.run(redis, [keys.lease(shard), keys.inbox(shard)], [fence, keys.group, ...ackIds]);
      return done === 1 ? 'acknowledged' : 'fenced';
    },
    commit(commit) {
      return new Promise<CommitOutcome>((resolve, reject) => {
        // One actor never has two commits in flight (its mailbox waits), so a group never holds the same key twice.
        const groupKey = `${commit.shard}|${commit.fence}`;
        const group = groups.get(groupKey);
        if (group) group.push({ commit, resolve, reject });
        else groups.set(groupKey, [{ commit, resolve, reject }]);
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
