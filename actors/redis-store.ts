import type { Redis } from 'ioredis';
import { shardOf, type ShardId } from './address.ts';
import type { ActorStore, ActorRecord, Commit, CommitOutcome, LeaseToken } from './store.ts';
import type { RuntimeKeys } from './keys.ts';
import { defineScript } from './script.ts';
import { REPLY_STREAM_MAX_LEN, REPLY_STREAM_TTL_MS } from './client.ts';

const commitScript = defineScript(`
-- KEYS  per shard of the call, in order: its lease, its inbox stream, then one actor record key per commit
--       then per commit, after its record key: one stream key per message it appends (an inbox or a reply stream)
-- ARGV[1] consumer group   ARGV[2] number of shards   ARGV[3] reply stream TTL ms   ARGV[4] reply entries kept (~)
--       then per shard: lease token (workerId|epoch) its writes are fenced by, number of commits m;
--       then per commit: record JSON, record TTL ms (0 = none), n, then n inbox entry ids to XACK, s, then s pairs
--       (send|reply, payload) to append (field m, the envelope field of actors/envelope.ts) to the streams in KEYS
-- Returns one status per shard, in order: 1 when its records are written, its entries acknowledged and its messages
-- appended; 0, having written nothing for that shard, when its lease is not (or no longer) that token.
local statuses = {}
local k = 1
local a = 5
for s = 1, tonumber(ARGV[2]) do
  local lease, inbox = KEYS[k], KEYS[k + 1]
  local held = redis.call('GET', lease) == ARGV[a]
  local m = tonumber(ARGV[a + 1])
  k = k + 2
  a = a + 2
  for _ = 1, m do
    local n = tonumber(ARGV[a + 2])
    if held then
      local ttl = tonumber(ARGV[a + 1])
      if ttl > 0 then
        redis.call('SET', KEYS[k], ARGV[a], 'PX', ttl)
      else
        redis.call('SET', KEYS[k], ARGV[a])
      end
      if n > 0 then redis.call('XACK', inbox, ARGV[1], unpack(ARGV, a + 3, a + 2 + n)) end
    end
    local sends = tonumber(ARGV[a + 3 + n])
    if held then
      for i = 1, sends do
        local kind, payload = ARGV[a + 2 + n + 2 * i], ARGV[a + 3 + n + 2 * i]
        if kind == 'reply' then
          redis.call('XADD', KEYS[k + i], 'MAXLEN', '~', ARGV[4], '*', 'm', payload)
          redis.call('PEXPIRE', KEYS[k + i], ARGV[3])
        else
          redis.call('XADD', KEYS[k + i], '*', 'm', payload)
        end
      end
    end
    k = k + 1 + sends
    a = a + 4 + n + 2 * sends
  end
  statuses[s] = held and 1 or 0
end
return statuses
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

/** Commits of one shard under one fence: one lease check covers them all. */
interface Run {
  readonly shard: ShardId;
  readonly fence: LeaseToken;
  readonly pending: Pending[];
}

export interface RedisActorStoreOptions {
  /**
   * Whether one script call may carry commits of several shards. Only where every shard's keys live on one Redis
   * node; on Redis Cluster each shard's keys are a hash slot of their own, so commits are grouped per shard.
   * @default 'across-shards'
   */
  readonly commitGroups?: 'across-shards' | 'per-shard';
  /**
   * The deployment's shard count. Given with `across-shards` groups (every inbox on one node), a commit also appends
   * the messages the actor sends, in the same script (see `ActorStore.commitsSends`).
   */
  readonly shardCount?: number;
}

/**
 * The commit grouping that fits how a worker reads its inboxes: a combined read already needs every shard's keys on
 * one node; reading per shard is for Redis Cluster, where a script's keys must share one shard's slot.
 */
export function commitGroupsFor(inboxReads: 'combined' | 'per-shard' = 'combined'): NonNullable<RedisActorStoreOptions['commitGroups']> {
  return inboxReads === 'per-shard' ? 'per-shard' : 'across-shards';
}

/**
 * The actor store on Redis: one JSON string per actor, written with its acks in one fenced script.
 * Commits issued in the same turn of the event loop go out as one script call (group commit), which is where most
 * of the runtime's throughput comes from; each caller still gets its own outcome, and each shard's commits are
 * fenced by that shard's lease on their own.
 */
export function redisActorStore(redis: Redis, keys: RuntimeKeys, options: RedisActorStoreOptions = {}): ActorStore {
  const perShard = options.commitGroups === 'per-shard';
  const shardCount = options.shardCount;
  const sendsWithCommits = !perShard && shardCount !== undefined;
  /** Commits waiting for the next flush, by shard and fence. */
  const waiting = new Map<string, Run>();
  let flushScheduled = false;

  /** One script call for `runs`, together at most MAX_GROUP commits. */
  const send = async (runs: readonly Run[]) => {
    const scriptKeys: string[] = [];
    const args: (string | number)[] = [keys.group, runs.length, REPLY_STREAM_TTL_MS, REPLY_STREAM_MAX_LEN];
    for (const { shard, fence, pending } of runs) {
      scriptKeys.push(keys.lease(shard), keys.inbox(shard));
      args.push(fence, pending.length);
      for (const { commit } of pending) {
        scriptKeys.push(keys.actor(shard, commit.address));
        args.push(JSON.stringify(commit.record), commit.ttlMs ?? 0, commit.ackIds.length, ...commit.ackIds);
        const sends = commit.sends ?? [];
        args.push(sends.length);
        for (const send of sends) {
          if (send.type === 'send') {
            scriptKeys.push(keys.inbox(shardOf(send.to, shardCount as number)));
            args.push('send', send.envelope);
          } else {
            scriptKeys.push(keys.replies(send.client));
            args.push('reply', send.reply);
          }
        }
      }
    }
    try {
      const statuses = (await commitScript.run(redis, scriptKeys, args)) as number[];
      runs.forEach((run, i) => {
        const outcome: CommitOutcome = statuses[i] === 1 ? 'committed' : 'fenced';
        for (const p of run.pending) p.resolve(outcome);
      });
    } catch (e) {
      for (const run of runs) for (const p of run.pending) p.reject(e);
    }
  };

  const flush = () => {
    flushScheduled = false;
    const runs = [...waiting.values()];
    waiting.clear();
    let call: Run[] = [];
    let size = 0;
    for (const { shard, fence, pending } of runs) {
      for (let i = 0; i < pending.length; i += MAX_GROUP) {
        const part: Run = { shard, fence, pending: pending.slice(i, i + MAX_GROUP) };
        if (call.length > 0 && (perShard || size + part.pending.length > MAX_GROUP)) {
          void send(call);
          call = [];
          size = 0;
        }
        call.push(part);
        size += part.pending.length;
      }
    }
    if (call.length > 0) void send(call);
  };

  return {
    commitsSends: () => sendsWithCommits,
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
      // A host asks `commitsSends` first; sends given to a store that cannot append them would be lost.
      if (commit.sends && commit.sends.length > 0 && !sendsWithCommits) return Promise.reject(new Error('this store does not append sends with commits'));
      return new Promise<CommitOutcome>((resolve, reject) => {
        // One actor never has two commits in flight (its mailbox waits), so a call never holds the same key twice.
        const runKey = `${commit.shard}|${commit.fence}`;
        const run = waiting.get(runKey);
        if (run) run.pending.push({ commit, resolve, reject });
        else waiting.set(runKey, { shard: commit.shard, fence: commit.fence, pending: [{ commit, resolve, reject }] });
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
