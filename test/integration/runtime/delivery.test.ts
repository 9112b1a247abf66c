import { afterEach, describe, expect, it } from 'vitest';
import { testCluster, waitFor, type TestCluster } from '../../support/cluster.ts';
import type { CounterState } from '../../support/counter-actor.ts';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe.each(['combined', 'per-shard'] as const)('delivery across worker processes, inbox reads %s', (inboxReads) => {
  it('given 3 workers, when 1,000 actors get 20 messages each, then every actor applies each message exactly once, in order', async () => {
    cluster = testCluster({ shards: 32, inboxReads });
    const c = cluster;
    const workers = await Promise.all([c.spawnWorker(), c.spawnWorker(), c.spawnWorker()]);
    // All three share the shards before the first message: otherwise the first to start may finish them all alone.
    await waitFor(() => c.balancedAmong(workers.map((w) => w.workerId)), 20_000, 'the shards to be spread over the 3 workers');
    const actors = range(1000).map((i) => c.address(`A-${i}`));

    for (const seq of range(20)) await Promise.all(actors.map((a) => c.client.tell(a, { type: 'add', seq })));

    await waitFor(
      async () => {
        const records = await Promise.all(actors.map((a) => c.record(a)));
        return records.every((r) => (r?.state as CounterState | undefined)?.seqs.length === 20);
      },
      60_000,
      'every actor to apply 20 messages',
    );
    const records = await Promise.all(actors.map((a) => c.record(a)));
    for (const r of records) expect((r?.state as CounterState).seqs).toEqual(range(20));
    const writers = new Set(records.flatMap((r) => (r?.state as CounterState).writers));
    expect(writers.size).toBe(3);
  });

  it('given one decision that sends 50 messages to one actor, when they are delivered, then that actor applies them in the order sent', async () => {
    cluster = testCluster({ shards: 8, inboxReads });
    const c = cluster;
    await c.spawnWorker();
    const suffix = Math.random().toString(36).slice(2, 8);
    const target = c.address(`FAN-TO-${suffix}`);
    await c.client.tell(c.address(`FAN-FROM-${suffix}`), { type: 'fan', toId: `FAN-TO-${suffix}`, seqs: range(50) });

    await waitFor(async () => ((await c.record(target))?.state as CounterState | undefined)?.seqs.length === 50, 15_000, '50 messages applied');
    expect(((await c.record(target))?.state as CounterState).seqs).toEqual(range(50));
  });

  it('given an actor that sends a message, when its commit is written, then the message arrives once and the written outbox keeps a send to redo only where the commit could not append it', async () => {
    cluster = testCluster({ shards: 8, inboxReads });
    const c = cluster;
    await c.spawnWorker();
    const suffix = Math.random().toString(36).slice(2, 8);
    const from = c.address(`FWD-FROM-${suffix}`);
    await c.client.tell(from, { type: 'relay', toId: `FWD-TO-${suffix}`, seq: 7 });

    await waitFor(async () => (await c.live(`FWD-TO-${suffix}`)).seqs.length === 1, 10_000, 'the forwarded message applied');
    expect((await c.live(`FWD-TO-${suffix}`)).seqs).toEqual([7]);
    // Combined reads keep every inbox on one node: the commit appended the message with the record, atomically.
    // Per-shard reads (Redis Cluster) send it after the commit, so the outbox keeps it for a restart to redo.
    const outbox = (await c.record(from))?.outbox ?? [];
    expect(outbox.map((e) => e.type)).toEqual(inboxReads === 'combined' ? [] : ['send']);
  });
});
