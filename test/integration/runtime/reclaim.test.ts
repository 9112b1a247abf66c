import { afterEach, describe, expect, it } from 'vitest';
import { shardOf } from '../../../actors/address.ts';
import { ENVELOPE_FIELD, encodeEnvelope } from '../../../actors/envelope.ts';
import { testCluster, waitFor, type TestCluster } from '../../support/cluster.ts';
import type { CounterState } from '../../support/counter-actor.ts';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('entries left pending under another consumer', () => {
  it("given a shard's owner, when a frozen ex-owner's read takes entries after the takeover and never acknowledges them, then the owner claims and applies them once they are RECLAIM_AFTER_MS old, and forgets the gone consumer", async () => {
    cluster = testCluster({ shards: 4, reclaimAfterMs: 1_000 });
    const c = cluster;
    const worker = await c.spawnWorker();
    await waitFor(() => c.balancedAmong([worker.workerId]), 10_000, 'the worker to own every shard');
    const actor = c.address(`R-${Math.random().toString(36).slice(2, 10)}`);
    const inbox = c.keys.inbox(shardOf(actor, c.shards));

    // In one transaction: the entries are appended and read at once by the "zombie" consumer, before the owner's
    // blocked read is served — which is what a frozen process's still-open connection can do to a new owner.
    const tx = c.redis.multi();
    for (const seq of [1, 2, 3]) {
      tx.xadd(inbox, '*', ENVELOPE_FIELD, encodeEnvelope({ type: 'tell', id: `zombie-${actor}-${seq}`, to: actor, body: { type: 'add', seq }, sentAt: Date.now() }));
    }
    tx.xreadgroup('GROUP', c.keys.group, 'zombie', 'COUNT', 10, 'STREAMS', inbox, '>');
    await tx.exec();
    const pending = (await c.redis.xpending(inbox, c.keys.group)) as [number, ...unknown[]];
    expect(pending[0]).toBe(3);

    const record = await waitFor(async () => {
      const r = await c.record(actor);
      return (r?.state as CounterState | undefined)?.seqs.length === 3 ? r : null;
    }, 20_000, 'the owner to apply the stranded entries');
    expect((record.state as CounterState).seqs).toEqual([1, 2, 3]);
    await waitFor(async () => ((await c.redis.xpending(inbox, c.keys.group)) as [number])[0] === 0, 5_000, 'nothing left pending');

    // The zombie's consumer, now holding nothing and idle, is forgotten; the live worker's stays.
    const consumerNames = async () => ((await c.redis.call('XINFO', 'CONSUMERS', inbox, c.keys.group)) as string[][]).map((info) => info[info.indexOf('name') + 1]);
    await waitFor(async () => !(await consumerNames()).includes('zombie'), 15_000, 'the gone consumer to be deleted');
    expect(await consumerNames()).toEqual([worker.workerId]);
  });
});
