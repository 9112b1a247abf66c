import type { ActorBehavior } from '../../actors/behavior.ts';
import { decideDispatch } from '../../machines/dispatch/decider.ts';
import type { DispatchMessage } from '../../machines/dispatch/protocol.ts';
import type { SearchRound } from '../../machines/dispatch/search.ts';
import { initialDispatchState, searchEnded, type DispatchState } from '../../machines/dispatch/state.ts';
import { searchConfigOf, type DispatchSettings } from './config.ts';
import { runtimeEffects } from './effects.ts';
import { dispatchMessageSchema, parserOf } from './schemas.ts';

/**
 * Kind `dispatch`, id = the order id: one order's driver search. Told by the order (`FindDriver`, `CancelSearch`),
 * by cells (`Candidates`), by zones (`OccupiedCells`), by drivers (`DriverReserved`, `DriverRefused`,
 * `OfferAccepted`, `OfferReleased`) and by its own timers (`OfferTimedOut`, `SearchWatchdog`); tells the order
 * `AssignDriver` or `ReportDispatchFailed`.
 */
export function dispatchBehavior(settings: DispatchSettings): ActorBehavior<DispatchState, DispatchMessage> {
  const config = searchConfigOf(settings);
  return {
    kind: 'dispatch',
    parse: parserOf(dispatchMessageSchema),
    initialState: (id) => initialDispatchState(id),
    decide(state, message, meta) {
      const decision = decideDispatch(withDirectoryFields(state), message, { now: meta.now, config });
      return { state: decision.state, effects: runtimeEffects(decision.effects, meta) };
    },
    stateTtlMs: settings.dispatchStateTtlMs,
    // One actor per order's search: once it has ended, it leaves memory with its last write (see `finished`).
    finished: (state) => searchEnded(state.value),
    describe(state) {
      const { context: c } = state;
      return {
        value: state.value.toUpperCase(),
        context: {
          orderId: c.orderId,
          attempt: c.order?.attempt ?? null,
          pickup: c.order?.pickup ?? null,
          rounds: c.rounds,
          reach: c.reach,
          waitingFor: c.search ? [...c.search.pending, ...c.search.pendingZones] : [],
          candidates: c.search?.pool.slice(0, 5).map((p) => ({ driverId: p.driverId, distanceKm: Number(p.distanceKm.toFixed(3)), score: Math.round(p.score) })) ?? [],
          tried: c.tried,
          reservations: c.reservations,
          offers: c.offers,
          current: c.current && { offerId: c.current.offerId, driverId: c.current.candidate.driverId, expiresAt: c.current.expiresAt && new Date(c.current.expiresAt).toISOString() },
          assignment: c.assignment,
          failure: c.failure,
          log: c.log,
        },
      };
    },
  };
}

/**
 * A search persisted before the directory of occupied cells has none of its fields: it reads as a round that asked
 * no zones (every cell of its disk is asked, as it was then).
 */
function withDirectoryFields(state: DispatchState): DispatchState {
  const search = state.context.search as (Omit<SearchRound, 'pendingZones' | 'empty' | 'directoryRings'> & Partial<SearchRound>) | null;
  if (search === null || search.pendingZones !== undefined) return state;
  return { ...state, context: { ...state.context, search: { ...search, pendingZones: [], empty: [], directoryRings: 0 } } };
}
