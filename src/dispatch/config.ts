import type { CellConfig } from '../../machines/cell/cell.ts';
import type { DispatchConfig as SearchConfig } from '../../machines/dispatch/decider.ts';
import type { DriverConfig } from '../../machines/driver/decider.ts';
import type { ZoneConfig } from '../../machines/zone/zone.ts';

/**
 * Every knob of dispatch, with its default. One object feeds the three kinds so that they agree (the driver lists
 * itself in cells of the same resolution the dispatcher searches, and both use the same silence timeout).
 */
export interface DispatchSettings {
  /**
   * H3 resolution of the cell actors. @default 8 — cells with an average edge of about 0.5 km (0.74 km²):
   * - a few city blocks, so a city-centre density of 100–500 available drivers per km² puts 70–370 drivers in a
   *   cell: few enough to scan in microseconds per query, and a cell's JSON state stays a few tens of KB;
   * - at city speeds (20–40 km/h) a driver crosses a cell in one to two minutes, i.e. every 15–40 pings, so
   *   membership churn (a "left" and an "entered" message) is a few per cent of the ping traffic;
   * - the 10 nearest drivers of a dense area lie within ring 1 (7 cells, covering 0.5–1 km around the pickup
   *   depending on where in its cell it lies), and 4 rings (61 cells) cover 2.8–3.3 km — about 10 minutes' drive,
   *   the practical pickup radius.
   * Resolution 7 (1.4 km edge) would put thousands of drivers in a downtown cell (every query and every commit
   * pays for all of them); resolution 9 (0.2 km edge) would move drivers between cells every few pings and need
   * three times the rings (and messages) for the same radius.
   */
  readonly resolution: number;
  /**
   * Whether searches use the directory of occupied cells: each cell tells its zone (the H3 parent two resolutions
   * up, 49 cells) whether it lists drivers, and a search first asks the zones of its disk, then only the cells they
   * name. @default true — in an empty or sparse area a search costs a few messages instead of one per cell of its
   * disk (61 at 4 rings); in a dense one it adds a zone query or two to the first wave, answered in parallel.
   */
  readonly cellDirectory: boolean;
  /** An occupied cell tells its zone again this often (a zone forgets a cell after twice this plus `silenceMs`), ms. @default 60_000 */
  readonly zoneRefreshMs: number;
  /** Candidates each cell returns per query. @default 10 */
  readonly k: number;
  /** Rings searched around the pickup's cell at most; the maximum radius. @default 4 (2.8–3.3 km at res 8) */
  readonly maxRings: number;
  /** How long a driver has to accept an offer, ms. @default 15_000 */
  readonly offerTimeoutMs: number;
  /** An accept arriving up to this long after the offer window closed still counts, ms. @default 1_000 */
  readonly acceptGraceMs: number;
  /** A reservation nobody withdrew this long after its window (and grace) closed is released by the driver, ms. @default 30_000 */
  readonly reservationLapseMs: number;
  /** A wave of cell queries is closed after this long without all answers, ms. @default 3_000 */
  readonly queryTimeoutMs: number;
  /** Offers that reach a driver per search attempt before giving up. @default 5 */
  readonly maxOffers: number;
  /** Reservations asked per attempt, busy drivers included, before giving up. @default 30 */
  readonly maxReservations: number;
  /** A driver without a location ping for longer is treated as gone: not listed, not offered, ms. @default 30_000 */
  readonly silenceMs: number;
  /** A listed driver's cell is told its position again after this long, ms. @default 10_000 */
  readonly cellRefreshMs: number;
  /** … or once it moved this far from the position its cell holds, m. @default 25 */
  readonly cellRefreshMoveM: number;
  /** Pings with a device time further ahead than this are refused, ms. @default 30_000 */
  readonly maxPingFutureMs: number;
  /** Pings with a device time older than this are refused, ms. @default 300_000 */
  readonly maxPingAgeMs: number;
  /** Customers following an order see the assigned driver's position at most once per this long, ms. @default 2 000 */
  readonly locationPushIntervalMs: number;
  /** Score: assumed travel speed to the pickup, km/h. @default 20 */
  readonly travelSpeedKph: number;
  /** Score: seconds per trip in the driver's load window. @default 120 */
  readonly loadWeightS: number;
  /** Score: seconds for a moving driver heading straight away from the pickup. @default 60 */
  readonly headingWeightS: number;
  /** Score: an order this old is fully urgent (its load weight has faded to 0), ms. @default 600_000 */
  readonly slaMs: number;
  /** Trips accepted within this window count as a driver's load, ms. @default 3_600_000 */
  readonly loadWindowMs: number;
  /** Time at the restaurant counted into the delivery ETA sent with AssignDriver, s. @default 180 */
  readonly pickupHandlingS: number;
  /** Driver state is dropped after this long without a message (ephemeral: pings rebuild it), ms. @default 600_000 */
  readonly driverStateTtlMs: number;
  /** Cell state is dropped after this long without a message, ms. @default 600_000 */
  readonly cellStateTtlMs: number;
  /** A search's state is dropped after this long without a message, ms. @default 86_400_000 */
  readonly dispatchStateTtlMs: number;
}

