import { afterEach, describe, expect, it } from 'vitest';
import { actorAddress, shardOf } from '../../../actors/address.ts';
import { redisDeadLetters } from '../../../actors/dead-letters.ts';
import { ENVELOPE_FIELD } from '../../../actors/envelope.ts';
import { testCluster, waitFor, type TestCluster } from '../../support/cluster.ts';
import type { CounterState } from '../../support/counter-actor.ts';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('bad input', () => {
  it('given malformed entries, an unknown kind, an invalid body and a throwing handler, then each is parked, counted and acknowledged, and the shard keeps going', async () => {
    cluster = testCluster({ shards: 1 });
    const c = cluster;
    const worker = await c.spawnWorker();
    const inbox = c.keys.inbox(shardOf(c.address('X'), 1));
    const good = c.address('GOOD-1');

    await c.redis.xadd(inbox, '*', ENVELOPE_FIELD, 'this is not json');
    await c.redis.xadd(inbox, '*', 'other', 'no envelope field');
    await c.redis.xadd(inbox, '*', ENVELOPE_FIELD, JSON.stringify({ type: 'tell', id: 'm1', to: 'no address', body: {}, sentAt: 0 }));
    await c.client.tell(actorAddress('ghost', 'G-1'), { type: 'add', seq: 1 });
    await c.client.tell(good, { type: 'no-such-message' });
    await c.client.tell(good, { type: 'boom' });
    await c.client.tell(good, { type: 'add', seq: 1 });

    await waitFor(async () => ((await c.record(good))?.state as CounterState | undefined)?.seqs.length === 1, 10_000, 'the good message');
    expect((await c.record(good))?.state).toMatchObject({ seqs: [1] });

    const parked = await redisDeadLetters(c.redis, c.keys).list(10);
    const reasons = parked.map((p) => p.reason).sort();
    expect(reasons).toHaveLength(6);
    expect(reasons.join('\n')).toMatch(/entry is not JSON/);
    expect(reasons.join('\n')).toMatch(/has no "m" field/);
    expect(reasons.join('\n')).toMatch(/not an actor address/);
    expect(reasons.join('\n')).toMatch(/unknown actor kind: ghost/);
    expect(reasons.join('\n')).toMatch(/invalid counter message/);
    expect(reasons.join('\n')).toMatch(/decide threw: boom requested/);
    expect((await worker.report()).stats.deadLetters).toBe(6);

    await waitFor(async () => (await c.redis.xpending(inbox, c.keys.group))[0] === 0, 10_000, 'nothing pending');
  });

  it('given an ask to a kind no worker hosts, then the asker gets a DEAD_LETTER error at once instead of a timeout', async () => {
    cluster = testCluster({ shards: 2 });
    const c = cluster;
    await c.spawnWorker();
    const answer = await c.client.ask(actorAddress('ghost', 'G-2'), { type: 'get' }, { timeoutMs: 10_000 });
    expect(answer).toMatchObject({ ok: false, error: { code: 'DEAD_LETTER' } });
  });
});

describe('ask', () => {
  it('given an actor with state, when asked, then the reply carries its state', async () => {
    cluster = testCluster({ shards: 2 });
    const c = cluster;
    await c.spawnWorker();
    const a = c.address('ASK-1');
    await c.client.tell(a, { type: 'add', seq: 7 });
    const answer = await c.client.ask(a, { type: 'get' }, { timeoutMs: 10_000 });
    expect(answer).toMatchObject({ ok: true, value: { seqs: [7] } });
  });

  it('given an active actor, when inspected, then its owner answers with its state and recent messages without applying anything', async () => {
    cluster = testCluster({ shards: 2 });
    const c = cluster;
    const worker = await c.spawnWorker();
    const a = c.address('INSPECT-1');
    await c.client.tell(a, { type: 'add', seq: 1 });
    await c.client.tell(a, { type: 'add', seq: 2 });
    await waitFor(async () => ((await c.record(a))?.state as CounterState | undefined)?.seqs.length === 2, 10_000, 'applied');
    const answer = await c.client.inspect(a, { timeoutMs: 5_000 });
    expect(answer).toMatchObject({ ok: true, value: { address: a, workerId: worker.workerId, active: true, state: 'counter', context: { seqs: [1, 2] } } });
    if (answer.ok) expect(answer.value.recent.map((r) => [r.type, r.outcome])).toEqual([['add', 'applied'], ['add', 'applied']]);
    expect(((await c.record(a))?.state as CounterState).seqs).toEqual([1, 2]);
  });

  it('given no worker running, when asked with a timeout, then the ask fails with TIMEOUT', async () => {
    cluster = testCluster({ shards: 2 });
    const answer = await cluster.client.ask(cluster.address('NOBODY'), { type: 'get' }, { timeoutMs: 300 });
    expect(answer).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
  });

  it('given an actor that forwards to another, when the same message id is sent twice, then it is forwarded once', async () => {
    cluster = testCluster({ shards: 4 });
    const c = cluster;
    await c.spawnWorker();
    await c.client.tell(c.address('FWD-A'), { type: 'forward', toId: 'FWD-B', seq: 42 });
    await waitFor(async () => ((await c.record(c.address('FWD-B')))?.state as CounterState | undefined)?.seqs.length === 1, 10_000, 'forwarded');
    // A resent copy of the same message id is recognised as a duplicate by its receiver.
    await c.client.tell(c.address('FWD-A'), { type: 'forward', toId: 'FWD-B', seq: 42 }, { id: 'resend-1' });
    await c.client.tell(c.address('FWD-A'), { type: 'forward', toId: 'FWD-B', seq: 42 }, { id: 'resend-1' });
    await c.client.tell(c.address('FWD-A'), { type: 'forward', toId: 'FWD-B', seq: 43 });
    await waitFor(async () => ((await c.record(c.address('FWD-B')))?.state as CounterState).seqs.includes(43), 10_000, 'the marker');
    expect(((await c.record(c.address('FWD-B')))?.state as CounterState).seqs).toEqual([42, 42, 43]);
  });
});
