import { EARTH_RADIUS_KM, zoneOf, type GeoPoint } from '../dispatch/geo.ts';
import { beyondSq, bucketSq, bucketsInRing, cellIndexOf, F_HEADING, F_LAT, F_LNG, F_LOAD, F_SEEN_AT, F_SPEED, F_VERSION, ringWalk, SLOT, type CellIndex, type RingWalk } from './cell-index.ts';
import type { Candidate, CellMessage, DriverEntered, DriverLeft, FindCandidates, Outbound } from '../dispatch/protocol.ts';
import { scoreOf, type ScoreParams } from '../dispatch/score.ts';

/**
 * A cell actor's state: the AVAILABLE drivers inside one H3 cell, in memory (persisted as JSON with each commit,
 * but answered from memory). A cell has no lifecycle of its own — it is a small spatial index that drivers keep up
 * to date — so it is a plain reducer rather than a chart.
 *
 * How a driver stays in exactly one cell although "left" and "entered" travel to different cells:
 * - every entry carries the driver's membership `version`; an `entered` not newer than what the cell knows (an
 *   entry, or the version the driver left with) is ignored, so a late duplicate cannot resurrect a driver;
 * - an entry not refreshed for `silenceMs` is never answered (and pruned): a lost `left` costs at most that long,
 *   since the driver refreshes only the cell it is in;
 * - the driver actor is the authority: a reservation to a driver that is not there any more is refused, and the
 *   driver evicts the stale entry it was found in.
 */
export interface CellEntry {
  readonly driverId: string;
  readonly lat: number;
  readonly lng: number;
  readonly heading: number | null;
  readonly speedKph: number | null;
  readonly load: number;
  readonly version: number;
  readonly seenAt: number;
}

export interface CellState {
  readonly cell: string;
  /** Listed drivers; queries read them through the index built from this array (`cell-index.ts`). */
  readonly drivers: readonly CellEntry[];
  /** Version each recently departed driver left with, and when (ms): forgotten after `silenceMs`. */
  readonly departed: Readonly<Record<string, { readonly version: number; readonly at: number }>>;
  /** When stale entries were last dropped, ms. */
  readonly prunedAt: number;
  /**
   * What the cell last told its zone, and when (ms): it tells again when occupancy changes, or every
   * `zoneRefreshMs` while occupied. Absent until the first announcement (and in states persisted before the zones).
   */
  readonly announced?: { readonly occupied: boolean; readonly at: number };
}

export interface CellConfig {
  /** A driver not heard from for longer is not offered (and dropped from the cell), ms. */
  readonly silenceMs: number;
  /** How often an occupied cell tells its zone again, ms; null: no zones (the directory is off). */
  readonly zoneRefreshMs: number | null;
}

export function initialCellState(cell: string): CellState {
  return { cell, drivers: [], departed: {}, prunedAt: 0 };
}

export interface CellDecision {
  readonly state: CellState;
  readonly effects: readonly Outbound[];
}

export function decideCell(state: CellState, message: CellMessage, env: { now: number; config: CellConfig }): CellDecision {
  switch (message.type) {
    case 'DriverEntered':
      return announce(prune(enter(state, message, env.now), env.now, env.config), env.now, env.config);
    case 'DriverLeft':
      return announce(prune(leave(state, message, env.now), env.now, env.config), env.now, env.config);
    case 'FindCandidates':
      return { state, effects: [{ type: 'respond', body: { type: 'Candidates', queryId: message.queryId, cell: state.cell, ...nearest(state, message, env.now, env.config) } }] };
    default: {
      const _exhaustive: never = message;
      return _exhaustive;
    }
  }
}

function enter(state: CellState, m: DriverEntered, now: number): CellState {
  const gone = state.departed[m.driverId];
  if (gone && gone.version >= m.version) return state;
  const i = state.drivers.findIndex((e) => e.driverId === m.driverId);
  const existing = i < 0 ? undefined : state.drivers[i];
  if (existing && existing.version >= m.version) return state;
  const entry: CellEntry = {
    driverId: m.driverId,
    lat: m.lat,
    lng: m.lng,
    heading: m.heading,
    speedKph: m.speedKph,
    load: m.load,
    version: m.version,
    seenAt: Math.min(m.seenAt, now),
  };
  const drivers = i < 0 ? [...state.drivers, entry] : state.drivers.map((e, j) => (j === i ? entry : e));
  if (!gone) return { ...state, drivers };
  const { [m.driverId]: _forgotten, ...departed } = state.departed;
  return { ...state, drivers, departed };
}

