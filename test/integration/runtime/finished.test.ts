import { afterEach, describe, expect, it } from 'vitest';
import { testCluster, waitFor, type TestCluster } from '../../support/cluster.ts';
import type { WorkerRecord } from '../../support/worker-record.ts';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const uniqueId = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

const residentCounters = async (worker: WorkerRecord) => (await worker.report()).info.actors.counter ?? 0;

/** One worker whose idle actors stay for five minutes: only `finished` can make one leave within a test. */
async function oneWorker(): Promise<{ c: TestCluster; worker: WorkerRecord }> {
  cluster = testCluster({ shards: 4, passivateAfterMs: 300_000 });
  return { c: cluster, worker: await cluster.spawnWorker() };
}

describe('actors a kind says are finished', () => {
  it('given a finished actor, when its write is done, then it leaves memory at once (idle ones stay), and a later message activates it from its record', async () => {
    const { c, worker } = await oneWorker();
    const done = uniqueId('DONE');
    const open = uniqueId('OPEN');
    await c.client.tell(c.address(done), { type: 'add', seq: 1 });
    await c.client.tell(c.address(open), { type: 'add', seq: 1 });
    await c.live(done);
    await c.live(open);
    expect(await residentCounters(worker)).toBe(2);

    await c.client.tell(c.address(done), { type: 'finish' });
    await waitFor(async () => (await residentCounters(worker)) === 1, 10_000, 'the finished actor to leave memory');
    expect((await c.record(c.address(done)))?.state).toMatchObject({ seqs: [1], finished: true });

    // Activated again from what was written: nothing lost, nothing applied twice.
    await c.client.tell(c.address(done), { type: 'add', seq: 2 });
    expect(await c.live(done)).toMatchObject({ seqs: [1, 2], finished: true });
    expect(await c.live(open)).toMatchObject({ seqs: [1] });
    await waitFor(async () => (await residentCounters(worker)) === 1, 10_000, 'the finished actor to leave memory again');
    expect((await worker.report()).stats).toMatchObject({ duplicates: 0, deadLetters: 0 });
  });

  it('given a finished actor whose last decision sent a message, when a later message activates it again, then that message is not sent again', async () => {
    const { c, worker } = await oneWorker();
    const done = uniqueId('DONE');
    const target = uniqueId('TARGET');
    await c.client.tell(c.address(done), { type: 'finish', toId: target, seq: 100 });
    await waitFor(async () => (await c.live(target)).seqs.length === 1, 10_000, 'the finished actor to send its message');
    // More messages than the target's window of recent ids: a resent one would no longer be recognised there.
    for (let seq = 1; seq <= 20; seq++) await c.client.tell(c.address(target), { type: 'add', seq });
    await waitFor(async () => (await residentCounters(worker)) === 1, 10_000, 'the finished actor to leave memory');

    // The reactivation runs what the record's outbox holds before it answers; the target then sees anything it sent.
    await c.live(done);
    expect((await c.live(target)).seqs).toEqual([100, ...Array.from({ length: 20 }, (_, i) => i + 1)]);
  });
});
