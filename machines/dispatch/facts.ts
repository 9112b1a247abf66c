import type { ReleaseReason } from './protocol.ts';
import type { SearchRound } from './search.ts';
import type { Assignment, CurrentOffer, DispatchContext, OrderInfo } from './state.ts';

/** What happened to a search: the dispatch chart's events, folded into the context by `applyDispatchFact`. */
export type DispatchFact =
  | { readonly type: 'SearchStarted'; readonly order: OrderInfo }
  /** A wave went out, an answer came in, or a wave was closed: the round's data moved on. */
  | { readonly type: 'SearchProgressed'; readonly search: SearchRound }
  | { readonly type: 'ReservationRequested'; readonly offer: CurrentOffer }
  | { readonly type: 'ReservationRefused'; readonly offerId: string; readonly driverId: string }
  | { readonly type: 'OfferOut'; readonly offerId: string; readonly expiresAt: number }
  | { readonly type: 'OfferTimedOut'; readonly offerId: string }
  | { readonly type: 'OfferEnded'; readonly offerId: string; readonly driverId: string; readonly reason: ReleaseReason }
  | { readonly type: 'DriverAssigned'; readonly assignment: Assignment }
  | { readonly type: 'SearchFailed'; readonly reason: string }
  | { readonly type: 'WatchdogArmed'; readonly watchId: string }
  | { readonly type: 'WatchdogDisarmed' }
  | { readonly type: 'SearchCancelled' };

export type DispatchFactType = DispatchFact['type'];


const LOG_KEPT = 10;

export function applyDispatchFact(context: DispatchContext, fact: DispatchFact): DispatchContext {
  switch (fact.type) {
    case 'SearchStarted':
      return { ...context, order: fact.order, search: null, rounds: 0, reach: 0, tried: [], reservations: 0, offers: 0, current: null, assignment: null, failure: null };
    case 'SearchProgressed':
      return { ...context, search: fact.search, rounds: Math.max(context.rounds, fact.search.round), reach: Math.max(context.reach, fact.search.ring) };
    case 'ReservationRequested':
      return { ...context, current: fact.offer, reservations: context.reservations + 1 };
    case 'ReservationRefused':
      return { ...context, current: null, tried: [...context.tried, fact.driverId], log: logged(context, fact.offerId, fact.driverId, 'refused') };
    case 'OfferOut':
      // The offer is with the driver: whatever it answers, the next offer comes from a fresh round, so the round's
      // data is dropped (the state is persisted with every message; smaller is faster).
      return context.current ? { ...context, search: null, current: { ...context.current, expiresAt: fact.expiresAt }, offers: context.offers + 1 } : context;
    case 'OfferTimedOut':
      return context.current ? { ...context, current: { ...context.current, timedOut: true } } : context;
    case 'OfferEnded':
      // Positions have moved since the round's answers: the next offer comes from a fresh round.
      return { ...context, current: null, search: null, tried: [...context.tried, fact.driverId], log: logged(context, fact.offerId, fact.driverId, fact.reason) };
    case 'DriverAssigned':
      return { ...context, search: null, current: null, assignment: fact.assignment, log: logged(context, fact.assignment.offerId, fact.assignment.driverId, 'accepted') };
    case 'SearchFailed':
      return { ...context, search: null, current: null, failure: fact.reason };
    case 'SearchCancelled':
      return { ...context, search: null, current: null };
    case 'WatchdogArmed':
      return { ...context, watchdog: fact.watchId, watchdogs: context.watchdogs + 1 };
    case 'WatchdogDisarmed':
      return { ...context, watchdog: null };
    default: {
      const _exhaustive: never = fact;
      return _exhaustive;
    }
  }
}

function logged(context: DispatchContext, offerId: string, driverId: string, outcome: DispatchContext['log'][number]['outcome']): DispatchContext['log'] {
  return [...context.log, { offerId, driverId, outcome }].slice(-LOG_KEPT);
}
