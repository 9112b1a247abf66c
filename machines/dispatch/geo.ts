import { cellToBoundary, cellToLatLng, cellToParent, getResolution, gridDisk, gridDistance, gridRing, latLngToCell } from 'h3-js';

/** A point in WGS84 degrees: lat ∈ [-90, 90], lng ∈ [-180, 180]. */
export interface GeoPoint {
  readonly lat: number;
  readonly lng: number;
}

/** Mean Earth radius (IUGG), km — the same constant as the catalog's haversine. */
export const EARTH_RADIUS_KM = 6371.0088;
const DEG = Math.PI / 180;

/**
 * Distance used for matching, km: the plane distance in an equirectangular projection centred on `from`
 * (the pickup). Over the few km a search spans it is within 0.1 % of the great-circle distance (0.5 % at 20 km
 * and 60° of latitude), and it costs a few multiplications per driver, which is what lets a cell scan hundreds of
 * drivers per query in microseconds. Cells, the dispatcher and the brute-force tests all rank with this function.
 */
export function distanceKm(from: GeoPoint, to: GeoPoint): number {
  return Math.sqrt(planeDistanceSq(from, lngScale(from), to)) * EARTH_RADIUS_KM;
}

/** Radians per degree of longitude at `from`'s latitude, in the projection around `from`. */
export function lngScale(from: GeoPoint): number {
  return DEG * Math.cos(from.lat * DEG);
}

/**
 * Squared plane distance in radians² for a precomputed `kx = lngScale(from)`: `Math.sqrt(·) * EARTH_RADIUS_KM` gives
 * km. The cell query inlines exactly this arithmetic, so both rank drivers identically.
 */
export function planeDistanceSq(from: GeoPoint, kx: number, to: GeoPoint): number {
  let dLng = to.lng - from.lng;
  if (dLng > 180) dLng -= 360;
  else if (dLng < -180) dLng += 360;
  const x = dLng * kx;
  const y = (to.lat - from.lat) * DEG;
  return x * x + y * y;
}

/**
 * Initial bearing from (`fromLat`, `fromLng`) to `to` in the same local projection, degrees clockwise from north,
 * [0, 360).
 */
export function bearingDegFrom(fromLat: number, fromLng: number, to: GeoPoint): number {
  let dLng = to.lng - fromLng;
  if (dLng > 180) dLng -= 360;
  else if (dLng < -180) dLng += 360;
  const x = dLng * Math.cos(fromLat * DEG);
  const y = to.lat - fromLat;
  const deg = Math.atan2(x, y) / DEG;
  return deg < 0 ? deg + 360 : deg;
}

export function cellOf(point: GeoPoint, resolution: number): string {
  return latLngToCell(point.lat, point.lng, resolution);
}

/** The cells exactly `ring` steps from `center` (ring 0 is the centre itself); remembered like cell shapes. */
export function ringCells(center: string, ring: number): readonly string[] {
  if (ring === 0) return [center];
  const key = `${center}/${ring}`;
  let cells = rings.get(key);
  if (!cells) {
    try {
      cells = gridRing(center, ring);
    } catch {
      // Near one of the 12 pentagons a hollow ring is undefined; take the disk minus the inner disk instead.
      const inner = new Set(gridDisk(center, ring - 1));
      cells = gridDisk(center, ring).filter((c) => !inner.has(c));
    }
    if (rings.size >= MAX_SHAPES) rings.clear();
    rings.set(key, cells);
  }
  return cells;
}
const rings = new Map<string, readonly string[]>();

/**
 * How much coarser a zone (the directory of occupied cells) is than its cells: 2 resolutions, so a zone holds 49
 * cells (about 36 km² at resolution 6 over resolution-8 cells) and the disk of a 4-ring search (61 cells) touches
 * one to four zones — a search in an empty area asks those few zones instead of 61 cells.
 */
export const ZONE_LEVELS = 2;

/** The zone a cell reports its occupancy to: its H3 parent ZONE_LEVELS resolutions up (itself at resolution < 2). */
export function zoneOf(cell: string): string {
  let zone = zones.get(cell);
  if (zone === undefined) {
    const resolution = getResolution(cell);
    zone = resolution < ZONE_LEVELS ? cell : cellToParent(cell, resolution - ZONE_LEVELS);
    if (zones.size >= MAX_SHAPES) zones.clear();
    zones.set(cell, zone);
  }
  return zone;
}
const zones = new Map<string, string>();

/** The cells within `rings` steps of `center`, grouped by zone; remembered like rings. */
export function diskByZone(center: string, rings: number): ReadonlyMap<string, readonly string[]> {
  const key = `${center}/${rings}`;
  let byZone = disks.get(key);
  if (!byZone) {
    const grouped = new Map<string, string[]>();
    for (let ring = 0; ring <= rings; ring++) {
      for (const cell of ringCells(center, ring)) {
        const zone = zoneOf(cell);
        const cells = grouped.get(zone);
        if (cells) cells.push(cell);
        else grouped.set(zone, [cell]);
      }
    }
    byZone = grouped;
    if (disks.size >= MAX_DISKS) disks.clear();
    disks.set(key, byZone);
  }
  return byZone;
}
const disks = new Map<string, ReadonlyMap<string, readonly string[]>>();
/** Pickup cells whose disk is remembered (a city's worth; up to 61 cells each). */
const MAX_DISKS = 10_000;

