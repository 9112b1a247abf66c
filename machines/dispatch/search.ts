import { cellOf, coveredKm, diskByZone, minDistanceToCellKm, pickupGeometry, ringCells, type GeoPoint, type PickupGeometry } from './geo.ts';
import type { Candidate, Candidates, OccupiedCells } from './protocol.ts';
import { compareCandidates, scoreLowerBound, type ScoreParams } from './score.ts';

/**
 * The ring-by-ring k-nearest search of one round, as data. A round queries the pickup's cell (ring 0), then ring 1,
 * 2, … — one wave of messages at a time, whose answers arrive as later messages — and keeps every candidate the
 * cells returned in `pool`. It stops as soon as the best untried candidate provably beats every driver it has not
 * seen:
 *
 * - a driver outside the rings queried so far is at least `coveredKm` away, so scores at least
 *   `scoreLowerBound(covered)` — the best must score strictly less;
 * - a cell that had more eligible drivers than it returned (`truncated`) hides none better than the last one it
 *   returned — the best must score no more than that;
 * - a cell of a ring that could not hold anyone better than the best already found (every point of it is too far)
 *   is not asked but `deferred` with that bound — the best must score strictly less, or the cell is asked after
 *   all (a "revisit" wave), e.g. once the best turned out to be busy.
 *
 * So the driver chosen is the one a brute-force scan of every available driver within `maxRings` rings would
 * choose (the unit tests hold it to that), while a dense area is served by two or three cells, not seven.
 *
 * With the directory on, a round whose pickup cell returned nobody asks, along with ring 1, the zones its disk
 * touches which of their cells list drivers; from then on a cell no zone named is not asked (it would answer
 * nothing), so a search in an empty or sparse area costs about a dozen messages, not one per cell of its disk. A
 * dense area (the pickup cell has drivers) never asks the zones, so it pays nothing for them; a zone that does not
 * answer in time only leaves its cells to be asked.
 */
export interface SearchRound {
  /** 1, 2, … within an attempt: a fresh round starts after a decline or a timeout (positions have moved). */
  readonly round: number;
  readonly pickup: GeoPoint;
  readonly pickupCell: string;
  readonly geometry: PickupGeometry;
  /** The outermost ring reached (asked or deferred). */
  readonly ring: number;
  /** Waves sent this round; names the wave in flight. */
  readonly wave: number;
  readonly queryId: string;
  /** When the current wave was sent, ms (set by the dispatcher). */
  readonly waveSentAt: number;
  /** Cells of the current wave that have not answered yet. */
  readonly pending: readonly string[];
  /** Zones of the current wave that have not answered yet (asked with ring 1 when the pickup cell had nobody). */
  readonly pendingZones: readonly string[];
  /** Cells of the disk that their zone says list nobody: never asked. */
  readonly empty: readonly string[];
  /** Radius of the disk the directory is asked about, in rings (the search's `maxRings`); 0: the directory is off. */
  readonly directoryRings: number;
  /** Cells not asked because nobody in them could score below `bound`; lowest bound first. */
  readonly deferred: readonly { readonly cell: string; readonly bound: number }[];
  /** The best candidates returned this round, best first, at most `poolSize` (the rest count as truncated). */
  readonly pool: readonly Candidate[];
  readonly poolSize: number;
  /**
   * Lowest score a driver not in the pool may have: the last one returned by a truncated answer, or the first one
   * dropped from a full pool; null when nothing was left out.
   */
  readonly truncatedBound: number | null;
  readonly params: ScoreParams;
}

export type NextStep =
  | { readonly type: 'reserve'; readonly candidate: Candidate }
  /** Ask the next ring — except its cells that cannot beat `threshold`. */
  | { readonly type: 'widen'; readonly ring: number; readonly threshold: number }
  /** Ask deferred cells after all. */
  | { readonly type: 'revisit'; readonly cells: readonly string[] }
  /** Every ring is queried but a truncated cell may hide the best untried driver: ask again, excluding the tried. */
  | { readonly type: 'requery' }
  | { readonly type: 'exhausted' };

