import { seededRandom } from '../../../src/shared/seeded-random.ts';
import { cellToLatLng, cellToParent, getResolution, gridDistance, gridRing, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { cellOf, coveredRadiusKm, EARTH_RADIUS_KM, gridStepsBetween, type GeoPoint } from '../../../machines/dispatch/geo.ts';
import type { DriverEntered, FindDriver } from '../../../machines/dispatch/protocol.ts';
import { compareCandidates, scoreDriver, scoreParamsFor } from '../../../machines/dispatch/score.ts';
import { searchConfigOf } from '../../../src/dispatch/config.ts';
import { pureWorld, type PureWorld } from './world.ts';

const random = seededRandom;

const CITIES: GeoPoint[] = [
  { lat: 37.7749, lng: -122.4194 },
  { lat: 52.52, lng: 13.405 },
  { lat: 1.3521, lng: 103.8198 },
  { lat: -33.8688, lng: 151.2093 },
  { lat: 59.9139, lng: 10.7522 },
];

interface Placed extends GeoPoint {
  driverId: string;
  heading: number | null;
  speedKph: number | null;
  load: number;
}

function findDriver(orderId: string, pickup: GeoPoint, now: number): FindDriver {
  return { type: 'FindDriver', orderId, restaurantId: 'REST-1', attempt: 1, pickup, dropoff: pickup, requestedAt: new Date(now).toISOString() };
}

/** Lists drivers straight in their cells (the driver actors' part is tested on its own). */
function place(world: PureWorld, drivers: readonly Placed[]): void {
  for (const d of drivers) {
    const body: DriverEntered = { type: 'DriverEntered', driverId: d.driverId, version: 1, lat: d.lat, lng: d.lng, heading: d.heading, speedKph: d.speedKph, load: d.load, seenAt: world.now() };
    world.tell({ kind: 'cell', id: cellOf(d, world.settings.resolution) }, body);
  }
}

/** Drivers in the order the search asked them to hold the offer (none exists as an actor, so each refuses). */
function reservationOrder(world: PureWorld): string[] {
  return world.delivered.filter((e) => (e.body as { type: string }).type === 'ReserveDriver').map((e) => e.to.id);
}

describe('matching equals a brute-force choice', () => {
  it('given 300 random placements of up to 80 drivers, when an order asks, then drivers are tried in exactly the brute-force score order within the max radius', () => {
    const rnd = random(20240501);
    let compared = 0;
    for (let trial = 0; trial < 300; trial++) {
      const world = pureWorld({ maxRings: 3, maxReservations: 1_000, k: 1 + Math.floor(rnd() * 10) });
      const city = CITIES[trial % CITIES.length] as GeoPoint;
      const spread = 0.01 + rnd() * 0.03;
      const drivers: Placed[] = Array.from({ length: Math.floor(rnd() * 80) }, (_, i) => {
        const moving = rnd() < 0.5;
        return {
          driverId: `D${i}`,
          lat: city.lat + (rnd() - 0.5) * 2 * spread,
          lng: city.lng + (rnd() - 0.5) * 2 * spread,
          heading: moving ? rnd() * 360 : null,
          speedKph: moving ? 5 + rnd() * 40 : null,
          load: Math.floor(rnd() * 3),
        };
      });
      place(world, drivers);
      const pickup = { lat: city.lat + (rnd() - 0.5) * spread, lng: city.lng + (rnd() - 0.5) * spread };
      world.tell({ kind: 'dispatch', id: `ORD-${trial}` }, findDriver(`ORD-${trial}`, pickup, world.now()));

      const config = searchConfigOf(world.settings);
      const params = scoreParamsFor(config.score, 0);
      const pickupCell = cellOf(pickup, config.resolution);
      const expected = drivers
        .filter((d) => {
          const steps = gridStepsBetween(pickupCell, cellOf(d, config.resolution));
          return steps !== null && steps <= config.maxRings;
        })
        .map((d) => ({ driverId: d.driverId, ...scoreDriver(pickup, d, params) }))
        .sort(compareCandidates)
        .map((c) => c.driverId);

      expect(reservationOrder(world), `trial ${trial}`).toEqual(expected);
      const outcome = world.orders.get(`ORD-${trial}`);
      expect(outcome).toEqual([{ type: 'ReportDispatchFailed', reason: expect.stringMatching(expected.length === 0 ? /^NO_DRIVER_AVAILABLE: no available/ : /^NO_DRIVER_AVAILABLE: \d+ driver\(s\) nearby busy/) }]);
      compared += expected.length;
    }
    expect(compared).toBeGreaterThan(3_000);
  });
});

describe('ring widening', () => {
  const pickup = CITIES[0] as GeoPoint;
  const center = latLngToCell(pickup.lat, pickup.lng, 8);
  const cellCenter = (cell: string): GeoPoint => {
    const [lat, lng] = cellToLatLng(cell);
    return { lat, lng };
  };
  const driverAt = (driverId: string, at: GeoPoint): Placed => ({ driverId, ...at, heading: null, speedKph: null, load: 0 });

  it('given the only driver two rings away and no directory, when an order asks with max 2 rings, then the search widens ring by ring and offers it', () => {
    const world = pureWorld({ maxRings: 2, cellDirectory: false });
    const twoAway = gridRing(center, 2)[3] as string;
    place(world, [driverAt('TWO', cellCenter(twoAway))]);
    world.tell({ kind: 'dispatch', id: 'ORD-W' }, findDriver('ORD-W', pickup, world.now()));
    const waves = world.delivered.filter((e) => (e.body as { type: string }).type === 'FindCandidates').map((e) => (e.body as { queryId: string }).queryId);
    expect(new Set(waves)).toEqual(new Set(['1.1.0', '1.1.1', '1.1.2']));
    expect(waves).toHaveLength(1 + 6 + 12);
    expect(reservationOrder(world)[0]).toBe('TWO');
  });

  it('given the only driver two rings away, when an order asks with max 2 rings, then ring 1 and the zones are asked after the empty pickup cell, and of ring 2 only the cell the zones name', () => {
    const world = pureWorld({ maxRings: 2 });
    const twoAway = gridRing(center, 2)[3] as string;
    place(world, [driverAt('TWO', cellCenter(twoAway))]);
    world.tell({ kind: 'dispatch', id: 'ORD-Z' }, findDriver('ORD-Z', pickup, world.now()));
    const sent = world.delivered.map((e) => ({ to: e.to, body: e.body as { type: string } }));
    const zonesOfDisk = new Set([0, 1, 2].flatMap((r) => (r === 0 ? [center] : gridRing(center, r))).map((c) => cellToParent(c, getResolution(c) - 2)));
    expect(new Set(sent.filter((m) => m.body.type === 'FindOccupiedCells').map((m) => m.to.id))).toEqual(zonesOfDisk);
    expect(sent.filter((m) => m.body.type === 'FindCandidates').map((m) => m.to.id)).toEqual([center, ...gridRing(center, 1), twoAway]);
    expect(reservationOrder(world)[0]).toBe('TWO');
  });

  it('given no driver at all, when an order asks with max 4 rings, then the pickup cell, ring 1 and the zones are asked (7 cells, not 61), and the order is told why', () => {
    const world = pureWorld({ maxRings: 4 });
    world.tell({ kind: 'dispatch', id: 'ORD-E' }, findDriver('ORD-E', pickup, world.now()));
    const types = world.delivered.map((e) => (e.body as { type: string }).type);
    expect(types.filter((t) => t === 'FindCandidates')).toHaveLength(1 + 6);
    expect(types.filter((t) => t === 'FindOccupiedCells').length).toBeLessThanOrEqual(7);
    expect(world.orders.get('ORD-E')).toEqual([{ type: 'ReportDispatchFailed', reason: expect.stringMatching(/^NO_DRIVER_AVAILABLE: no available driver within 4 ring/) }]);
  });

  it('given zones that never answer, when an order asks, then after the query timeout every cell of ring 2 is asked and the driver is still found', () => {
    const world = pureWorld({ maxRings: 2 });
    const twoAway = gridRing(center, 2)[3] as string;
    place(world, [driverAt('TWO', cellCenter(twoAway))]);
    world.drop((e) => (e.body as { type: string }).type === 'FindOccupiedCells');
    world.tell({ kind: 'dispatch', id: 'ORD-S' }, findDriver('ORD-S', pickup, world.now()));
    expect(reservationOrder(world)).toEqual([]);
    world.advance(world.settings.queryTimeoutMs);
    expect(world.delivered.filter((e) => (e.body as { type: string }).type === 'FindCandidates')).toHaveLength(1 + 6 + 12);
    expect(reservationOrder(world)[0]).toBe('TWO');
  });

  it('given max 1 ring and nobody in the pickup cell, when an order asks, then the zones are not asked (no ring is left for them to thin out)', () => {
    const world = pureWorld({ maxRings: 1 });
    world.tell({ kind: 'dispatch', id: 'ORD-1R' }, findDriver('ORD-1R', pickup, world.now()));
    const types = world.delivered.map((e) => (e.body as { type: string }).type);
    expect(types.filter((t) => t === 'FindOccupiedCells')).toEqual([]);
    expect(types.filter((t) => t === 'FindCandidates')).toHaveLength(1 + 6);
  });

  it('given a driver in the pickup cell, when an order asks, then the zones are never asked', () => {
    const world = pureWorld({ maxRings: 4 });
    place(world, [driverAt('HERE', cellCenter(center))]);
    world.tell({ kind: 'dispatch', id: 'ORD-H' }, findDriver('ORD-H', pickup, world.now()));
    expect(world.delivered.filter((e) => (e.body as { type: string }).type === 'FindOccupiedCells')).toEqual([]);
    expect(reservationOrder(world)[0]).toBe('HERE');
  });

  it('given the only driver three rings away, when an order asks with max 2 rings, then it is not found and the order is told why', () => {
    const world = pureWorld({ maxRings: 2 });
    place(world, [driverAt('THREE', cellCenter(gridRing(center, 3)[0] as string))]);
    world.tell({ kind: 'dispatch', id: 'ORD-X' }, findDriver('ORD-X', pickup, world.now()));
    expect(reservationOrder(world)).toEqual([]);
    expect(world.orders.get('ORD-X')).toEqual([{ type: 'ReportDispatchFailed', reason: expect.stringMatching(/^NO_DRIVER_AVAILABLE: no available driver within 2 ring/) }]);
  });

  it('given a driver right next to the pickup, then it is offered after ring 1, without querying further rings', () => {
    const world = pureWorld({ maxRings: 4 });
    place(world, [driverAt('NEAR', { lat: pickup.lat + 0.0005, lng: pickup.lng })]);
    world.tell({ kind: 'dispatch', id: 'ORD-N' }, findDriver('ORD-N', pickup, world.now()));
    const types = world.delivered.map((e) => e.body as { type: string; queryId?: string });
    const beforeOffer = types.slice(0, types.findIndex((b) => b.type === 'ReserveDriver'));
    const rings = new Set(beforeOffer.filter((b) => b.type === 'FindCandidates').map((b) => b.queryId));
    expect([...rings].every((q) => q === '1.1.0' || q === '1.1.1')).toBe(true);
    expect(reservationOrder(world)[0]).toBe('NEAR');
  });
});

describe('covered radius', () => {
  it('given random pickups around the world, then every point closer than the covered radius of r rings lies within r rings', () => {
    const rnd = random(7);
    for (let trial = 0; trial < 150; trial++) {
      const pickup = { lat: (rnd() - 0.5) * 130, lng: (rnd() - 0.5) * 350 };
      const cell = cellOf(pickup, 8);
      for (let r = 0; r <= 4; r++) {
        const covered = coveredRadiusKm(pickup, cell, r);
        for (let i = 0; i < 40; i++) {
          const d = covered * rnd();
          const bearing = rnd() * 2 * Math.PI;
          const point = {
            lat: pickup.lat + ((d * Math.cos(bearing)) / EARTH_RADIUS_KM) * (180 / Math.PI),
            lng: pickup.lng + ((d * Math.sin(bearing)) / EARTH_RADIUS_KM / Math.cos((pickup.lat * Math.PI) / 180)) * (180 / Math.PI),
          };
          expect(gridDistance(cell, cellOf(point, 8)), `r=${r} at ${JSON.stringify(pickup)}`).toBeLessThanOrEqual(r);
        }
      }
    }
  });
});