function leave(state: CellState, m: DriverLeft, now: number): CellState {
  const existing = state.drivers.find((e) => e.driverId === m.driverId);
  // A newer entry than this leave means the driver came back after it: the leave is old news.
  if (existing && existing.version > m.version) return state;
  const known = state.departed[m.driverId];
  return {
    ...state,
    drivers: existing ? state.drivers.filter((e) => e !== existing) : state.drivers,
    departed: { ...state.departed, [m.driverId]: { version: Math.max(m.version, known?.version ?? 0), at: now } },
  };
}

/** Tells the zone whether the cell lists anyone, when that changed or is due for a refresh. */
function announce(state: CellState, now: number, config: CellConfig): CellDecision {
  if (config.zoneRefreshMs === null) return { state, effects: [] };
  const occupied = state.drivers.length > 0;
  const last = state.announced;
  const due = last === undefined ? occupied : last.occupied !== occupied || (occupied && now - last.at >= config.zoneRefreshMs);
  if (!due) return { state, effects: [] };
  return {
    state: { ...state, announced: { occupied, at: now } },
    effects: [{ type: 'toZone', zone: zoneOf(state.cell), body: { type: 'CellOccupancy', cell: state.cell, occupied } }],
  };
}

/**
 * Whether `after` differs from `before` only by refreshed entries (position, heading, speed, load, version, last
 * seen): the same drivers in the same order, and nothing else changed. Such a change may be written late: one
 * lost in a crash is redone by that driver's next refresh.
 */
export function onlyRefreshed(before: CellState, after: CellState): boolean {
  if (before.departed !== after.departed || before.prunedAt !== after.prunedAt || before.announced !== after.announced) return false;
  const a = before.drivers;
  const b = after.drivers;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if ((a[i] as CellEntry).driverId !== (b[i] as CellEntry).driverId) return false;
  return true;
}

/** Drops silent entries and forgotten departures, at most once per `silenceMs`. */
function prune(state: CellState, now: number, config: CellConfig): CellState {
  if (now - state.prunedAt < config.silenceMs) return state;
  const horizon = now - config.silenceMs;
  const departed: Record<string, { version: number; at: number }> = {};
  for (const [id, d] of Object.entries(state.departed)) if (d.at >= horizon) departed[id] = d;
  return { ...state, drivers: state.drivers.filter((e) => e.seenAt >= horizon), departed, prunedAt: now };
}

/**
 * The query's `k` best eligible drivers of this cell, best first (score, then id), and whether more eligible ones
 * exist. Eligible: heard from within `silenceMs` and not excluded. This is the hot path of matching, so it walks
 * the cell's spatial index (`cell-index.ts`) outwards from the pickup and allocates nothing per driver looked at:
 * 1. rings of buckets until the k nearest eligible drivers are known: the k-th of them is nearer than anything
 *    outside the rings walked;
 * 2. the k nearest score at most some S (their worst), so a driver whose ETA alone exceeds S cannot be among the
 *    k best: that ETA is the reach;
 * 3. more rings until the reach is covered; the drivers within reach are scored and ranked.
 */
export function nearest(state: CellState, query: Pick<FindCandidates, 'pickup' | 'k' | 'exclude' | 'score'>, now: number, config: CellConfig): { candidates: Candidate[]; truncated: boolean } {
  const { pickup, k, score: params } = query;
  const drivers = state.drivers;
  const horizon = now - config.silenceMs;
  const exclude = query.exclude.length > 0 ? new Set(query.exclude) : null;
  const index = cellIndexOf(drivers);
  // More eligible drivers than returned: with `size = min(k, eligible)` returned, that is "more than k".
  const truncated = eligibleMoreThan(index, horizon, exclude, Math.max(0, k));
  if (k <= 0 || index.n === 0) return { candidates: [], truncated };
  const walk = ringWalk(index, pickup);
  const scan: Scan = { walk, horizon, exclude, collected: 0, nearestK: Math.min(k, index.n), nearestFound: 0 };
  ensureBuffers(index.n, scan.nearestK, walk.lastRing);

  // 1. The k nearest.
  let ring = 0;
  collectRing(scan, ring, Infinity);
  while (ring < walk.lastRing && !(scan.nearestFound === scan.nearestK && beyondSq(walk, ring) > (buffers.nearestSq[scan.nearestK - 1] as number))) {
    collectRing(scan, ++ring, Infinity);
  }
  const size = scan.nearestFound;
  if (size === 0) return { candidates: [], truncated };
  // 2. The reach.
  const boundSq = reachSq(scan, pickup, params, buffers.nearestSq[size - 1] as number);
  // 3. Everything within reach.
  while (ring < walk.lastRing && beyondSq(walk, ring) <= boundSq) collectRing(scan, ++ring, boundSq);
  return { candidates: rank(scan, state.cell, pickup, params, size, boundSq), truncated };
}

