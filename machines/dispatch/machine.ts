import { assign, setup } from 'xstate';
import { applyDispatchFact, type DispatchFact } from './facts.ts';
import { initialDispatchState, type DispatchContext, type DispatchState, type DispatchStateValue } from './state.ts';

const restart = { SearchStarted: { target: '#dispatch.searching', actions: 'record' } } as const;
const cancel = { SearchCancelled: { target: '#dispatch.cancelled', actions: 'record' } } as const;
const watch = { WatchdogArmed: { actions: 'record' }, WatchdogDisarmed: { actions: 'record' } } as const;

/**
 * The dispatch chart: which fact may happen in which state.
 *
 *   idle ─SearchStarted→ searching
 *   searching ─SearchProgressed→ (stay);  ─ReservationRequested→ reserving;  ─SearchFailed→ failed
 *   reserving ─ReservationRefused [its offer]→ searching;  ─OfferOut [its offer]→ offered;  ─DriverAssigned→ assigned
 *   offered ─OfferTimedOut [its offer]→ (stay);  ─OfferEnded [its offer]→ searching;  ─DriverAssigned→ assigned
 *   reserving ─OfferEnded [its offer]→ searching
 *   every state but cancelled ─SearchStarted (a higher attempt)→ searching;  ─SearchCancelled→ cancelled
 *   every state: WatchdogArmed, WatchdogDisarmed (bookkeeping of the search's timer)
 *
 * One offer at a time: ReservationRequested only from `searching`, and the chart leaves `reserving`/`offered`
 * only through the current offer's outcome. One assignment: DriverAssigned only while an offer is out.
 */
export const dispatchMachine = setup({
  types: {
    context: {} as DispatchContext,
    events: {} as DispatchFact,
  },
  guards: {
    itsOffer: ({ context, event }) => 'offerId' in event && context.current !== null && context.current.offerId === event.offerId,
    itsAssignment: ({ context, event }) => event.type === 'DriverAssigned' && context.current !== null && context.current.offerId === event.assignment.offerId,
  },
  actions: {
    record: assign(({ context, event }) => applyDispatchFact(context, event)),
  },
}).createMachine({
  id: 'dispatch',
  context: initialDispatchState('').context,
  initial: 'idle',
  states: {
    idle: {
      on: { ...restart, ...cancel, ...watch },
    },
    searching: {
      on: {
        ...restart,
        ...cancel,
        ...watch,
        SearchProgressed: { actions: 'record' },
        ReservationRequested: { target: 'reserving', actions: 'record' },
        SearchFailed: { target: 'failed', actions: 'record' },
      },
    },
    reserving: {
      on: {
        ...restart,
        ...cancel,
        ...watch,
        ReservationRefused: { guard: 'itsOffer', target: 'searching', actions: 'record' },
        OfferOut: { guard: 'itsOffer', target: 'offered', actions: 'record' },
        OfferEnded: { guard: 'itsOffer', target: 'searching', actions: 'record' },
        DriverAssigned: { guard: 'itsAssignment', target: 'assigned', actions: 'record' },
      },
    },
    offered: {
      on: {
        ...restart,
        ...cancel,
        ...watch,
        OfferTimedOut: { guard: 'itsOffer', actions: 'record' },
        OfferEnded: { guard: 'itsOffer', target: 'searching', actions: 'record' },
        DriverAssigned: { guard: 'itsAssignment', target: 'assigned', actions: 'record' },
      },
    },
    assigned: {
      on: { ...restart, ...cancel, ...watch },
    },
    failed: {
      on: { ...restart, ...cancel, ...watch },
    },
    cancelled: {
      on: { ...watch },
    },
  },
});

/**
 * Runs facts through the chart: the next state, or the first fact the chart refuses. As for the driver (see
 * `applyDriverFacts`): XState resolves guards and targets, the `record` action is applied here.
 */
export function applyDispatchFacts(state: DispatchState, facts: readonly DispatchFact[]): { ok: true; state: DispatchState } | { ok: false; refused: DispatchFact } {
  let value = state.value;
  let context = state.context;
  for (const fact of facts) {
    const snapshot = dispatchMachine.resolveState({ value, context });
    const step = dispatchMachine.getTransitionData(snapshot, fact).find((t) => t.target !== undefined || t.actions.length > 0);
    if (!step) return { ok: false, refused: fact };
    const target = step.target?.[0];
    if (target) value = target.key as DispatchStateValue;
    context = applyDispatchFact(context, fact);
  }
  return { ok: true, state: { value, context } };
}