/** Grid steps between two cells, or null when H3 cannot say (too far apart, across a pentagon). */
export function gridStepsBetween(a: string, b: string): number | null {
  try {
    return gridDistance(a, b);
  } catch {
    return null;
  }
}

/**
 * Where a pickup lies in its cell, km: what `coveredKm` needs, computed once per search (H3 calls cost microseconds).
 * `toBoundary`: distance to the cell's boundary; `edge`: the cell's smallest centre-to-vertex distance;
 * `offset`: distance from the cell's centre.
 */
export interface PickupGeometry {
  readonly toBoundary: number;
  readonly edge: number;
  readonly offset: number;
}

export function pickupGeometry(pickup: GeoPoint, pickupCell: string): PickupGeometry {
  const { center, boundary, edgeKm } = cellShape(pickupCell);
  return { toBoundary: distanceToBoundaryKm(pickup, boundary), edge: edgeKm, offset: distanceKm(center, pickup) };
}

/**
 * The least distance from `point` to any point of `cell`, km (0 inside it): centre distance minus the cell's
 * largest centre-to-vertex distance, 2 % short for the projection. Lets a search skip a cell that cannot hold a
 * driver better than one it already has.
 */
export function minDistanceToCellKm(point: GeoPoint, cell: string): number {
  const { center, circumKm } = cellShape(cell);
  return Math.max(0, distanceKm(point, center) - circumKm * 1.02);
}

interface CellShape {
  readonly center: GeoPoint;
  readonly boundary: readonly GeoPoint[];
  /** Smallest and largest centre-to-vertex distances, km. */
  readonly edgeKm: number;
  readonly circumKm: number;
}

/**
 * A cell's centre and boundary never change, and H3 takes microseconds to compute them, so they are remembered
 * (a pure cache: same answer, computed once). Bounded: forgotten wholesale past MAX_SHAPES cells.
 */
const shapes = new Map<string, CellShape>();
const MAX_SHAPES = 100_000;

function cellShape(cell: string): CellShape {
  let shape = shapes.get(cell);
  if (!shape) {
    const [lat, lng] = cellToLatLng(cell);
    const center = { lat, lng };
    const boundary = cellToBoundary(cell).map(([vLat, vLng]) => ({ lat: vLat, lng: vLng }));
    const radii = boundary.map((v) => distanceKm(center, v));
    shape = { center, boundary, edgeKm: Math.min(...radii), circumKm: Math.max(...radii) };
    if (shapes.size >= MAX_SHAPES) shapes.clear();
    shapes.set(cell, shape);
  }
  return shape;
}

/**
 * The radius (km) around the pickup that the disk of `rings` rings around its cell is guaranteed to cover: any
 * driver outside the disk is at least this far from the pickup, so once the best candidate found scores better
 * than any driver this far away could, widening cannot find a better one.
 *
 * Ring 0 is the cell itself: the exact distance from the pickup to the cell's boundary. A disk of r ≥ 1 rings is a
 * hexagon of hexagons whose nearest boundary points are the notches between two outer cells, at (1.5 r + 0.5)
 * edge lengths from the centre. H3 cells are not exactly regular, so the radius is taken 5 % short (1 % for ring
 * 0); the unit tests check it against H3 itself at random places around the world.
 */
export function coveredKm(g: PickupGeometry, rings: number): number {
  if (rings === 0) return Math.max(0, 0.99 * g.toBoundary);
  return Math.max(0, (1.5 * rings + 0.5) * g.edge * 0.95 - g.offset);
}

export function coveredRadiusKm(pickup: GeoPoint, pickupCell: string, rings: number): number {
  return coveredKm(pickupGeometry(pickup, pickupCell), rings);
}

/** Smallest distance from a point inside a polygon to its edges, km, in the projection around the point. */
function distanceToBoundaryKm(point: GeoPoint, polygon: readonly GeoPoint[]): number {
  const kx = DEG * Math.cos(point.lat * DEG) * EARTH_RADIUS_KM;
  const ky = DEG * EARTH_RADIUS_KM;
  let best = Infinity;
  for (let i = 0; i < polygon.length; i++) {
    const p = polygon[i] as GeoPoint;
    const q = polygon[(i + 1) % polygon.length] as GeoPoint;
    const ax = (p.lng - point.lng) * kx;
    const ay = (p.lat - point.lat) * ky;
    const dx = (q.lng - point.lng) * kx - ax;
    const dy = (q.lat - point.lat) * ky - ay;
    const len2 = dx * dx + dy * dy;
    const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2));
    best = Math.min(best, Math.hypot(ax + t * dx, ay + t * dy));
  }
  return best;
}
