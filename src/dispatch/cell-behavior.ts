import type { ActorBehavior } from '../../actors/behavior.ts';
import { decideCell, initialCellState, type CellState } from '../../machines/cell/cell.ts';
import type { CellMessage } from '../../machines/dispatch/protocol.ts';
import { cellConfigOf, type DispatchSettings } from './config.ts';
import { runtimeEffects } from './effects.ts';
import { cellMessageSchema, parserOf } from './schemas.ts';

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
