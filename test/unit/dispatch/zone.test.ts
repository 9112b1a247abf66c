import { cellToParent, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { decideCell, initialCellState, type CellConfig, type CellState } from '../../../machines/cell/cell.ts';
import type { CellMessage, DriverEntered, Outbound } from '../../../machines/dispatch/protocol.ts';
import { decideZone, initialZoneState, type ZoneState } from '../../../machines/zone/zone.ts';

const T0 = Date.parse('2024-05-01T12:00:00Z');
const CELL = latLngToCell(37.7749, -122.4194, 8);
const OTHER = latLngToCell(37.78, -122.41, 8);
const ZONE = cellToParent(CELL, 6);
const zoneConfig = { entryTtlMs: 150_000 };

const entered = (driverId: string, version: number, atMs = 0): DriverEntered => ({
  type: 'DriverEntered',
  driverId,
  version,
  lat: 37.7749,
  lng: -122.4194,
  heading: null,
  speedKph: null,
  load: 0,
  seenAt: T0 + atMs,
});

/** Runs messages through a cell at the given times; the zone messages it sent, in order. */
function cellSays(steps: readonly [number, CellMessage][], config: CellConfig = { silenceMs: 30_000, zoneRefreshMs: 60_000 }): Outbound[] {
  let state: CellState = initialCellState(CELL);
  const said: Outbound[] = [];
  for (const [at, message] of steps) {
    const d = decideCell(state, message, { now: T0 + at, config });
    state = d.state;
    said.push(...d.effects.filter((e) => e.type === 'toZone'));
  }
  return said;
}

const occupancy = (occupied: boolean): Outbound => ({ type: 'toZone', zone: ZONE, body: { type: 'CellOccupancy', cell: CELL, occupied } });

describe('a cell telling its zone', () => {
  it('given an empty cell, when drivers come and go, then the zone hears of the first arrival and the last departure only', () => {
    const said = cellSays([
      [0, entered('D1', 1)],
      [1_000, entered('D2', 1)],
      [2_000, { type: 'DriverLeft', driverId: 'D1', version: 2 }],
      [3_000, { type: 'DriverLeft', driverId: 'D2', version: 2 }],
    ]);
    expect(said).toEqual([occupancy(true), occupancy(false)]);
  });

  it('given an occupied cell, when its driver refreshes past zoneRefreshMs, then the zone is told again', () => {
    const said = cellSays([
      [0, entered('D1', 1)],
      [59_999, entered('D1', 2, 59_999)],
      [60_000, entered('D1', 3, 60_000)],
      [70_000, entered('D1', 4, 70_000)],
    ]);
    expect(said).toEqual([occupancy(true), occupancy(true)]);
  });

  it('given the directory off, when drivers come and go, then the zone is never told', () => {
    expect(cellSays([[0, entered('D1', 1)], [1_000, { type: 'DriverLeft', driverId: 'D1', version: 2 }]], { silenceMs: 30_000, zoneRefreshMs: null })).toEqual([]);
  });
});

describe('a zone', () => {
  const run = (steps: readonly [number, Parameters<typeof decideZone>[1]][]): { state: ZoneState; answers: Outbound[] } => {
    let state = initialZoneState(ZONE);
    const answers: Outbound[] = [];
    for (const [at, message] of steps) {
      const d = decideZone(state, message, { now: T0 + at, config: zoneConfig });
      state = d.state;
      answers.push(...d.effects);
    }
    return { state, answers };
  };
  const asked = (queryId: string) => ({ type: 'FindOccupiedCells' as const, queryId });

  it('given two occupied cells, one of which empties, when asked, then it names the one still occupied', () => {
    const { answers } = run([
      [0, { type: 'CellOccupancy', cell: CELL, occupied: true }],
      [0, { type: 'CellOccupancy', cell: OTHER, occupied: true }],
      [1_000, asked('q1')],
      [2_000, { type: 'CellOccupancy', cell: CELL, occupied: false }],
      [3_000, asked('q2')],
    ]);
    expect(answers).toEqual([
      { type: 'respond', body: { type: 'OccupiedCells', queryId: 'q1', zone: ZONE, cells: [CELL, OTHER].sort() } },
      { type: 'respond', body: { type: 'OccupiedCells', queryId: 'q2', zone: ZONE, cells: [OTHER] } },
    ]);
  });

  it('given a cell not heard from for longer than the entry TTL, when asked, then it is not named, and the next write forgets it', () => {
    const { state, answers } = run([
      [0, { type: 'CellOccupancy', cell: CELL, occupied: true }],
      [zoneConfig.entryTtlMs + 1, asked('q')],
      [zoneConfig.entryTtlMs + 2, { type: 'CellOccupancy', cell: OTHER, occupied: true }],
    ]);
    expect(answers).toEqual([{ type: 'respond', body: { type: 'OccupiedCells', queryId: 'q', zone: ZONE, cells: [] } }]);
    expect(Object.keys(state.cells)).toEqual([OTHER]);
  });
});
