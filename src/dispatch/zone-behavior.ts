import type { ActorBehavior } from '../../actors/behavior.ts';
import type { ZoneMessage } from '../../machines/dispatch/protocol.ts';
import { decideZone, initialZoneState, type ZoneState } from '../../machines/zone/zone.ts';
import { zoneConfigOf, type DispatchSettings } from './config.ts';
import { runtimeEffects } from './effects.ts';
import { parserOf, zoneMessageSchema } from './schemas.ts';

/**
 * Kind `zone`, id = an H3 index two resolutions coarser than the cells: the directory of its occupied cells. Told by
 * its cells (`CellOccupancy`); answers `FindOccupiedCells` from memory — to the sending dispatcher as an
 * `OccupiedCells` message, or as the reply to an ask. Ephemeral: its cells rebuild it within `zoneRefreshMs`.
 */
export function zoneBehavior(settings: DispatchSettings): ActorBehavior<ZoneState, ZoneMessage> {
  const config = zoneConfigOf(settings);
  return {
    kind: 'zone',
    parse: parserOf(zoneMessageSchema),
    initialState: (id) => initialZoneState(id),
    decide(state, message, meta) {
      const decision = decideZone(state, message, { now: meta.now, config });
      return { state: decision.state, effects: runtimeEffects(decision.effects, meta) };
    },
    stateTtlMs: settings.cellStateTtlMs,
    describe(state) {
      const cells = Object.keys(state.cells).sort();
      return { value: 'LISTING', context: { zone: state.zone, occupiedCells: cells.length, cells } };
    },
  };
}