export const DEFAULT_DISPATCH_SETTINGS: DispatchSettings = {
  resolution: 8,
  cellDirectory: true,
  zoneRefreshMs: 60_000,
  k: 10,
  maxRings: 4,
  offerTimeoutMs: 15_000,
  acceptGraceMs: 1_000,
  reservationLapseMs: 30_000,
  queryTimeoutMs: 3_000,
  maxOffers: 5,
  maxReservations: 30,
  silenceMs: 30_000,
  cellRefreshMs: 10_000,
  cellRefreshMoveM: 25,
  maxPingFutureMs: 30_000,
  maxPingAgeMs: 300_000,
  locationPushIntervalMs: 2_000,
  travelSpeedKph: 20,
  loadWeightS: 120,
  headingWeightS: 60,
  slaMs: 600_000,
  loadWindowMs: 3_600_000,
  pickupHandlingS: 180,
  driverStateTtlMs: 600_000,
  cellStateTtlMs: 600_000,
  dispatchStateTtlMs: 86_400_000,
};

/** The defaults with some knobs changed; throws on a setting that cannot work (a startup error, not a runtime one). */
export function dispatchSettings(overrides: Partial<DispatchSettings> = {}): DispatchSettings {
  const s = { ...DEFAULT_DISPATCH_SETTINGS, ...overrides };
  const problems: string[] = [];
  const atLeast = (name: keyof DispatchSettings, min: number) => {
    const v = s[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) problems.push(`${name} must be a number of at least ${min} (got ${String(v)})`);
  };
  if (!Number.isInteger(s.resolution) || s.resolution < 0 || s.resolution > 15) problems.push(`resolution must be an integer from 0 to 15 (got ${s.resolution})`);
  for (const name of ['k', 'maxOffers', 'maxReservations', 'travelSpeedKph'] as const) atLeast(name, 1);
  for (const name of ['maxRings', 'acceptGraceMs', 'loadWeightS', 'headingWeightS', 'slaMs', 'pickupHandlingS', 'cellRefreshMoveM'] as const) atLeast(name, 0);
  if (typeof s.cellDirectory !== 'boolean') problems.push(`cellDirectory must be true or false (got ${String(s.cellDirectory)})`);
  for (const name of ['offerTimeoutMs', 'reservationLapseMs', 'queryTimeoutMs', 'silenceMs', 'cellRefreshMs', 'maxPingFutureMs', 'maxPingAgeMs', 'loadWindowMs', 'locationPushIntervalMs', 'zoneRefreshMs'] as const) {
    atLeast(name, 1);
  }
  for (const name of ['driverStateTtlMs', 'cellStateTtlMs', 'dispatchStateTtlMs'] as const) atLeast(name, 1_000);
  if (s.cellRefreshMs >= s.silenceMs) problems.push(`cellRefreshMs (${s.cellRefreshMs}) must be below silenceMs (${s.silenceMs}), or listed drivers would fall silent`);
  if (problems.length > 0) throw new RangeError(`invalid dispatch settings:\n${problems.join('\n')}`);
  return s;
}

export function driverConfigOf(s: DispatchSettings): DriverConfig {
  return {
    resolution: s.resolution,
    silenceMs: s.silenceMs,
    cellRefreshMs: s.cellRefreshMs,
    cellRefreshMoveM: s.cellRefreshMoveM,
    acceptGraceMs: s.acceptGraceMs,
    reservationLapseMs: s.reservationLapseMs,
    loadWindowMs: s.loadWindowMs,
    ping: { maxFutureMs: s.maxPingFutureMs, maxAgeMs: s.maxPingAgeMs },
    locationPushIntervalMs: s.locationPushIntervalMs,
  };
}

export function cellConfigOf(s: DispatchSettings): CellConfig {
  return { silenceMs: s.silenceMs, zoneRefreshMs: s.cellDirectory ? s.zoneRefreshMs : null };
}

export function zoneConfigOf(s: DispatchSettings): ZoneConfig {
  // An occupied cell speaks again at its first message after zoneRefreshMs, and its live drivers message it well
  // within silenceMs: twice the refresh plus the silence never forgets a cell that still lists someone alive.
  return { entryTtlMs: 2 * s.zoneRefreshMs + s.silenceMs };
}

export function searchConfigOf(s: DispatchSettings): SearchConfig {
  return {
    resolution: s.resolution,
    k: s.k,
    maxRings: s.maxRings,
    cellDirectory: s.cellDirectory,
    offerTimeoutMs: s.offerTimeoutMs,
    acceptGraceMs: s.acceptGraceMs,
    queryTimeoutMs: s.queryTimeoutMs,
    maxOffers: s.maxOffers,
    maxReservations: s.maxReservations,
    score: { travelSpeedKph: s.travelSpeedKph, loadWeightS: s.loadWeightS, headingWeightS: s.headingWeightS, slaMs: s.slaMs },
    pickupHandlingS: s.pickupHandlingS,
  };
}
