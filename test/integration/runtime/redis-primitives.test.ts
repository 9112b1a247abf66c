import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { actorAddress, shardOf, type ActorAddress, type ShardId } from '../../../actors/address.ts';
import { deleteNamespace } from '../../../actors/delete-namespace.ts';
import { runtimeKeys } from '../../../actors/keys.ts';
import { redisLeases } from '../../../actors/lease.ts';
import { redisActorStore } from '../../../actors/redis-store.ts';
import type { CommittedSend } from '../../../actors/store.ts';
import { trimInbox } from '../../../actors/trim.ts';
import { initialRecord } from '../../../actors/apply.ts';
import { TEST_REDIS_URL } from '../../support/cluster.ts';

const redis = new Redis(TEST_REDIS_URL);
const keys = runtimeKeys(`t-${randomUUID().slice(0, 8)}`);
const shard = 3 as ShardId;
/** The shard count the stores of this file are told (inbox keys of the messages commits send). */
const SHARDS = 64;
afterAll(async () => {
  const found = await redis.keys(keys.pattern());
  if (found.length) await redis.del(...found);
  redis.disconnect();
});

describe('shard leases', () => {
  it('given a held lease, when another worker tries to acquire it, then it is refused until the lease expires, and the next epoch is higher', async () => {
    const a = redisLeases(redis, keys, 'worker-a', 200);
    const b = redisLeases(redis, keys, 'worker-b', 200);
    const held = await a.acquire(shard);
    expect(held).not.toBeNull();
    expect(await b.acquire(shard)).toBeNull();
    await new Promise((r) => setTimeout(r, 300));
    const taken = await b.acquire(shard);
    expect(taken?.epoch).toBeGreaterThan(held?.epoch ?? Infinity);
    expect(await a.renew(held!)).toBe(false);
    await a.release(held!);
    expect(await b.renew(taken!)).toBe(true);
    await b.release(taken!);
  });

  it('given a stale lease token, when it commits an actor record, then nothing is written and nothing acknowledged', async () => {
    const store = redisActorStore(redis, keys);
    const address = actorAddress('counter', `F-${randomUUID().slice(0, 6)}`);
    const old = await redisLeases(redis, keys, 'old', 100).acquire(shard);
    await new Promise((r) => setTimeout(r, 150));
    const current = await redisLeases(redis, keys, 'new', 5_000).acquire(shard);
    await redis.xgroup('CREATE', keys.inbox(shard), keys.group, '0', 'MKSTREAM').catch(() => undefined);
    const entry = await redis.xadd(keys.inbox(shard), '*', 'm', '{}');
    await redis.xreadgroup('GROUP', keys.group, 'old', 'COUNT', 1, 'STREAMS', keys.inbox(shard), '>');

    const stale = await store.commit({ shard, address, fence: old!.token, record: initialRecord({ v: 1 }), ackIds: [entry!] });
    expect(stale).toBe('fenced');
    expect(await store.load(shard, address)).toBeNull();
    expect((await redis.xpending(keys.inbox(shard), keys.group))[0]).toBe(1);

    const fresh = await store.commit({ shard, address, fence: current!.token, record: initialRecord({ v: 2 }), ackIds: [entry!] });
    expect(fresh).toBe('committed');
    expect((await store.load(shard, address))?.state).toEqual({ v: 2 });
    expect((await redis.xpending(keys.inbox(shard), keys.group))[0]).toBe(0);
  });
});

