import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { timerJobId } from '../../../actors/timers.ts';
import { offerTimer } from '../../../machines/dispatch/decider.ts';
import { dispatchAddress } from '../../../src/dispatch/effects.ts';
import { TEST_REDIS_URL, waitFor } from '../../support/cluster.ts';
import { dispatchCluster, type DispatchCluster } from '../../support/dispatch-cluster.ts';

let cluster: DispatchCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const PICKUP = { lat: 41.9028, lng: 12.4964 };
const DROPOFF = { lat: 41.91, lng: 12.5 };
const NEAR = { lat: 41.9031, lng: 12.4964 };
const FAR = { lat: 41.905, lng: 12.4964 };

describe('offers through real workers', () => {
  it('given two drivers, when the nearer declines, then the other is offered; when it accepts, the order is assigned and the driver told', async () => {
    const c = (cluster = dispatchCluster());
    await c.start(2);
    await c.online('D-NEAR', NEAR);
    await c.online('D-FAR', FAR);
    await c.startOrder('ORD-1', PICKUP, DROPOFF);

    const first = await c.nthPush('D-NEAR', 'offer');
    expect(first.data).toEqual({
      offerId: expect.any(String),
      orderId: 'ORD-1',
      restaurant: { restaurantId: 'REST-ORD-1', location: PICKUP },
      dropoff: { location: DROPOFF },
      expiresAt: expect.stringMatching(/Z$/),
    });
    expect(Date.parse(first.data.expiresAt as string) - Date.now()).toBeGreaterThan(10_000);
    expect(await c.ask('D-NEAR', { type: 'DeclineOffer', offerId: first.data.offerId as string })).toMatchObject({ ok: true, status: 'AVAILABLE' });

    const second = await c.nthPush('D-FAR', 'offer');
    expect(second.data.offerId).not.toBe(first.data.offerId);
    expect(await c.ask('D-FAR', { type: 'AcceptOffer', offerId: second.data.offerId as string })).toMatchObject({ ok: true, status: 'ASSIGNED', orderId: 'ORD-1' });

    const outcome = await c.outcome('ORD-1');
    expect(outcome.assigned).toEqual([{ driverId: 'D-FAR', eta: expect.stringMatching(/Z$/), at: expect.any(Number) }]);
    expect((await c.nthPush('D-FAR', 'assignment')).data).toEqual({ orderId: 'ORD-1', offerId: second.data.offerId, restaurant: expect.any(Object), dropoff: expect.any(Object) });
    expect((await c.driver('D-FAR'))?.value).toBe('assigned');
    expect((await c.driver('D-NEAR'))?.value).toBe('available');
  });

  it('given an offer nobody answers, when it times out, then the next driver is offered, and the late accept is refused', async () => {
    const c = (cluster = dispatchCluster({ settings: { offerTimeoutMs: 1_500, acceptGraceMs: 300 } }));
    await c.start(2);
    await c.online('T-NEAR', NEAR);
    await c.online('T-FAR', FAR);
    await c.startOrder('ORD-T', PICKUP);

    const first = await c.nthPush('T-NEAR', 'offer');
    const second = await c.nthPush('T-FAR', 'offer', 1, 10_000);
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(1_500);
    expect(c.pushes.of('T-NEAR', 'offer:withdrawn').map((p) => p.data)).toEqual([{ offerId: first.data.offerId, orderId: 'ORD-T', reason: 'timeout' }]);
    expect(await c.ask('T-NEAR', { type: 'AcceptOffer', offerId: first.data.offerId as string })).toMatchObject({ ok: false, error: { code: 'INVALID_TRANSITION' } });
    expect(await c.ask('T-FAR', { type: 'AcceptOffer', offerId: second.data.offerId as string })).toMatchObject({ ok: true });
    expect((await c.outcome('ORD-T')).assigned.map((a) => a.driverId)).toEqual(['T-FAR']);
  });

  it('given an offer timer scheduled by a worker, when that worker is killed, then the timeout still fires once and the next driver is offered', async () => {
    const c = (cluster = dispatchCluster({ settings: { offerTimeoutMs: 2_000, acceptGraceMs: 200 }, leaseTtlMs: 2_000 }));
    const [w1, w2] = await c.start(2);
    if (!w1 || !w2) throw new Error('workers did not start');
    // An order whose dispatch actor lives on the first worker.
    let chosen: string | undefined;
    for (let i = 0; i < 100 && !chosen; i++) {
      if ((await c.ownerOf(dispatchAddress(`ORD-K-${i}`))) === w1.workerId) chosen = `ORD-K-${i}`;
    }
    if (!chosen) throw new Error('no order id on the first worker');
    await c.online('K-NEAR', NEAR);
    await c.online('K-FAR', FAR);
    await c.startOrder(chosen, PICKUP);
    const first = await c.nthPush('K-NEAR', 'offer');

    const queue = new Queue('timers', { connection: { url: TEST_REDIS_URL }, prefix: c.keys.timersPrefix() });
    try {
      const jobId = timerJobId(dispatchAddress(chosen), offerTimer(first.data.offerId as string));
      await waitFor(async () => (await queue.getJob(jobId)) !== undefined, 5_000, 'the offer timer job');
      await w1.kill();

      const second = await c.nthPush('K-FAR', 'offer', 1, 20_000);
      expect(second.data.orderId).toBe(chosen);
      // Once: one withdrawal of the first offer, one offer to the next driver, and the search saw one expiry.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(c.pushes.of('K-NEAR', 'offer:withdrawn')).toHaveLength(1);
      expect(c.pushes.of('K-FAR', 'offer')).toHaveLength(1);
      expect((await c.dispatch(chosen))?.context.log).toEqual([{ offerId: first.data.offerId, driverId: 'K-NEAR', outcome: 'expired' }]);
      expect(await c.ownerOf(dispatchAddress(chosen))).toBe(w2.workerId);
    } finally {
      await queue.close();
    }
  });

  it('given an offer out, when the order is cancelled, then the driver is released and can be offered another order', async () => {
    const c = (cluster = dispatchCluster());
    await c.start(2);
    await c.online('C-ONLY', NEAR);
    await c.startOrder('ORD-C1', PICKUP);
    const first = await c.nthPush('C-ONLY', 'offer');
    await c.cancelOrder('ORD-C1');
    await c.nthPush('C-ONLY', 'offer:withdrawn');
    expect(await c.ask('C-ONLY', { type: 'AcceptOffer', offerId: first.data.offerId as string })).toMatchObject({ ok: false });
    await waitFor(async () => (await c.driver('C-ONLY'))?.value === 'available', 5_000, 'the driver released');

    await c.startOrder('ORD-C2', PICKUP);
    expect((await c.nthPush('C-ONLY', 'offer', 2)).data.orderId).toBe('ORD-C2');
    expect((await c.order('ORD-C1'))?.assigned).toEqual([]);
  });
});
