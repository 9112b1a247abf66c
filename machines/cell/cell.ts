import { EARTH_RADIUS_KM, lngScale, zoneOf, type GeoPoint } from '../dispatch/geo.ts';
import type { Candidate, CellMessage, DriverEntered, DriverLeft, FindCandidates, Outbound } from '../dispatch/protocol.ts';
import { compareCandidates, scoreAt, type ScoreParams } from '../dispatch/score.ts';

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
  /** Listed drivers; an array because queries scan it (a packed array of same-shaped objects scans fastest). */
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
 * exist. Eligible: heard from within `silenceMs` and not excluded. This is the hot path of matching, so it works in
 * three passes over contiguous columns and allocates nothing per driver:
 * 1. squared plane distances of the eligible drivers;
 * 2. the k-th smallest of them (quickselect): the k nearest drivers score at most some S, so a driver whose ETA
 *    alone exceeds S cannot be among the k best;
 * 3. only drivers within that reach are scored and ranked.
 */
export function nearest(state: CellState, query: Pick<FindCandidates, 'pickup' | 'k' | 'exclude' | 'score'>, now: number, config: CellConfig): { candidates: Candidate[]; truncated: boolean } {
  const { pickup, k, score: params } = query;
  const drivers = state.drivers;
  const exclude = query.exclude.length > 0 ? new Set(query.exclude) : null;
  const m = distances(drivers, columnsOf(drivers), pickup, now - config.silenceMs, exclude);
  const size = Math.max(0, Math.min(k, m));
  if (size === 0) return { candidates: [], truncated: m > 0 };
  const boundSq = m > size ? reachSq(drivers, pickup, params, m, size) : Infinity;
  const candidates = rank(drivers, state.cell, pickup, params, m, size, boundSq);
  return { candidates, truncated: m > candidates.length };
}

/** Reused buffers of `nearest`: distances and indexes of the eligible drivers (never read before written). */
const buffers = { d2: new Float64Array(512), index: new Int32Array(512), selection: new Float64Array(512) };

/** Pass 1: squared plane distances of the eligible drivers into `buffers`; returns how many. */
function distances(drivers: readonly CellEntry[], columns: Columns, pickup: GeoPoint, horizon: number, exclude: ReadonlySet<string> | null): number {
  const n = drivers.length;
  if (buffers.d2.length < n) {
    const size = Math.max(n, buffers.d2.length * 2);
    buffers.d2 = new Float64Array(size);
    buffers.index = new Int32Array(size);
    buffers.selection = new Float64Array(size);
  }
  const { d2, index } = buffers;
  const { lat, lng, seenAt } = columns;
  const kx = lngScale(pickup);
  let m = 0;
  for (let i = 0; i < n; i++) {
    if ((seenAt[i] as number) < horizon) continue;
    if (exclude !== null && exclude.has((drivers[i] as CellEntry).driverId)) continue;
    let dLng = (lng[i] as number) - pickup.lng;
    if (dLng > 180) dLng -= 360;
    else if (dLng < -180) dLng += 360;
    const x = dLng * kx;
    const y = ((lat[i] as number) - pickup.lat) * RADIANS;
    index[m] = i;
    d2[m] = x * x + y * y;
    m++;
  }
  return m;
}

/** Pass 2: the squared distance beyond which no driver can be among the `size` best (from the `size` nearest). */
function reachSq(drivers: readonly CellEntry[], pickup: GeoPoint, params: ScoreParams, m: number, size: number): number {
  const { d2, index, selection } = buffers;
  selection.set(d2.subarray(0, m));
  const kthSq = quickselect(selection, m, size - 1);
  let worst = 0;
  for (let j = 0; j < m; j++) {
    const dj = d2[j] as number;
    if (dj <= kthSq) worst = Math.max(worst, scoreAt(pickup, drivers[index[j] as number] as CellEntry, Math.sqrt(dj) * EARTH_RADIUS_KM, params));
  }
  const reach = (worst * params.speedKph) / (EARTH_RADIUS_KM * 3600);
  return reach * reach * (1 + 1e-9);
}

/** Pass 3: scores what is within reach and keeps the `size` best, (score, driverId) order. */
function rank(drivers: readonly CellEntry[], cell: string, pickup: GeoPoint, params: ScoreParams, m: number, size: number, boundSq: number): Candidate[] {
  const { d2, index } = buffers;
  const top: Candidate[] = [];
  for (let j = 0; j < m; j++) {
    const dj = d2[j] as number;
    if (dj > boundSq) continue;
    const e = drivers[index[j] as number] as CellEntry;
    const distance = Math.sqrt(dj) * EARTH_RADIUS_KM;
    const score = scoreAt(pickup, e, distance, params);
    const last = top.length === size ? (top[size - 1] as Candidate) : null;
    if (last !== null && (score > last.score || (score === last.score && e.driverId > last.driverId))) continue;
    const candidate: Candidate = { driverId: e.driverId, cell, lat: e.lat, lng: e.lng, distanceKm: distance, score, load: e.load, version: e.version };
    let at = top.length;
    while (at > 0 && compareCandidates(candidate, top[at - 1] as Candidate) < 0) at--;
    if (at >= size) continue;
    top.splice(at, 0, candidate);
    if (top.length > size) top.pop();
  }
  return top;
}

/** The (r+1)-th smallest of a[0..n), reordering a (Hoare's selection). */
function quickselect(a: Float64Array, n: number, r: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (r <= j) hi = j;
    else if (r >= i) lo = i;
    else break;
  }
  return a[r] as number;
}

const RADIANS = Math.PI / 180;

/**
 * The positions of a cell's drivers as contiguous columns, derived from (and cached per) the immutable `drivers`
 * array: a query over a city's cells then scans a few KB per cell instead of chasing hundreds of objects across the
 * heap. A new array (any change) gets new columns; the old ones are garbage with it. A cache, not state: the
 * persisted state is `drivers` alone.
 */
interface Columns {
  readonly lat: Float64Array;
  readonly lng: Float64Array;
  readonly seenAt: Float64Array;
}
const columnCache = new WeakMap<readonly CellEntry[], Columns>();

function columnsOf(drivers: readonly CellEntry[]): Columns {
  let columns = columnCache.get(drivers);
  if (!columns) {
    const n = drivers.length;
    columns = { lat: new Float64Array(n), lng: new Float64Array(n), seenAt: new Float64Array(n) };
    for (let i = 0; i < n; i++) {
      const e = drivers[i] as CellEntry;
      columns.lat[i] = e.lat;
      columns.lng[i] = e.lng;
      columns.seenAt[i] = e.seenAt;
    }
    columnCache.set(drivers, columns);
  }
  return columns;
}