describe.each([
  { commitGroups: 'across-shards', shards: [20, 21] },
  { commitGroups: 'per-shard', shards: [22, 23] },
] as const)('group commit, commits grouped $commitGroups', ({ commitGroups, shards }) => {
  it('given commits of two shards in one turn, one under a stale lease token, when they are flushed, then only the current shard is written, acknowledged and sends', async () => {
    // Its own namespace: the messages these commits send land on shards other tests of this file use.
    const own = runtimeKeys(`t-${randomUUID().slice(0, 8)}`);
    try {
      const store = redisActorStore(redis, own, { commitGroups, shardCount: SHARDS });
      const [current, stale] = shards as unknown as [ShardId, ShardId];
      const leases = redisLeases(redis, own, `w-${randomUUID().slice(0, 6)}`, 5_000);
      const held = await leases.acquire(current);
      await leases.acquire(stale);
      const pendingEntry = async (s: ShardId) => {
        await redis.xgroup('CREATE', own.inbox(s), own.group, '0', 'MKSTREAM').catch(() => undefined);
        const id = await redis.xadd(own.inbox(s), '*', 'm', '{}');
        await redis.xreadgroup('GROUP', own.group, 'w', 'COUNT', 10, 'STREAMS', own.inbox(s), '>');
        return id!;
      };
      const [a, b] = [actorAddress('counter', `G-${randomUUID().slice(0, 6)}`), actorAddress('counter', `H-${randomUUID().slice(0, 6)}`)];
      const [entryA, entryB] = [await pendingEntry(current), await pendingEntry(stale)];

      // Each also sends a message to another actor and replies to an asker (appended by the commit itself where the
      // store does that).
      const to = (id: string) => actorAddress('counter', `${id}-${randomUUID().slice(0, 6)}`);
      const [toA, toB] = [to('TO-A'), to('TO-B')];
      const asker = `asker-${randomUUID().slice(0, 6)}`;
      const sends = (target: ActorAddress): { sends?: CommittedSend[] } =>
        store.commitsSends?.(target)
          ? {
              sends: [
                { type: 'send', to: target, envelope: JSON.stringify({ for: target }) },
                { type: 'reply', client: asker, reply: JSON.stringify({ type: 'reply', correlationId: target, body: null }) },
              ],
            }
          : {};
      const outcomes = await Promise.all([
        store.commit({ shard: current, address: a, fence: held!.token, record: initialRecord({ v: 1 }), ackIds: [entryA], ...sends(toA) }),
        store.commit({ shard: stale, address: b, fence: 'someone-else|1', record: initialRecord({ v: 1 }), ackIds: [entryB], ...sends(toB) }),
      ]);

      expect(outcomes).toEqual(['committed', 'fenced']);
      // A store whose commits carry one shard each (Redis Cluster) cannot append to another shard's inbox.
      expect(store.commitsSends?.(toA)).toBe(commitGroups === 'across-shards');
      if (commitGroups === 'across-shards') {
        // Only the written commit's message is in an inbox: the fenced one's went nowhere.
        const inbox = async (target: ActorAddress) => (await redis.xrange(own.inbox(shardOf(target, SHARDS)), '-', '+')).map(([, fields]) => fields[1]);
        expect(await inbox(toA)).toContain(JSON.stringify({ for: toA }));
        expect(await inbox(toB)).not.toContain(JSON.stringify({ for: toB }));
        const replies = await redis.xrange(own.replies(asker), '-', '+');
        expect(replies.map(([, fields]) => (JSON.parse(fields[1] ?? '{}') as { correlationId?: string }).correlationId)).toEqual([toA]);
        // A reply stream nobody reads expires.
        expect(await redis.pttl(own.replies(asker))).toBeGreaterThan(0);
      }
      expect((await store.load(current, a))?.state).toEqual({ v: 1 });
      expect(await store.load(stale, b)).toBeNull();
      expect((await redis.xpending(own.inbox(current), own.group))[0]).toBe(0);
      expect((await redis.xpending(own.inbox(stale), own.group))[0]).toBe(1);
    } finally {
      await deleteNamespace(redis, own);
    }
  });
});

describe('group commit acknowledgements', () => {
  it('given 40 actors each settling 64 entries of one shard in one turn (2,560 ids in one call), when committed, then every record is written and nothing stays pending', async () => {
    const store = redisActorStore(redis, keys);
    const s = 24 as ShardId;
    const held = await redisLeases(redis, keys, `w-${randomUUID().slice(0, 6)}`, 5_000).acquire(s);
    await redis.xgroup('CREATE', keys.inbox(s), keys.group, '0', 'MKSTREAM');
    for (let i = 0; i < 2_560; i++) void redis.xadd(keys.inbox(s), '*', 'm', '{}');
    const read = (await redis.xreadgroup('GROUP', keys.group, 'w', 'COUNT', 5_000, 'STREAMS', keys.inbox(s), '>')) as [string, [string, string[]][]][];
    const ids = (read[0]?.[1] ?? []).map(([id]) => id);
    expect(ids).toHaveLength(2_560);

    const actors = Array.from({ length: 40 }, (_, i) => actorAddress('counter', `A${i}-${randomUUID().slice(0, 6)}`));
    const outcomes = await Promise.all(
      actors.map((address, i) => store.commit({ shard: s, address, fence: held!.token, record: initialRecord({ i }), ackIds: ids.slice(i * 64, (i + 1) * 64) })),
    );

    expect(outcomes.every((o) => o === 'committed')).toBe(true);
    expect((await store.load(s, actors[39]!))?.state).toEqual({ i: 39 });
    expect((await redis.xpending(keys.inbox(s), keys.group))[0]).toBe(0);
  });
});

describe('inbox trimming', () => {
  it('given delivered-but-unacknowledged entries, when the inbox is trimmed, then only entries below the oldest pending one go', async () => {
    const s = 9 as ShardId;
    const inbox = keys.inbox(s);
    await redis.xgroup('CREATE', inbox, keys.group, '0', 'MKSTREAM');
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await redis.xadd(inbox, '*', 'm', String(i)))!);
    await redis.xreadgroup('GROUP', keys.group, 'c1', 'COUNT', 6, 'STREAMS', inbox, '>');
    await redis.xack(inbox, keys.group, ids[0]!, ids[1]!, ids[2]!, ids[4]!);

    const result = await trimInbox(redis, keys, s);
    expect(result).toEqual({ removed: 3, lag: 4, pending: 2 });
    const left = (await redis.xrange(inbox, '-', '+')).map(([id]) => id);
    expect(left).toEqual(ids.slice(3));

    await redis.xack(inbox, keys.group, ids[3]!, ids[5]!);
    expect((await trimInbox(redis, keys, s)).removed).toBe(2);
    expect((await redis.xrange(inbox, '-', '+')).map(([id]) => id)).toEqual(ids.slice(5));
  });
});
