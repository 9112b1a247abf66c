import type { GeoPoint } from '../dispatch/geo.ts';
import type { DriverStatus, OfferDetails } from '../dispatch/protocol.ts';

/**
 * A driver as its actor keeps it. Ephemeral: the host drops it after a few minutes without messages, and the next
 * `SetStatus ONLINE` and pings rebuild it (a worker crash loses nothing: every message's result is persisted).
 *
 * `value` is the chart's state (see machine.ts):
 *   unknown   — never went ONLINE (or forgotten): pings, accepts and declines answer NOT_FOUND
 *   offline   — signed off
 *   available — may be offered an order; listed in the H3 cell of its position
 *   offered   — soft-reserved for one order's offer; not listed anywhere
 *   assigned  — on a trip; not listed anywhere
 */
export type DriverStateValue = 'unknown' | 'offline' | 'available' | 'offered' | 'assigned';

export interface DriverState {
  readonly value: DriverStateValue;
  readonly context: DriverContext;
}

export interface DriverPosition extends GeoPoint {
  /** Degrees clockwise from north, [0, 360), when the device knows it. */
  readonly heading: number | null;
  readonly speedKph: number | null;
  /** Device time of the fix, ms since the epoch. */
  readonly at: number;
}

export interface PendingOffer extends OfferDetails {
  /** Host time the reservation was made, ms. */
  readonly reservedAt: number;
  /** The offer window closes, ms (host time); an accept is honoured until `expiresAt + acceptGraceMs`. */
  readonly expiresAt: number;
}

export interface Trip extends OfferDetails {
  readonly assignedAt: number;
}

export interface DriverContext {
  readonly driverId: string;
  readonly position: DriverPosition | null;
  /** Host time of the last accepted ping, ms: a driver silent for longer than the silence timeout is not offered. */
  readonly lastPingAt: number | null;
  /**
   * Membership version: grows with every message to a cell, and is at least the host clock, so it keeps growing
   * across a forgotten state too. Cells ignore news older than what they hold.
   */
  readonly version: number;
  /** The cell this driver is listed in (only while AVAILABLE with a fresh position). */
  readonly cell: string | null;
  /** When, and with which position, that cell was last told, so refreshes can be throttled. */
  readonly listedAt: number | null;
  readonly listedPosition: GeoPoint | null;
  readonly offer: PendingOffer | null;
  readonly trip: Trip | null;
  /** Host times trips were accepted within the load window, oldest first: the driver's load. */
  readonly recentTrips: readonly number[];
}

export function initialDriverState(driverId: string): DriverState {
  return {
    value: 'unknown',
    context: {
      driverId,
      position: null,
      lastPingAt: null,
      version: 0,
      cell: null,
      listedAt: null,
      listedPosition: null,
      offer: null,
      trip: null,
      recentTrips: [],
    },
  };
}

/** The status the app sees; null for a driver that never went ONLINE. */
export function statusOf(value: DriverStateValue): DriverStatus | null {
  switch (value) {
    case 'unknown':
      return null;
    case 'offline':
      return 'OFFLINE';
    case 'available':
      return 'AVAILABLE';
    case 'offered':
      return 'OFFERED';
    case 'assigned':
      return 'ASSIGNED';
    default: {
      const _exhaustive: never = value;
      return _exhaustive;
    }
  }
}