export function queryIdOf(attempt: number, round: number, wave: number): string {
  return `${attempt}.${round}.${wave}`;
}

/** A new round: the pickup's cell is asked first. `directory`: use the zones (with the search's `maxRings`). */
export function startRound(
  pickup: GeoPoint,
  resolution: number,
  attempt: number,
  round: number,
  params: ScoreParams,
  poolSize: number,
  directory: { readonly maxRings: number } | null = null,
): SearchRound {
  const pickupCell = cellOf(pickup, resolution);
  return {
    round,
    pickup,
    pickupCell,
    geometry: pickupGeometry(pickup, pickupCell),
    ring: 0,
    wave: 0,
    queryId: queryIdOf(attempt, round, 0),
    waveSentAt: 0,
    pending: [pickupCell],
    pendingZones: [],
    empty: [],
    directoryRings: directory?.maxRings ?? 0,
    deferred: [],
    pool: [],
    poolSize: Math.max(1, poolSize),
    truncatedBound: null,
    params,
  };
}

/**
 * The next ring: its cells that could hold a driver scoring below `threshold` are asked (the next wave); the
 * others are deferred, and cells the directory says are empty are skipped. Ring 1 after an empty pickup cell also
 * asks the disk's zones. The wave may be empty, then it is complete at once.
 */
export function widen(search: SearchRound, attempt: number, ring: number, threshold: number): SearchRound {
  const pending: string[] = [];
  const deferred = [...search.deferred];
  const empty = search.empty.length > 0 ? new Set(search.empty) : null;
  for (const cell of ringCells(search.pickupCell, ring)) {
    if (empty?.has(cell)) continue;
    const bound = scoreLowerBound(minDistanceToCellKm(search.pickup, cell), search.params);
    if (bound < threshold) pending.push(cell);
    else deferred.push({ cell, bound });
  }
  deferred.sort((a, b) => a.bound - b.bound);
  const wave = search.wave + 1;
  // Only worth a message when there are rings beyond this one for the answers to thin out.
  const askZones = ring === 1 && search.directoryRings >= 2 && search.pool.length === 0;
  const pendingZones = askZones ? [...diskByZone(search.pickupCell, search.directoryRings).keys()] : search.pendingZones;
  return { ...search, ring, wave, queryId: queryIdOf(attempt, search.round, wave), pending, pendingZones, deferred };
}

/** A wave asking deferred cells after all. */
export function revisit(search: SearchRound, attempt: number, cells: readonly string[]): SearchRound {
  const wave = search.wave + 1;
  return {
    ...search,
    wave,
    queryId: queryIdOf(attempt, search.round, wave),
    pending: [...cells],
    deferred: search.deferred.filter((d) => !cells.includes(d.cell)),
  };
}

/** Folds one cell's answer into the round; answers of other waves, or repeated ones, change nothing. */
export function receive(search: SearchRound, answer: Candidates): SearchRound {
  if (answer.queryId !== search.queryId || !search.pending.includes(answer.cell)) return search;
  const last = answer.candidates.at(-1);
  let truncatedBound = !answer.truncated ? search.truncatedBound : Math.min(search.truncatedBound ?? Infinity, last?.score ?? -Infinity);
  // One past the pool's size: the first one dropped bounds what was left out.
  let pool = merge(search.pool, answer.candidates, search.poolSize + 1);
  if (pool.length > search.poolSize) {
    // The state stays small (it is persisted with every message): what is dropped counts as truncated.
    truncatedBound = Math.min(truncatedBound ?? Infinity, (pool[search.poolSize] as Candidate).score);
    pool = pool.slice(0, search.poolSize);
  }
  return { ...search, pending: search.pending.filter((c) => c !== answer.cell), pool, truncatedBound };
}

/**
 * Folds a zone's answer into the round: the disk's cells of that zone it did not name are empty. Answers of other
 * waves, or repeated ones, change nothing.
 */
