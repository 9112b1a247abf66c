import { lngScale, type GeoPoint } from '../dispatch/geo.ts';

/**
 * A spatial index over one cell's drivers, so that a k-nearest query looks at the drivers around the pickup instead
 * of every driver of the cell: a uniform grid of buckets (about two drivers each) over the drivers' bounding box, and
 * one record per driver holding what a query reads, ordered by bucket.
 *
 * A cache, not state: it is derived from (and remembered per) the immutable `drivers` array of a cell's state, so a
 * cell that changes gets a new index on its next query, and the old one is garbage with the old array. Building
 * one is a counting sort, O(n).
 *
 * The index only decides which drivers are looked at, never how they are ranked: distances are computed from the
 * drivers' own coordinates with the arithmetic of `planeDistanceSq`, and the bounds that skip buckets are taken a
 * little short (`SLACK_DEG`), so an answer is exactly what scanning every driver answers (the unit tests hold it to
 * that).
 */
export interface CellIndex {
  readonly n: number;
  /** Longitudes are kept relative to this one (wrapped to ±180°), so a cell across the antimeridian is one box. */
  readonly refLng: number;
  /** South-west corner of the grid (latitude, relative longitude) and bucket sizes, degrees. */
  readonly lat0: number;
  readonly lng0: number;
  readonly latStep: number;
  readonly lngStep: number;
  /** Buckets across (longitude) and up (latitude). */
  readonly gx: number;
  readonly gy: number;
  /** Bucket `b = by * gx + bx` holds slots [start[b], start[b + 1]). */
  readonly start: Int32Array;
  /**
   * Per slot, the driver's fields a query reads, so that it never visits the drivers' objects: `slot * SLOT + F_*`
   * (F_LAT, F_LNG, F_SEEN_AT ms, F_HEADING NaN when none, F_SPEED 0 when unknown, F_LOAD, F_VERSION). One slot is
   * one 64-byte cache line, and a bucket's slots are contiguous: a query over a city's cells is bound by memory,
   * not arithmetic.
   */
  readonly slots: Float64Array;
  /** Per slot, the driver's id. */
  readonly id: string[];
  /** The oldest last-seen time, ms: when it is within the silence horizon, every driver is eligible. */
  readonly minSeenAt: number;
}

/** What the index keeps of a driver (a cell's entry). */
export interface IndexedDriver extends GeoPoint {
  readonly driverId: string;
  readonly seenAt: number;
  readonly heading: number | null;
  readonly speedKph: number | null;
  readonly load: number;
  readonly version: number;
}

/** Drivers per bucket the grid aims at: fewer buckets cost more drivers looked at, more buckets more bounds. */
const DRIVERS_PER_BUCKET = 2;
const MAX_BUCKETS_PER_SIDE = 32;
/** Fields of a slot (`CellIndex.slots`), and its size: 8 doubles, a cache line. */
export const F_LAT = 0;
export const F_LNG = 1;
export const F_SEEN_AT = 2;
export const F_HEADING = 3;
export const F_SPEED = 4;
export const F_LOAD = 5;
export const F_VERSION = 6;
export const SLOT = 8;
/**
 * Bucket bounds are widened by this much, degrees (≈ 0.1 mm), so that rounding in the bounds (relative
 * longitudes, bucket edges) can never skip a driver the exact distance would have counted.
 */
const SLACK_DEG = 1e-9;
const DEG = Math.PI / 180;

const cache = new WeakMap<readonly IndexedDriver[], CellIndex>();

export function cellIndexOf(drivers: readonly IndexedDriver[]): CellIndex {
  let index = cache.get(drivers);
  if (!index) {
    index = buildIndex(drivers);
    cache.set(drivers, index);
  }
  return index;
}

function wrapDeg(d: number): number {
  return d > 180 ? d - 360 : d < -180 ? d + 360 : d;
}

