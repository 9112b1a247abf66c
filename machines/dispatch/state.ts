import type { GeoPoint } from './geo.ts';
import type { Candidate, ReleaseReason } from './protocol.ts';
import type { SearchRound } from './search.ts';

/**
 * One order's driver search, as its `dispatch:<orderId>` actor keeps it. `value` is the chart's state:
 *   idle       — no FindDriver yet
 *   searching  — a wave of cell queries is out, or the next step is being chosen
 *   reserving  — the best candidate is asked to hold itself for this order
 *   offered    — the driver holds the offer and has it on screen; the offer timer runs
 *   assigned   — a driver accepted; the order was told
 *   failed     — gave up; the order was told why
 *   cancelled  — the order was cancelled; nothing more happens
 */
export type DispatchStateValue = 'idle' | 'searching' | 'reserving' | 'offered' | 'assigned' | 'failed' | 'cancelled';

export interface DispatchState {
  readonly value: DispatchStateValue;
  readonly context: DispatchContext;
}

export interface OrderInfo {
  readonly orderId: string;
  readonly restaurantId: string;
  readonly attempt: number;
  readonly pickup: GeoPoint;
  readonly dropoff: GeoPoint;
  /** When the order asked, ms since the epoch. */
  readonly requestedAt: number;
}

export interface CurrentOffer {
  readonly offerId: string;
  readonly candidate: Candidate;
  /** When the driver's window closes (known once the driver holds the offer), ms. */
  readonly expiresAt: number | null;
  /** The offer timer fired and the driver was asked to release the offer. */
  readonly timedOut: boolean;
}

export interface Assignment {
  readonly driverId: string;
  readonly offerId: string;
  readonly eta: string | null;
  readonly at: number;
}

export interface DispatchContext {
  readonly orderId: string;
  readonly order: OrderInfo | null;
  readonly search: SearchRound | null;
  /** Rounds started in this attempt (query ids carry the round, so they are never reused). */
  readonly rounds: number;
  /** The outermost ring reached in this attempt (kept for the ops view once the round's data is dropped). */
  readonly reach: number;
  /** Drivers tried in this attempt (busy, declined, timed out): never asked again for this attempt. */
  readonly tried: readonly string[];
  /** Reservations requested in this attempt. */
  readonly reservations: number;
  /** Offers that reached a driver in this attempt. */
  readonly offers: number;
  readonly current: CurrentOffer | null;
  readonly assignment: Assignment | null;
  readonly failure: string | null;
  /** The armed watchdog timer, if any, and how many were armed (their ids are never reused). */
  readonly watchdog: string | null;
  readonly watchdogs: number;
  /** The last few offers and how they ended, for the ops view. */
  readonly log: readonly { readonly offerId: string; readonly driverId: string; readonly outcome: ReleaseReason | 'refused' | 'accepted' }[];
}

export function initialDispatchState(orderId: string): DispatchState {
  return {
    value: 'idle',
    context: { orderId, order: null, search: null, rounds: 0, reach: 0, tried: [], reservations: 0, offers: 0, current: null, assignment: null, failure: null, watchdog: null, watchdogs: 0, log: [] },
  };
}

/**
 * Whether the search has ended (assigned, failed or cancelled): nothing happens until the order writes again (a new
 * attempt, a cancellation), and the rest are stray answers the search ignores or bounces from its persisted state.
 */
export function searchEnded(value: DispatchStateValue): boolean {
  switch (value) {
    case 'assigned':
    case 'failed':
    case 'cancelled':
      return true;
    case 'idle':
    case 'searching':
    case 'reserving':
    case 'offered':
      return false;
    default: {
      const _exhaustive: never = value;
      return _exhaustive;
    }
  }
}
