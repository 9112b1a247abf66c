// Where simulated drivers are and where they go: a city's bounds, random points in them, and routes driven at a
// speed. Pure: positions are functions of a route and a time, so tests need no clock.
import type { Rng } from './rng.ts';

export interface LatLng {
  readonly lat: number;
  readonly lng: number;
}

/** A lat/lng rectangle (not crossing the antimeridian). */
export interface Bounds {
  readonly south: number;
  readonly west: number;
  readonly north: number;
  readonly east: number;
}

export interface City {
  readonly name: string;
  readonly center: LatLng;
}

/** Cities `--city` knows; anything else is `--center lat,lng`. */
export const CITIES: Readonly<Record<string, City>> = {
  sf: { name: 'San Francisco', center: { lat: 37.7749, lng: -122.4194 } },
  nyc: { name: 'New York', center: { lat: 40.7549, lng: -73.984 } },
  london: { name: 'London', center: { lat: 51.5074, lng: -0.1278 } },
  paris: { name: 'Paris', center: { lat: 48.8566, lng: 2.3522 } },
  berlin: { name: 'Berlin', center: { lat: 52.52, lng: 13.405 } },
  tokyo: { name: 'Tokyo', center: { lat: 35.6812, lng: 139.7671 } },
  sydney: { name: 'Sydney', center: { lat: -33.8688, lng: 151.2093 } },
};

const EARTH_RADIUS_M = 6_371_008.8;
const M_PER_DEG_LAT = (Math.PI * EARTH_RADIUS_M) / 180;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** The square of ±`radiusKm` around `center`. */
export function boundsAround(center: LatLng, radiusKm: number): Bounds {
  const dLat = (radiusKm * 1000) / M_PER_DEG_LAT;
  const dLng = dLat / Math.max(0.01, Math.cos(rad(center.lat)));
  return { south: center.lat - dLat, west: center.lng - dLng, north: center.lat + dLat, east: center.lng + dLng };
}

export const centerOf = (b: Bounds): LatLng => ({ lat: (b.south + b.north) / 2, lng: (b.west + b.east) / 2 });

export const contains = (b: Bounds, p: LatLng): boolean => p.lat >= b.south && p.lat <= b.north && p.lng >= b.west && p.lng <= b.east;

export const clampTo = (b: Bounds, p: LatLng): LatLng => ({
  lat: Math.min(b.north, Math.max(b.south, p.lat)),
  lng: Math.min(b.east, Math.max(b.west, p.lng)),
});

/** A uniformly random point of the rectangle. */
export const randomPointIn = (b: Bounds, rng: Rng): LatLng => ({ lat: b.south + rng() * (b.north - b.south), lng: b.west + rng() * (b.east - b.west) });

/** A uniformly random point of the disc of `radiusKm` around `center`, pulled inside `bounds`. */
export function randomPointNear(center: LatLng, radiusKm: number, bounds: Bounds, rng: Rng): LatLng {
  const distanceM = radiusKm * 1000 * Math.sqrt(rng());
  const bearing = rng() * 2 * Math.PI;
  const lat = center.lat + (distanceM * Math.cos(bearing)) / M_PER_DEG_LAT;
  const lng = center.lng + (distanceM * Math.sin(bearing)) / (M_PER_DEG_LAT * Math.max(0.01, Math.cos(rad(center.lat))));
  return clampTo(bounds, { lat, lng });
}

/** Great-circle distance, m (haversine). */
export function distanceM(a: LatLng, b: LatLng): number {
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Initial bearing from `a` to `b`, degrees clockwise from north in [0, 360). */
export function bearingDeg(a: LatLng, b: LatLng): number {
  const phi1 = rad(a.lat);
  const phi2 = rad(b.lat);
  const dLambda = rad(b.lng - a.lng);
  const y = Math.sin(dLambda) * Math.cos(phi2);
  const x = Math.cos(phi1) * Math.sin(phi2) - Math.sin(phi1) * Math.cos(phi2) * Math.cos(dLambda);
  const deg = ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
  return deg >= 360 ? 0 : deg;
}

/**
 * A drive from the first point to the last at a constant speed, started at `startedAt` (ms). Streets run north–south
 * and east–west, so a route is an L: along one axis, then the other. Every point of it lies in the rectangle spanned
 * by its two ends, so a route between two points inside some bounds never leaves them.
 */
export interface Route {
  readonly points: readonly LatLng[];
  /** Length of each leg (points[i] → points[i+1]), m. */
  readonly legsM: readonly number[];
  readonly lengthM: number;
  readonly speedMps: number;
  readonly startedAt: number;
}

export function planRoute(from: LatLng, to: LatLng, options: { speedKph: number; startedAt: number; rng: Rng }): Route {
  const corner = options.rng() < 0.5 ? { lat: from.lat, lng: to.lng } : { lat: to.lat, lng: from.lng };
  const points = [from, corner, to].filter((p, i, all) => i === 0 || distanceM(all[i - 1] as LatLng, p) > 0.01);
  const legsM = points.slice(1).map((p, i) => distanceM(points[i] as LatLng, p));
  return { points, legsM, lengthM: legsM.reduce((a, b) => a + b, 0), speedMps: Math.max(0.1, options.speedKph / 3.6), startedAt: options.startedAt };
}

/** A route that stays put: where a driver waits (at the restaurant, at the door). */
export const standStill = (at: LatLng, startedAt: number): Route => ({ points: [at], legsM: [], lengthM: 0, speedMps: 1, startedAt });

export const travelTimeMs = (route: Route): number => (route.lengthM / route.speedMps) * 1000;

export const destinationOf = (route: Route): LatLng => route.points.at(-1) as LatLng;

export interface Fix extends LatLng {
  /** Degrees clockwise from north in [0, 360), of the leg being driven (or the last one). */
  readonly heading: number;
  /** km/h; 0 once arrived. */
  readonly speedKph: number;
  readonly arrived: boolean;
}

/** Where a driver on `route` is at time `at`. */
export function positionOn(route: Route, at: number): Fix {
  const travelledM = Math.max(0, ((at - route.startedAt) / 1000) * route.speedMps);
  let remaining = travelledM;
  for (let i = 0; i < route.legsM.length; i++) {
    const leg = route.legsM[i] as number;
    const a = route.points[i] as LatLng;
    const b = route.points[i + 1] as LatLng;
    if (remaining < leg) {
      const f = remaining / leg;
      return { lat: a.lat + (b.lat - a.lat) * f, lng: a.lng + (b.lng - a.lng) * f, heading: bearingDeg(a, b), speedKph: route.speedMps * 3.6, arrived: false };
    }
    remaining -= leg;
  }
  const end = destinationOf(route);
  const last = route.points.length >= 2 ? bearingDeg(route.points.at(-2) as LatLng, end) : 0;
  return { lat: end.lat, lng: end.lng, heading: last, speedKph: 0, arrived: true };
}