/** One query's walk: the eligible drivers looked at so far are `buffers.slot/d2[0..collected)`. */
interface Scan {
  readonly walk: RingWalk;
  readonly horizon: number;
  readonly exclude: ReadonlySet<string> | null;
  collected: number;
  /** How many nearest distances to keep (`buffers.nearestSq`, ascending), and how many are kept. */
  readonly nearestK: number;
  nearestFound: number;
}

/**
 * Reused buffers of `nearest` (never read before written): slots and squared distances of the eligible drivers looked
 * at, the k smallest squared distances, a ring's buckets, and the best k (slot, score, distance) while ranking.
 */
const buffers = {
  slot: new Int32Array(512),
  d2: new Float64Array(512),
  nearestSq: new Float64Array(64),
  ring: new Int32Array(256),
  topSlot: new Int32Array(64),
  topScore: new Float64Array(64),
  topDistance: new Float64Array(64),
};

function ensureBuffers(n: number, k: number, lastRing: number): void {
  if (buffers.slot.length < n) {
    buffers.slot = new Int32Array(Math.max(n, buffers.slot.length * 2));
    buffers.d2 = new Float64Array(buffers.slot.length);
  }
  if (buffers.nearestSq.length < k) {
    const size = Math.max(k, buffers.nearestSq.length * 2);
    buffers.nearestSq = new Float64Array(size);
    buffers.topSlot = new Int32Array(size);
    buffers.topScore = new Float64Array(size);
    buffers.topDistance = new Float64Array(size);
  }
  if (buffers.ring.length < 8 * lastRing + 1) buffers.ring = new Int32Array(8 * lastRing + 1);
}

/** Adds the eligible drivers of one ring of buckets to the scan, but those of buckets farther than `limitSq`. */
function collectRing(scan: Scan, ring: number, limitSq: number): void {
  const { walk } = scan;
  const buckets = buffers.ring;
  const count = bucketsInRing(walk, ring, buckets);
  for (let r = 0; r < count; r++) {
    const b = buckets[r] as number;
    if (limitSq !== Infinity && bucketSq(walk, b) > limitSq) continue;
    collectBucket(scan, b);
  }
}

/** Adds the eligible drivers of bucket `b` to the scan, with their squared plane distances. */
function collectBucket(scan: Scan, b: number): void {
  const { walk, horizon, exclude } = scan;
  const { index, pickup, kx } = walk;
  const { start, id, slots: fields } = index;
  const { slot: slots, d2, nearestSq } = buffers;
  const k = scan.nearestK;
  let m = scan.collected;
  let found = scan.nearestFound;
  const end = start[b + 1] as number;
  for (let slot = start[b] as number; slot < end; slot++) {
    const base = slot * SLOT;
    if ((fields[base + F_SEEN_AT] as number) < horizon) continue;
    if (exclude !== null && exclude.has(id[slot] as string)) continue;
    // The arithmetic of planeDistanceSq, inlined: cells, dispatchers and the brute-force tests rank alike.
    let dLng = (fields[base + F_LNG] as number) - pickup.lng;
    if (dLng > 180) dLng -= 360;
    else if (dLng < -180) dLng += 360;
    const x = dLng * kx;
    const y = ((fields[base + F_LAT] as number) - pickup.lat) * RADIANS;
    const dist = x * x + y * y;
    slots[m] = slot;
    d2[m] = dist;
    m++;
    // Keep the k smallest distances, ascending (insertion: most drivers fail the first comparison).
    if (found < k) found++;
    else if (dist >= (nearestSq[k - 1] as number)) continue;
    let at = found - 1;
    while (at > 0 && (nearestSq[at - 1] as number) > dist) {
      nearestSq[at] = nearestSq[at - 1] as number;
      at--;
    }
    nearestSq[at] = dist;
  }
  scan.collected = m;
  scan.nearestFound = found;
}

