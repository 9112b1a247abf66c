import { afterEach, describe, expect, it } from 'vitest';
import { readerConnectionName } from '../../../actors/inbox-reader.ts';
import { testCluster, waitFor, type TestCluster } from '../../support/cluster.ts';
import type { CounterState } from '../../support/counter-actor.ts';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe("a worker's inbox read connection", () => {
  it('given a worker reading its inboxes, when Redis drops its blocking read connection, then it reconnects and every message is still applied once, in order', async () => {
    cluster = testCluster({ shards: 8 });
    const c = cluster;
    const worker = await c.spawnWorker();
    await waitFor(() => c.balancedAmong([worker.workerId]), 10_000, 'the worker to own every shard');
    const actors = Array.from({ length: 20 }, (_, i) => c.address(`K-${i}-${Math.random().toString(36).slice(2, 8)}`));
    for (const seq of [1, 2, 3]) await Promise.all(actors.map((a) => c.client.tell(a, { type: 'add', seq })));

    // The worker's reader connection, by its name (other suites' workers share this Redis).
    const readers = async () =>
      ((await c.redis.call('CLIENT', 'LIST')) as string)
        .split('\n')
        .filter((line) => line.includes(` name=${readerConnectionName(worker.workerId)} `) && line.includes('cmd=xreadgroup'))
        .map((line) => /\bid=(\d+)/.exec(line)?.[1])
        .filter((id): id is string => id !== undefined);
    const blocked = await waitFor(async () => {
      const ids = await readers();
      return ids.length > 0 ? ids : null;
    }, 10_000, 'the worker to block in XREADGROUP');
    for (const id of blocked) await c.redis.call('CLIENT', 'KILL', 'ID', id);

    for (const seq of [4, 5, 6]) await Promise.all(actors.map((a) => c.client.tell(a, { type: 'add', seq })));
    await waitFor(
      async () => (await Promise.all(actors.map((a) => c.record(a)))).every((r) => (r?.state as CounterState | undefined)?.seqs.length === 6),
      20_000,
      'every actor to apply all 6 messages',
    );
    for (const r of await Promise.all(actors.map((a) => c.record(a)))) expect((r?.state as CounterState).seqs).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