function buildIndex(drivers: readonly IndexedDriver[]): CellIndex {
  const n = drivers.length;
  const refLng = n > 0 ? (drivers[0] as IndexedDriver).lng : 0;
  let latMin = Infinity;
  let latMax = -Infinity;
  let lngMin = Infinity;
  let lngMax = -Infinity;
  let minSeenAt = Infinity;
  for (let i = 0; i < n; i++) {
    const d = drivers[i] as IndexedDriver;
    const rel = wrapDeg(d.lng - refLng);
    if (d.lat < latMin) latMin = d.lat;
    if (d.lat > latMax) latMax = d.lat;
    if (rel < lngMin) lngMin = rel;
    if (rel > lngMax) lngMax = rel;
    if (d.seenAt < minSeenAt) minSeenAt = d.seenAt;
  }
  if (n === 0) latMin = latMax = lngMin = lngMax = 0;
  // Buckets about square on the ground: split the bucket count by the box's aspect (both sides in degrees of latitude).
  const height = latMax - latMin;
  const width = (lngMax - lngMin) * Math.cos(((latMin + latMax) / 2) * DEG);
  const buckets = Math.max(1, Math.ceil(n / DRIVERS_PER_BUCKET));
  let gx = 1;
  let gy = 1;
  if (height > 0 && width > 0) {
    gx = clampInt(Math.round(Math.sqrt((buckets * width) / height)), 1, MAX_BUCKETS_PER_SIDE);
    gy = clampInt(Math.round(buckets / gx), 1, MAX_BUCKETS_PER_SIDE);
  } else if (width > 0) {
    gx = Math.min(buckets, MAX_BUCKETS_PER_SIDE);
  } else if (height > 0) {
    gy = Math.min(buckets, MAX_BUCKETS_PER_SIDE);
  }
  // A zero span keeps one bucket of any size: the rectangles only have to contain their drivers.
  const latStep = height > 0 ? (latMax - latMin) / gy : 1;
  const lngStep = lngMax > lngMin ? (lngMax - lngMin) / gx : 1;

  // One allocation for the slots and the buckets (backing stores are what an index costs to build, not the loops).
  const bucketCount = gx * gy;
  const memory = new ArrayBuffer(SLOT * 8 * n + 4 * (n + 2 * bucketCount + 1));
  const slots = new Float64Array(memory, 0, SLOT * n);
  const ints = SLOT * 8 * n;
  const bucketOf = new Int32Array(memory, ints, n);
  const start = new Int32Array(memory, ints + 4 * n, bucketCount + 1);
  const next = new Int32Array(memory, ints + 4 * (n + bucketCount + 1), bucketCount);
  for (let i = 0; i < n; i++) {
    const d = drivers[i] as IndexedDriver;
    const bx = clampInt(Math.floor((wrapDeg(d.lng - refLng) - lngMin) / lngStep), 0, gx - 1);
    const by = clampInt(Math.floor((d.lat - latMin) / latStep), 0, gy - 1);
    const b = by * gx + bx;
    bucketOf[i] = b;
    start[b + 1] = (start[b + 1] as number) + 1;
  }
  for (let b = 0; b < bucketCount; b++) {
    start[b + 1] = (start[b + 1] as number) + (start[b] as number);
    next[b] = start[b] as number;
  }
  const id: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const b = bucketOf[i] as number;
    const slot = next[b] as number;
    next[b] = slot + 1;
    const d = drivers[i] as IndexedDriver;
    id[slot] = d.driverId;
    const at = slot * SLOT;
    slots[at + F_LAT] = d.lat;
    slots[at + F_LNG] = d.lng;
    slots[at + F_SEEN_AT] = d.seenAt;
    slots[at + F_HEADING] = d.heading ?? Number.NaN;
    slots[at + F_SPEED] = d.speedKph ?? 0;
    slots[at + F_LOAD] = d.load;
    slots[at + F_VERSION] = d.version;
  }
  return { n, refLng, lat0: latMin, lng0: lngMin, latStep, lngStep, gx, gy, start, slots, id, minSeenAt };
}

