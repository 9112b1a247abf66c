import { seededRandom } from '../../../src/shared/seeded-random.ts';
import { cellToLatLng, gridRing } from 'h3-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellOf, gridStepsBetween, type GeoPoint } from '../../../machines/dispatch/geo.ts';
import { compareCandidates, scoreDriver, scoreParamsFor } from '../../../machines/dispatch/score.ts';
import { dispatchSettings, searchConfigOf } from '../../../src/dispatch/config.ts';
import { waitFor } from '../../support/cluster.ts';
import { dispatchCluster, type DispatchCluster } from '../../support/dispatch-cluster.ts';

let cluster: DispatchCluster;
const settings = dispatchSettings();
const search = searchConfigOf(settings);

beforeAll(async () => {
  cluster = dispatchCluster();
  await cluster.start(2);
});
afterAll(async () => {
  await cluster?.close();
});

const random = seededRandom;

const centerOf = (cell: string): GeoPoint => {
  const [lat, lng] = cellToLatLng(cell);
  return { lat, lng };
};

/** The offer pushed for an order, whichever driver got it. */
const offerFor = (orderId: string) =>
  waitFor(async () => cluster.pushes.seen.find((p) => p.event === 'offer' && p.data.orderId === orderId), 15_000, `an offer for ${orderId}`);

describe('matching through real workers', () => {
  it('given 40 drivers placed at random, when 30 orders ask one after the other, then each first offer goes to the brute-force best driver', async () => {
    const rnd = random(99);
    const city = { lat: 48.8566, lng: 2.3522 };
    const drivers = Array.from({ length: 40 }, (_, i) => {
      const moving = rnd() < 0.5;
      return {
        driverId: `P-${i}`,
        lat: city.lat + (rnd() - 0.5) * 0.03,
        lng: city.lng + (rnd() - 0.5) * 0.04,
        heading: moving ? Math.floor(rnd() * 360) : undefined,
        speedKph: moving ? 10 + Math.floor(rnd() * 30) : undefined,
        load: 0,
      };
    });
    await Promise.all(drivers.map((d) => cluster.online(d.driverId, d, { ...(d.heading === undefined ? {} : { heading: d.heading, speedKph: d.speedKph }) })));

    for (let i = 0; i < 30; i++) {
      const pickup = { lat: city.lat + (rnd() - 0.5) * 0.03, lng: city.lng + (rnd() - 0.5) * 0.04 };
      const orderId = `ORD-P-${i}`;
      await cluster.startOrder(orderId, pickup);
      const offer = await offerFor(orderId);

      const params = scoreParamsFor(search.score, 0);
      const pickupCell = cellOf(pickup, search.resolution);
      const best = drivers
        .filter((d) => (gridStepsBetween(pickupCell, cellOf(d, search.resolution)) ?? Infinity) <= search.maxRings)
        .map((d) => ({ driverId: d.driverId, ...scoreDriver(pickup, { ...d, heading: d.heading ?? null, speedKph: d.speedKph ?? null }, params) }))
        .sort(compareCandidates)[0];
      expect(offer.driverId, `order ${i}`).toBe(best?.driverId);

      // Let the driver go again and wait until it is listed in its cell before the next order.
      await cluster.cancelOrder(orderId);
      await waitFor(async () => (await cluster.cell(cellOf(drivers.find((d) => d.driverId === offer.driverId) as GeoPoint, 8)))?.drivers.some((e) => e.driverId === offer.driverId), 10_000, `${offer.driverId} listed again`);
    }
  });

  it('given the only drivers two and five rings away (max 4), then the one two rings away is offered, and the next order finds none', async () => {
    const pickup = { lat: 52.52, lng: 13.405 };
    const home = cellOf(pickup, 8);
    await cluster.online('R-TWO', centerOf(gridRing(home, 2)[5] as string));
    await cluster.online('R-FIVE', centerOf(gridRing(home, 5)[0] as string));

    await cluster.startOrder('ORD-R-1', pickup);
    expect((await offerFor('ORD-R-1')).driverId).toBe('R-TWO');
    // It widened ring by ring (ring 3 may be needed to prove nobody nearer hides just beyond ring 2).
    const dispatch = await cluster.dispatch('ORD-R-1');
    expect(dispatch?.context.reach).toBeGreaterThanOrEqual(2);
    expect(dispatch?.context.reach).toBeLessThanOrEqual(4);

    await cluster.startOrder('ORD-R-2', pickup);
    const outcome = await cluster.outcome('ORD-R-2');
    expect(outcome.failed).toEqual([{ reason: expect.stringMatching(/^NO_DRIVER_AVAILABLE: no available driver within 4 ring/), at: expect.any(Number) }]);
    expect(cluster.pushes.of('R-FIVE', 'offer')).toEqual([]);
  });

  it('given a driver that crossed into a far cell, then it is matched from the new cell only', async () => {
    const before = { lat: 59.9139, lng: 10.7522 };
    const after = { lat: 59.9139, lng: 10.8422 }; // 5 km east: more than 4 rings away
    expect(gridStepsBetween(cellOf(before, 8), cellOf(after, 8))).toBeGreaterThan(4);
    await cluster.online('X-MOVER', before);
    await cluster.ping('X-MOVER', after);
    await waitFor(async () => (await cluster.cell(cellOf(after, 8)))?.drivers.some((e) => e.driverId === 'X-MOVER'), 10_000, 'listed in the new cell');
    await waitFor(async () => (await cluster.cell(cellOf(before, 8)))?.drivers.length === 0, 10_000, 'gone from the old cell');

    await cluster.startOrder('ORD-X-OLD', before);
    expect((await cluster.outcome('ORD-X-OLD')).failed).toHaveLength(1);
    await cluster.startOrder('ORD-X-NEW', after);
    expect((await offerFor('ORD-X-NEW')).driverId).toBe('X-MOVER');
  });
});
