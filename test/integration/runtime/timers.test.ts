import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { shardOf } from '../../../actors/address.ts';
import { timerJobId } from '../../../actors/timers.ts';
import { TEST_REDIS_URL, testCluster, waitFor, type TestCluster } from '../../support/cluster.ts';
import type { CounterState } from '../../support/counter-actor.ts';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const rings = async (c: TestCluster, id: string) => ((await c.record(c.address(id)))?.state as CounterState | undefined)?.rings ?? 0;

describe('durable timers', () => {
  it('given a timer scheduled by a worker, when that worker is killed, then the timer still fires once, on the new owner', async () => {
    cluster = testCluster({ shards: 8, leaseTtlMs: 2_000 });
    const c = cluster;
    const [first, second] = await Promise.all([c.spawnWorker(), c.spawnWorker()]);
    if (!first || !second) throw new Error('workers did not start');
    await waitFor(() => c.balancedAmong([first.workerId, second.workerId]), 15_000, 'balanced ownership');

    const owners = await c.owners();
    const id = Array.from({ length: 200 }, (_, i) => `T-${i}`).find((x) => owners[shardOf(c.address(x), c.shards)] === first.workerId);
    if (!id) throw new Error('no actor on the first worker');
    const queue = new Queue('timers', { connection: { url: TEST_REDIS_URL }, prefix: c.keys.timersPrefix() });
    try {
      await c.client.tell(c.address(id), { type: 'arm', timerId: 'alarm-1', delayMs: 3_000 });
      await waitFor(async () => (await queue.getJob(timerJobId(c.address(id), 'alarm-1'))) !== undefined, 10_000, 'the timer job');
      await first.kill();

      await waitFor(async () => (await rings(c, id)) === 1, 20_000, 'the timer to ring');
      expect((await c.record(c.address(id)))?.state).toMatchObject({ rings: 1 });
      expect((await c.owners())[shardOf(c.address(id), c.shards)]).toBe(second.workerId);

      // Scheduling the same timer id again is a no-op; a later, distinct timer proves time has passed.
      await c.client.tell(c.address(id), { type: 'arm', timerId: 'alarm-1', delayMs: 100 });
      await c.client.tell(c.address(id), { type: 'arm', timerId: 'alarm-2', delayMs: 600 });
      await waitFor(async () => (await rings(c, id)) >= 2, 10_000, 'the second timer');
      expect(await rings(c, id)).toBe(2);
    } finally {
      await queue.close();
    }
  });

  it('given a scheduled timer, when it is cancelled before it is due, then it never fires', async () => {
    cluster = testCluster({ shards: 4 });
    const c = cluster;
    await c.spawnWorker();
    const actor = c.address('CANCEL-1');
    await c.client.tell(actor, { type: 'arm', timerId: 'early', delayMs: 300 });
    await c.client.tell(actor, { type: 'disarm', timerId: 'early' });
    await c.client.tell(actor, { type: 'arm', timerId: 'late', delayMs: 900 });

    await waitFor(async () => (await rings(c, 'CANCEL-1')) >= 1, 10_000, 'the late timer');
    expect(await rings(c, 'CANCEL-1')).toBe(1);
  });

  it('given a far-off timer, when one decision cancels it and schedules it again sooner, then it fires once, at the new time', async () => {
    cluster = testCluster({ shards: 4 });
    const c = cluster;
    await c.spawnWorker();
    const id = `REARM-${Math.random().toString(36).slice(2, 8)}`;
    await c.client.tell(c.address(id), { type: 'arm', timerId: 'snooze', delayMs: 600_000 });
    await c.client.tell(c.address(id), { type: 'rearm', timerId: 'snooze', delayMs: 200 });
    // Carried out out of order (schedule, then cancel), the schedule would find the old job and the cancel remove it.
    await waitFor(async () => (await rings(c, id)) >= 1, 10_000, 'the rearmed timer');
    await c.client.tell(c.address(id), { type: 'arm', timerId: 'later', delayMs: 300 });
    await waitFor(async () => (await rings(c, id)) >= 2, 10_000, 'a later timer');
    expect(await rings(c, id)).toBe(2);
  });
});
