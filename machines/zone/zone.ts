import type { CellOccupancy, FindOccupiedCells, Outbound, ZoneMessage } from '../dispatch/protocol.ts';

/**
 * A zone actor's state: which of its cells (the H3 children `ZONE_LEVELS` resolutions finer) list available drivers
 * — a directory that lets a search skip the empty cells of its disk. Like a cell it has no lifecycle, so it is a
 * plain reducer.
 *
 * Why it cannot hide a driver for long: a cell tells its zone when it goes from empty to listing someone and back,
 * and again every `refreshMs` while it lists someone (its drivers refresh it every few seconds, so it gets the
 * chance). A zone that lost its state (or never heard of a cell) learns within `refreshMs`; an entry not refreshed
 * for `entryTtlMs` is forgotten, so a cell whose drivers all went silent drops out by itself. A cell named though
 * empty costs one query that answers nothing.
 */
export interface ZoneState {
  readonly zone: string;
  /** Occupied cells and when each last said so, ms since the epoch. */
  readonly cells: Readonly<Record<string, number>>;
}

export interface ZoneConfig {
  /** An occupied cell not heard from for longer is forgotten, ms. */
  readonly entryTtlMs: number;
}

export interface ZoneDecision {
  readonly state: ZoneState;
  readonly effects: readonly Outbound[];
}

export function initialZoneState(zone: string): ZoneState {
  return { zone, cells: {} };
}

export function decideZone(state: ZoneState, message: ZoneMessage, env: { now: number; config: ZoneConfig }): ZoneDecision {
  switch (message.type) {
    case 'CellOccupancy':
      return { state: record(state, message, env.now, env.config), effects: [] };
    case 'FindOccupiedCells':
      return { state, effects: [{ type: 'respond', body: answer(state, message, env.now, env.config) }] };
    default: {
      const _exhaustive: never = message;
      return _exhaustive;
    }
  }
}

function record(state: ZoneState, m: CellOccupancy, now: number, config: ZoneConfig): ZoneState {
  const horizon = now - config.entryTtlMs;
  const cells: Record<string, number> = {};
  for (const [cell, at] of Object.entries(state.cells)) if (at >= horizon && cell !== m.cell) cells[cell] = at;
  if (m.occupied) cells[m.cell] = now;
  return { ...state, cells };
}

function answer(state: ZoneState, query: FindOccupiedCells, now: number, config: ZoneConfig) {
  const horizon = now - config.entryTtlMs;
  const cells = Object.entries(state.cells)
    .filter(([, at]) => at >= horizon)
    .map(([cell]) => cell)
    .sort();
  return { type: 'OccupiedCells' as const, queryId: query.queryId, zone: state.zone, cells };
}