/** The squared distance beyond which no driver can be among the best: the ETA of the worst of the nearest. */
function reachSq(scan: Scan, pickup: GeoPoint, params: ScoreParams, kthSq: number): number {
  const { slot: slots, d2 } = buffers;
  let worst = 0;
  for (let j = 0; j < scan.collected; j++) {
    const dj = d2[j] as number;
    if (dj <= kthSq) worst = Math.max(worst, scoreOfSlot(scan.walk.index, slots[j] as number, pickup, Math.sqrt(dj) * EARTH_RADIUS_KM, params));
  }
  const reach = (worst * params.speedKph) / (EARTH_RADIUS_KM * 3600);
  return reach * reach * (1 + 1e-9);
}

function scoreOfSlot(index: CellIndex, slot: number, pickup: GeoPoint, distance: number, params: ScoreParams): number {
  const f = index.slots;
  const at = slot * SLOT;
  return scoreOf(pickup, f[at + F_LAT] as number, f[at + F_LNG] as number, f[at + F_HEADING] as number, f[at + F_SPEED] as number, f[at + F_LOAD] as number, distance, params);
}

/**
 * Scores the drivers looked at that are within reach and keeps the `size` best, (score, driverId) order: selected
 * in the buffers, so only the answer's candidates become objects.
 */
function rank(scan: Scan, cell: string, pickup: GeoPoint, params: ScoreParams, size: number, boundSq: number): Candidate[] {
  const { slot: slots, d2, topSlot, topScore, topDistance } = buffers;
  const { id, slots: f } = scan.walk.index;
  let count = 0;
  for (let j = 0; j < scan.collected; j++) {
    const dj = d2[j] as number;
    if (dj > boundSq) continue;
    const slot = slots[j] as number;
    const distance = Math.sqrt(dj) * EARTH_RADIUS_KM;
    const score = scoreOfSlot(scan.walk.index, slot, pickup, distance, params);
    if (count === size) {
      if (ranksAfter(score, slot, size - 1, id)) continue;
    } else {
      count++;
    }
    let at = count - 1;
    while (at > 0 && !ranksAfter(score, slot, at - 1, id)) {
      topSlot[at] = topSlot[at - 1] as number;
      topScore[at] = topScore[at - 1] as number;
      topDistance[at] = topDistance[at - 1] as number;
      at--;
    }
    topSlot[at] = slot;
    topScore[at] = score;
    topDistance[at] = distance;
  }
  const top: Candidate[] = new Array<Candidate>(count);
  for (let i = 0; i < count; i++) {
    const slot = topSlot[i] as number;
    const at = slot * SLOT;
    top[i] = {
      driverId: id[slot] as string,
      cell,
      lat: f[at + F_LAT] as number,
      lng: f[at + F_LNG] as number,
      distanceKm: topDistance[i] as number,
      score: topScore[i] as number,
      load: f[at + F_LOAD] as number,
      version: f[at + F_VERSION] as number,
    };
  }
  return top;
}

/** Whether the driver in `slot`, scoring `score`, ranks after the one kept at `i` while ranking: (score, driverId). */
function ranksAfter(score: number, slot: number, i: number, id: readonly string[]): boolean {
  const kept = buffers.topScore[i] as number;
  return score > kept || (score === kept && (id[slot] as string) > (id[buffers.topSlot[i] as number] as string));
}

/** Whether more than `limit` drivers of the cell are eligible (stops counting past it). */
function eligibleMoreThan(index: CellIndex, horizon: number, exclude: ReadonlySet<string> | null, limit: number): boolean {
  if (index.n <= limit) return false;
  if (exclude === null && index.minSeenAt >= horizon) return true;
  let count = 0;
  for (let slot = 0; slot < index.n; slot++) {
    if ((index.slots[slot * SLOT + F_SEEN_AT] as number) < horizon) continue;
    if (exclude !== null && exclude.has(index.id[slot] as string)) continue;
    if (++count > limit) return true;
  }
  return false;
}

const RADIANS = Math.PI / 180;
