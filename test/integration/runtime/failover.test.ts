import { afterEach, describe, expect, it } from 'vitest';
import type { ActorAddress } from '../../../actors/address.ts';
import { testCluster, waitFor, type TestCluster } from '../../support/cluster.ts';
import type { CounterState } from '../../support/counter-actor.ts';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

async function everyActorApplied(c: TestCluster, actors: readonly ActorAddress[], count: number) {
  await waitFor(
    async () => {
      const records = await Promise.all(actors.map((a) => c.record(a)));
      return records.every((r) => ((r?.state as CounterState | undefined)?.seqs.length ?? 0) >= count);
    },
    60_000,
    `every actor to apply ${count} messages`,
  );
  const records = await Promise.all(actors.map((a) => c.record(a)));
  return records.map((r) => r?.state as CounterState);
}

describe('shard ownership under failures', () => {
  it('given 3 workers under load, when one is killed with SIGKILL, then its shards are owned again within lease TTL + 2 s and nothing is lost or applied twice', async () => {
    cluster = testCluster({ shards: 24, leaseTtlMs: 3_000 });
    const c = cluster;
    const [a, b, victim] = await Promise.all([c.spawnWorker(), c.spawnWorker(), c.spawnWorker()]);
    if (!a || !b || !victim) throw new Error('workers did not start');
    await waitFor(() => c.balancedAmong([a.workerId, b.workerId, victim.workerId]), 15_000, 'balanced ownership');
    const actors = range(300).map((i) => c.address(`K-${i}`));

    for (const seq of range(10)) await Promise.all(actors.map((x) => c.client.tell(x, { type: 'add', seq })));
    await victim.kill();
    const killedAt = Date.now();
    for (const seq of range(30).slice(10)) await Promise.all(actors.map((x) => c.client.tell(x, { type: 'add', seq })));

    await waitFor(() => c.balancedAmong([a.workerId, b.workerId]), 3_000 + 5_000, 'survivors to own every shard');
    expect(Date.now() - killedAt).toBeLessThanOrEqual(3_000 + 2_000);

    const states = await everyActorApplied(c, actors, 30);
    for (const s of states) expect(s.seqs).toEqual(range(30));
  });

  it('given 2 workers, when scaled to 3 and back to 2 while messages flow, then no message is lost or applied twice and ownership ends balanced', async () => {
    cluster = testCluster({ shards: 32 });
    const c = cluster;
    const [w1, w2] = await Promise.all([c.spawnWorker(), c.spawnWorker()]);
    if (!w1 || !w2) throw new Error('workers did not start');
    const actors = range(200).map((i) => c.address(`S-${i}`));
    let sent = 0;
    const produce = (async () => {
      for (const seq of range(60)) {
        await Promise.all(actors.map((x) => c.client.tell(x, { type: 'add', seq })));
        sent = seq;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    await waitFor(async () => sent >= 10, 30_000, 'first messages');
    const w3 = await c.spawnWorker();
    await waitFor(() => c.balancedAmong([w1.workerId, w2.workerId, w3.workerId]), 15_000, 'balance over 3 workers');
    const shardsWhileThree = (await w3.report()).info.shards.length;
    expect(shardsWhileThree).toBeGreaterThanOrEqual(10);

    await waitFor(async () => sent >= 35, 30_000, 'more messages');
    expect(await w1.stop()).toBe(0);
    await waitFor(() => c.balancedAmong([w2.workerId, w3.workerId]), 15_000, 'balance over 2 workers');

    await produce;
    const states = await everyActorApplied(c, actors, 60);
    for (const s of states) expect(s.seqs).toEqual(range(60));
  });

  it('given a worker frozen with SIGSTOP past its lease, when it is resumed with SIGCONT, then none of its late writes takes effect', async () => {
    cluster = testCluster({ shards: 16, leaseTtlMs: 2_000 });
    const c = cluster;
    const [zombie, survivor] = await Promise.all([c.spawnWorker(), c.spawnWorker()]);
    if (!zombie || !survivor) throw new Error('workers did not start');
    await waitFor(() => c.balancedAmong([zombie.workerId, survivor.workerId]), 15_000, 'balanced ownership');
    const actors = range(400).map((i) => c.address(`Z-${i}`));

    // A burst the zombie is still chewing on when it freezes.
    const burst = range(15).map((seq) => Promise.all(actors.map((x) => c.client.tell(x, { type: 'add', seq }))));
    await Promise.all(burst);
    zombie.signal('SIGSTOP');
    await waitFor(() => c.balancedAmong([survivor.workerId]), 15_000, 'survivor to take every shard');
    const states = await everyActorApplied(c, actors, 15);
    for (const s of states) expect(s.seqs).toEqual(range(15));

    zombie.signal('SIGCONT');
    // The resumed zombie notices it lost its leases; until then its commits are refused by the fence.
    await waitFor(async () => (await zombie.report()).info.shards.length === 0, 10_000, 'zombie to drop its shards');
    for (const seq of range(20).slice(15)) await Promise.all(actors.map((x) => c.client.tell(x, { type: 'add', seq })));

    const after = await everyActorApplied(c, actors, 20);
    for (const s of after) expect(s.seqs).toEqual(range(20));
    // It did try: the commits it had in flight when it froze were refused by the lease fence.
    expect((await zombie.report()).stats.fencedCommits).toBeGreaterThan(0);
    await waitFor(() => c.balancedAmong([zombie.workerId, survivor.workerId]), 15_000, 'the resumed worker to rejoin');
  });
});
