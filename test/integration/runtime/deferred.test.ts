import { afterEach, describe, expect, it } from 'vitest';
import { shardOf } from '../../../actors/address.ts';
import { testCluster, waitFor, type TestCluster } from '../../support/cluster.ts';
import type { CounterState } from '../../support/counter-actor.ts';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const uniqueId = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

/** What is written in Redis. */
async function written(c: TestCluster, id: string): Promise<CounterState | undefined> {
  return (await c.record(c.address(id)))?.state as CounterState | undefined;
}
async function pending(c: TestCluster, id: string): Promise<number> {
  const summary = (await c.redis.xpending(c.keys.inbox(shardOf(c.address(id), c.shards)), c.keys.group)) as [number, ...unknown[]];
  return Number(summary[0]);
}

describe('changes an actor kind lets the host write late', () => {
  it('given deferrable changes, when they are handled, then they are acknowledged at once, answered from memory, and written within the delay', async () => {
    cluster = testCluster({ shards: 4, counterDeferMs: 5_000 });
    const c = cluster;
    await c.spawnWorker();
    const id = uniqueId('DEFER');
    for (let i = 0; i < 3; i++) await c.client.tell(c.address(id), { type: 'touch' });

    expect((await c.live(id)).touches).toBe(3);
    // The ask's own entry is acknowledged right after its reply goes out, so this may take a moment — far less than the delay.
    await waitFor(async () => (await pending(c, id)) === 0, 2_000, 'every entry acknowledged');
    expect((await written(c, id))?.touches ?? 0).toBe(0);
    await waitFor(async () => (await written(c, id))?.touches === 3, 15_000, 'the deferred write');
  });

  it('given a deferred change, when a change that must be written follows, then one write carries both', async () => {
    cluster = testCluster({ shards: 4, counterDeferMs: 60_000 });
    const c = cluster;
    await c.spawnWorker();
    const id = uniqueId('DEFER');
    await c.client.tell(c.address(id), { type: 'touch' });
    await c.client.tell(c.address(id), { type: 'add', seq: 1 });

    await c.live(id);
    expect(await written(c, id)).toMatchObject({ seqs: [1], touches: 1 });
  });

  it('given deferred changes, when the worker is stopped gracefully, then it writes them before it leaves', async () => {
    cluster = testCluster({ shards: 4, counterDeferMs: 60_000 });
    const c = cluster;
    const worker = await c.spawnWorker();
    const id = uniqueId('DEFER');
    await c.client.tell(c.address(id), { type: 'add', seq: 1 });
    // Applied (and written) before the touch arrives: read together, one batch would write both.
    await c.live(id);
    await c.client.tell(c.address(id), { type: 'touch' });
    expect((await c.live(id)).touches).toBe(1);
    expect((await written(c, id))?.touches ?? 0).toBe(0);

    expect(await worker.stop()).toBe(0);
    expect(await written(c, id)).toMatchObject({ seqs: [1], touches: 1 });
  });
});
