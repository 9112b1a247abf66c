import { describe, expect, it } from 'vitest';
import {
  bearingDeg,
  boundsAround,
  CITIES,
  contains,
  destinationOf,
  distanceM,
  planRoute,
  positionOn,
  randomPointIn,
  randomPointNear,
  travelTimeMs,
  type LatLng,
} from '../../../scripts/simulate/geo.ts';
import { seededRng } from '../../../scripts/simulate/rng.ts';

const SF = (CITIES.sf as { center: LatLng }).center;
const T0 = Date.parse('2024-05-01T12:00:00Z');

describe('city bounds and random points', () => {
  it('given a centre and a radius, when the bounds are built, then they span ±radius in both directions', () => {
    const b = boundsAround(SF, 4);
    expect(distanceM({ lat: b.south, lng: SF.lng }, { lat: b.north, lng: SF.lng })).toBeCloseTo(8_000, -1);
    expect(distanceM({ lat: SF.lat, lng: b.west }, { lat: SF.lat, lng: b.east })).toBeCloseTo(8_000, -1);
  });

  it('given many random points, when drawn inside bounds or near a point, then every one lies within the bounds (and the radius)', () => {
    const rng = seededRng(1);
    const b = boundsAround(SF, 2);
    for (let i = 0; i < 2_000; i++) {
      expect(contains(b, randomPointIn(b, rng))).toBe(true);
      const near = randomPointNear(SF, 1.5, b, rng);
      expect(contains(b, near)).toBe(true);
      expect(distanceM(SF, near)).toBeLessThanOrEqual(1_501);
    }
  });

  it('given a point near the edge, when a drop-off is drawn with a radius past the edge, then it is pulled inside the bounds', () => {
    const b = boundsAround(SF, 1);
    const rng = seededRng(2);
    for (let i = 0; i < 500; i++) expect(contains(b, randomPointNear({ lat: b.north, lng: b.east }, 5, b, rng))).toBe(true);
  });
});

describe('routes', () => {
  it('given random trips inside the bounds, when positions are sampled along them, then every position stays inside the bounds', () => {
    const rng = seededRng(3);
    const b = boundsAround(SF, 3);
    for (let trip = 0; trip < 300; trip++) {
      const route = planRoute(randomPointIn(b, rng), randomPointIn(b, rng), { speedKph: 30, startedAt: T0, rng });
      const total = travelTimeMs(route);
      for (let k = 0; k <= 20; k++) expect(contains(b, positionOn(route, T0 + (total * k) / 20))).toBe(true);
    }
  });

  it('given a route at 36 km/h (10 m/s), when its travel time has passed, then the driver is at the target and has arrived — and not before', () => {
    const rng = seededRng(4);
    const from = SF;
    const to = { lat: SF.lat + 0.01, lng: SF.lng + 0.01 };
    const route = planRoute(from, to, { speedKph: 36, startedAt: T0, rng });
    const total = travelTimeMs(route);
    expect(total).toBeCloseTo(route.lengthM * 100, 3);
    // An L along the street grid: longer than the straight line, no longer than its two legs.
    expect(route.lengthM).toBeGreaterThanOrEqual(distanceM(from, to));
    expect(route.lengthM).toBeLessThanOrEqual(distanceM(from, to) * Math.SQRT2 + 1);
    const before = positionOn(route, T0 + total - 1_000);
    expect(before.arrived).toBe(false);
    expect(before.speedKph).toBeCloseTo(36);
    expect(distanceM(before, to)).toBeCloseTo(10, 0);
    const after = positionOn(route, T0 + total + 1);
    expect(after).toMatchObject({ lat: to.lat, lng: to.lng, arrived: true, speedKph: 0 });
    expect(destinationOf(route)).toEqual(to);
  });

  it('given a route, when time passes, then the distance left to the target never grows', () => {
    const rng = seededRng(5);
    const route = planRoute(SF, { lat: SF.lat - 0.02, lng: SF.lng + 0.015 }, { speedKph: 30, startedAt: T0, rng });
    let left = Number.POSITIVE_INFINITY;
    for (let t = T0; t <= T0 + travelTimeMs(route) + 5_000; t += 5_000) {
      const p = positionOn(route, t);
      const remaining = distanceM(p, destinationOf(route));
      expect(remaining).toBeLessThanOrEqual(left + 0.5);
      left = remaining;
    }
    expect(left).toBe(0);
  });

  it('given a route that starts where it ends, when sampled, then the driver has arrived at once', () => {
    const route = planRoute(SF, SF, { speedKph: 30, startedAt: T0, rng: seededRng(6) });
    expect(route.lengthM).toBe(0);
    expect(positionOn(route, T0)).toMatchObject({ lat: SF.lat, lng: SF.lng, arrived: true });
  });

  it('given the four compass directions, when bearings are taken, then headings are in [0, 360)', () => {
    expect(bearingDeg(SF, { lat: SF.lat + 0.01, lng: SF.lng })).toBeCloseTo(0, 3);
    expect(bearingDeg(SF, { lat: SF.lat, lng: SF.lng + 0.01 })).toBeCloseTo(90, 1);
    expect(bearingDeg(SF, { lat: SF.lat - 0.01, lng: SF.lng })).toBeCloseTo(180, 3);
    expect(bearingDeg(SF, { lat: SF.lat, lng: SF.lng - 0.01 })).toBeCloseTo(270, 1);
    const rng = seededRng(7);
    for (let i = 0; i < 1_000; i++) {
      const h = bearingDeg(randomPointIn(boundsAround(SF, 1), rng), randomPointIn(boundsAround(SF, 1), rng));
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(360);
    }
  });
});
