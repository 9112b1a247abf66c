import type { ActorBehavior } from '../../actors/behavior.ts';
import { decideCell, initialCellState, onlyRefreshed, type CellState } from '../../machines/cell/cell.ts';
import type { CellMessage } from '../../machines/dispatch/protocol.ts';
import { cellConfigOf, type DispatchSettings } from './config.ts';
import { runtimeEffects } from './effects.ts';
import { cellMessageSchema, parserOf } from './schemas.ts';

/**
 * How late a cell may write refreshed entries, ms: far below the drivers' refresh interval (10 s by default) and
 * silence timeout (30 s), so a cell restored after a crash lists everyone it did, at most this much staler.
 */
const CELL_REFRESH_SAVE_MS = 2_000;

/**
 * Kind `cell`, id = an H3 index at the configured resolution. Told by drivers (`DriverEntered`, `DriverLeft`);
 * answers `FindCandidates` from memory — to the sending dispatcher as a `Candidates` message, or as the reply to an
 * ask. Ephemeral like the drivers that fill it.
 */
export function cellBehavior(settings: DispatchSettings): ActorBehavior<CellState, CellMessage> {
  const config = cellConfigOf(settings);
  return {
    kind: 'cell',
    parse: parserOf(cellMessageSchema),
    initialState: (id) => initialCellState(id),
    decide(state, message, meta) {
      const decision = decideCell(state, message, { now: meta.now, config });
      return { state: decision.state, effects: runtimeEffects(decision.effects, meta) };
    },
    stateTtlMs: settings.cellStateTtlMs,
    // Written at once, each refresh would rewrite the whole cell (every entry) for each driver every few seconds —
    // most of what a busy worker sends to Redis. Refreshed entries wait up to CELL_REFRESH_SAVE_MS instead.
    deferrable: { changes: onlyRefreshed, maxMs: CELL_REFRESH_SAVE_MS },
    describe(state) {
      return {
        value: 'LISTING',
        context: {
          cell: state.cell,
          drivers: state.drivers.length,
          entries: state.drivers.map((e) => ({ driverId: e.driverId, lat: e.lat, lng: e.lng, load: e.load, version: e.version, seenAt: new Date(e.seenAt).toISOString() })),
          departed: Object.keys(state.departed).length,
        },
      };
    },
  };
}