export function receiveOccupancy(search: SearchRound, answer: OccupiedCells): SearchRound {
  if (answer.queryId !== search.queryId || !search.pendingZones.includes(answer.zone)) return search;
  const occupied = new Set(answer.cells);
  const empty = (diskByZone(search.pickupCell, search.directoryRings).get(answer.zone) ?? []).filter((c) => !occupied.has(c));
  return { ...search, pendingZones: search.pendingZones.filter((z) => z !== answer.zone), empty: [...search.empty, ...empty] };
}

/** Whether the current wave has all its answers, cells and zones (or was closed). */
export function waveComplete(search: SearchRound): boolean {
  return search.pending.length === 0 && search.pendingZones.length === 0;
}

/**
 * Merges a cell's answer (best first) into the pool (best first), up to `limit` entries; a driver already in the
 * pool keeps its entry.
 */
function merge(pool: readonly Candidate[], answer: readonly Candidate[], limit: number): readonly Candidate[] {
  if (answer.length === 0) return pool;
  if (pool.length === 0) return answer;
  const merged: Candidate[] = [];
  let i = 0;
  let j = 0;
  while ((i < pool.length || j < answer.length) && merged.length < limit) {
    const a = pool[i];
    const b = answer[j];
    if (b === undefined || (a !== undefined && compareCandidates(a, b) <= 0)) {
      merged.push(a as Candidate);
      i++;
    } else {
      // A driver in two answers (it moved between the cells' replies) is rare: the pool is small, a scan will do.
      if (!inPool(pool, b.driverId)) merged.push(b);
      j++;
    }
  }
  return merged;
}

function inPool(pool: readonly Candidate[], driverId: string): boolean {
  for (const c of pool) if (c.driverId === driverId) return true;
  return false;
}

/** Gives up on the cells of the wave that have not answered (their query timed out). */
export function closeWave(search: SearchRound): SearchRound {
  return { ...search, pending: [], pendingZones: [] };
}

/** What to do once the current wave is complete, given the drivers already tried this attempt. */
export function nextStep(search: SearchRound, tried: ReadonlySet<string>, maxRings: number): NextStep {
  const best = search.pool.find((c) => !tried.has(c.driverId));
  const target = best?.score ?? Infinity;
  const owed = search.deferred.filter((d) => d.bound <= target);
  if (owed.length > 0) return { type: 'revisit', cells: owed.map((d) => d.cell) };
  const hidesNoneBetter = best !== undefined && best.score <= (search.truncatedBound ?? Infinity);
  if (best && best.score < scoreLowerBound(coveredKm(search.geometry, search.ring), search.params)) {
    // Nothing beyond the rings can beat it; only a truncated cell might (its returned ones were all tried since).
    return hidesNoneBetter ? { type: 'reserve', candidate: best } : { type: 'requery' };
  }
  if (search.ring < maxRings) return { type: 'widen', ring: search.ring + 1, threshold: target };
  // Every ring within reach is asked: drivers beyond it are out of reach by definition.
  if (best) return hidesNoneBetter ? { type: 'reserve', candidate: best } : { type: 'requery' };
  return search.truncatedBound !== null ? { type: 'requery' } : { type: 'exhausted' };
}

/**
 * For plain k-nearest queries (nobody tried, a pool of at least k): `done` once the pool's `k` best are provably the
 * `k` best within `maxRings`. Truncation cannot hide one of them: a driver left out has k better ones.
 */
export function knnStep(search: SearchRound, k: number, maxRings: number): { type: 'done' } | Extract<NextStep, { type: 'widen' | 'revisit' }> {
  const kth = search.pool[k - 1]?.score ?? Infinity;
  const owed = search.deferred.filter((d) => d.bound <= kth);
  if (owed.length > 0) return { type: 'revisit', cells: owed.map((d) => d.cell) };
  if (search.ring >= maxRings || kth < scoreLowerBound(coveredKm(search.geometry, search.ring), search.params)) return { type: 'done' };
  return { type: 'widen', ring: search.ring + 1, threshold: kth };
}