function clampInt(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * A walk over an index's buckets in square rings around the pickup's bucket (the nearest bucket, for a pickup
 * outside the box). `beyondSq(ring)` is a lower bound of the squared plane distance (radians², as `planeDistanceSq`)
 * from the pickup to any driver in a bucket outside ring `ring`, Infinity once the rings cover the grid: a caller
 * that needs every driver within some distance walks rings until the bound exceeds it.
 */
export interface RingWalk {
  readonly index: CellIndex;
  readonly pickup: GeoPoint;
  /** Radians per degree of longitude at the pickup (`lngScale`). */
  readonly kx: number;
  /** The pickup's longitude relative to the index's `refLng`. */
  readonly relLng: number;
  /** The centre bucket. */
  readonly cx: number;
  readonly cy: number;
  /** The largest ring that still has buckets. */
  readonly lastRing: number;
  /** False when the pickup is so far round the globe that relative longitudes would wrap: every ring is walked. */
  readonly bounded: boolean;
}

export function ringWalk(index: CellIndex, pickup: GeoPoint): RingWalk {
  const relLng = wrapDeg(pickup.lng - index.refLng);
  const cx = clampInt(Math.floor((relLng - index.lng0) / index.lngStep), 0, index.gx - 1);
  const cy = clampInt(Math.floor((pickup.lat - index.lat0) / index.latStep), 0, index.gy - 1);
  const lastRing = Math.max(cx, index.gx - 1 - cx, cy, index.gy - 1 - cy);
  return { index, pickup, kx: lngScale(pickup), relLng, cx, cy, lastRing, bounded: Math.abs(relLng) <= 90 };
}

/**
 * Writes into `out` the buckets exactly `ring` steps (Chebyshev) from the centre bucket; returns how many. `out` must
 * hold 8 × ring buckets (1 for ring 0).
 */
export function bucketsInRing(walk: RingWalk, ring: number, out: Int32Array): number {
  const { index, cx, cy } = walk;
  const { gx, gy } = index;
  let count = 0;
  const yLo = Math.max(0, cy - ring);
  const yHi = Math.min(gy - 1, cy + ring);
  for (let by = yLo; by <= yHi; by++) {
    // Rows at the ring's top and bottom edge are whole; the rows between contribute their two ends.
    const step = ring === 0 || by === cy - ring || by === cy + ring ? 1 : 2 * ring;
    for (let bx = cx - ring; bx <= cx + ring; bx += step) if (bx >= 0 && bx < gx) out[count++] = by * gx + bx;
  }
  return count;
}

/** Lower bound of the squared plane distance from the pickup to any bucket outside ring `ring`; Infinity if none. */
export function beyondSq(walk: RingWalk, ring: number): number {
  const { index, cx, cy } = walk;
  if (ring >= walk.lastRing) return Infinity;
  if (!walk.bounded) return 0;
  const { gx, gy, lat0, lng0, latStep, lngStep } = index;
  const latTop = lat0 + gy * latStep;
  const lngRight = lng0 + gx * lngStep;
  let best = Infinity;
  // The buckets outside the ring's square lie in (up to) four strips: left, right, below, above.
  if (cx - ring - 1 >= 0) best = Math.min(best, rectSq(walk, lat0, latTop, lng0, lng0 + (cx - ring) * lngStep));
  if (cx + ring + 1 < gx) best = Math.min(best, rectSq(walk, lat0, latTop, lng0 + (cx + ring + 1) * lngStep, lngRight));
  if (cy - ring - 1 >= 0) best = Math.min(best, rectSq(walk, lat0, lat0 + (cy - ring) * latStep, lng0, lngRight));
  if (cy + ring + 1 < gy) best = Math.min(best, rectSq(walk, lat0 + (cy + ring + 1) * latStep, latTop, lng0, lngRight));
  return best;
}

/** Lower bound of the squared plane distance from the pickup to any driver in bucket `b`. */
export function bucketSq(walk: RingWalk, b: number): number {
  if (!walk.bounded) return 0;
  const { gx, lat0, lng0, latStep, lngStep } = walk.index;
  const by = Math.floor(b / gx);
  const bx = b - by * gx;
  return rectSq(walk, lat0 + by * latStep, lat0 + (by + 1) * latStep, lng0 + bx * lngStep, lng0 + (bx + 1) * lngStep);
}

/** Squared plane distance from the pickup to a box of latitudes and relative longitudes, taken SLACK_DEG short. */
function rectSq(walk: RingWalk, latLo: number, latHi: number, lngLo: number, lngHi: number): number {
  const { pickup, relLng, kx } = walk;
  const dx = Math.max(0, lngLo - relLng - SLACK_DEG, relLng - lngHi - SLACK_DEG) * kx;
  const dy = Math.max(0, latLo - pickup.lat - SLACK_DEG, pickup.lat - latHi - SLACK_DEG) * DEG;
  return dx * dx + dy * dy;
}
