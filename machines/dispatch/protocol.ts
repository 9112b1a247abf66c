import type { GeoPoint } from './geo.ts';
import type { ScoreParams } from './score.ts';

/**
 * Every message body exchanged by the dispatch kinds — `driver:<driverId>`, `cell:<h3 index>`, `zone:<h3 index>`,
 * `dispatch:<orderId>` — with each other, with the order actor and with the driver app (through the gateway's
 * `ask`). Times on the wire are ISO-8601 where people or other teams read them, ms since the Unix epoch between
 * our own actors. Conversations between actors are messages: nobody waits for an answer inside a handler.
 */

// ── order actor ⇄ dispatch ────────────────────────────────────────────────────────────────────────────────────────

/** order → dispatch: find a driver. A repeat with the same (or a lower) attempt is a no-op; a higher one restarts. */
export interface FindDriver {
  readonly type: 'FindDriver';
  readonly orderId: string;
  readonly restaurantId: string;
  readonly attempt: number;
  readonly pickup: GeoPoint;
  readonly dropoff: GeoPoint;
  /** When the order asked (the restaurant accepted), ISO-8601: the order's age counts in the score. */
  readonly requestedAt: string;
}

/** order → dispatch: the order was cancelled during the search. */
export interface CancelSearch {
  readonly type: 'CancelSearch';
  readonly orderId: string;
}

/**
 * dispatch → order: a driver accepted offer `offerId`. `eta`: estimated delivery at the customer, ISO-8601. The order
 * pushes `assignment` to the driver once it has recorded it, so the driver's first step is never refused.
 */
export interface AssignDriver {
  readonly type: 'AssignDriver';
  readonly driverId: string;
  readonly offerId: string;
  readonly eta?: string;
}

/** dispatch → order: the search gave up; `reason` starts with a stable code (NO_DRIVER_AVAILABLE, …). */
export interface ReportDispatchFailed {
  readonly type: 'ReportDispatchFailed';
  readonly reason: string;
}

/** order → driver: the order was delivered or cancelled; the driver is free again. */
export interface TripEnded {
  readonly type: 'TripEnded';
  readonly orderId: string;
}

// ── driver app (gateway `ask`) → driver ───────────────────────────────────────────────────────────────────────────

export interface SetStatus {
  readonly type: 'SetStatus';
  readonly status: 'ONLINE' | 'OFFLINE';
}

/**
 * A location ping as the app sent it. The fields are deliberately `unknown`: a bad ping is answered with a
 * VALIDATION_FAILED reply (and changes nothing) rather than dead-lettered, so the app learns what was wrong.
 */
export interface Ping {
  readonly type: 'Ping';
  readonly lat?: unknown;
  readonly lng?: unknown;
  readonly heading?: unknown;
  readonly speedKph?: unknown;
  /** Device time of the fix, ISO-8601. */
  readonly at?: unknown;
}

export interface AcceptOffer {
  readonly type: 'AcceptOffer';
  readonly offerId: string;
}

export interface DeclineOffer {
  readonly type: 'DeclineOffer';
  readonly offerId: string;
}

/**
 * What the driver holds right now: asked by the gateway when a driver's socket connects, so an app that reconnects
 * (or restarted) learns of an `offer` or `assignment` pushed while it was away. A query: it changes nothing, and the
 * reply is the usual `{ ok: true, status, cell }` with CurrentWork's fields.
 */
export interface GetCurrentWork {
  readonly type: 'GetCurrentWork';
}

/** The answer to GetCurrentWork: at most one of the two is set. */
export type CurrentWork = {
  /** The pending offer as the `offer` push carried it; null when none is pending or its window has closed. */
  readonly offer: OfferPush | null;
  /** The trip (ASSIGNED), in the shape of the order's `assignment` push; null when not on a trip. */
  readonly trip: OfferDetails | null;
};

/** The driver's answer to the app: `{ ok: true, … }` or the contract's error code with a detail. */
export type DriverReply =
  | ({ readonly ok: true; readonly status: DriverStatus; readonly cell: string | null } & Readonly<Record<string, unknown>>)
  | { readonly ok: false; readonly error: { readonly code: DriverErrorCode; readonly detail: string } };

export type DriverStatus = 'OFFLINE' | 'AVAILABLE' | 'OFFERED' | 'ASSIGNED';
export type DriverErrorCode = 'VALIDATION_FAILED' | 'NOT_FOUND' | 'INVALID_TRANSITION' | 'CONFLICT';

// ── driver → cell ─────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * The driver is AVAILABLE at this position inside the cell (sent on entering, and again as it moves or to refresh
 * `seenAt`). `version` grows with every membership change of the driver, across state loss too (it is at least
 * the host's clock), so a late duplicate can never overwrite newer news.
 */
export interface DriverEntered {
  readonly type: 'DriverEntered';
  readonly driverId: string;
  readonly version: number;
  readonly lat: number;
  readonly lng: number;
  readonly heading: number | null;
  readonly speedKph: number | null;
  readonly load: number;
  /** When the driver's worker received the ping this position came from, ms since the epoch. */
  readonly seenAt: number;
}

/** The driver is no longer listed in this cell (moved out, went offline, got an offer). */
export interface DriverLeft {
  readonly type: 'DriverLeft';
  readonly driverId: string;
  readonly version: number;
}

// ── dispatch ⇄ cell ───────────────────────────────────────────────────────────────────────────────────────────────

/** dispatch → cell: the cell's `k` best-scoring AVAILABLE, non-silent drivers for this pickup. */
export interface FindCandidates {
  readonly type: 'FindCandidates';
  readonly queryId: string;
  readonly pickup: GeoPoint;
  readonly k: number;
  /** Drivers already tried for this order (declined, timed out, busy). */
  readonly exclude: readonly string[];
  readonly score: ScoreParams;
}

export interface Candidate {
  readonly driverId: string;
  readonly cell: string;
  readonly lat: number;
  readonly lng: number;
  readonly distanceKm: number;
  readonly score: number;
  readonly load: number;
  readonly version: number;
}

/**
 * cell → dispatch (or the asker): best first. `truncated`: the cell has more eligible drivers than it returned,
 * so none of those scores better than the last one returned.
 */
export interface Candidates {
  readonly type: 'Candidates';
  readonly queryId: string;
  readonly cell: string;
  readonly candidates: readonly Candidate[];
  readonly truncated: boolean;
}

// ── cell → zone, dispatch ⇄ zone: the directory of occupied cells ──────────────────────────────────────────────────

/**
 * cell → its zone (the cell's H3 parent, `ZONE_LEVELS` resolutions coarser): whether the cell lists any driver. Sent
 * when that changes, and again every `zoneRefreshMs` while it lists someone (a zone forgets a cell not heard from).
 */
export interface CellOccupancy {
  readonly type: 'CellOccupancy';
  readonly cell: string;
  readonly occupied: boolean;
}

/** dispatch → zone: which of your cells list drivers? Lets a search skip the empty cells of its disk. */
export interface FindOccupiedCells {
  readonly type: 'FindOccupiedCells';
  readonly queryId: string;
}

/** zone → dispatch: the zone's cells that said they list drivers (a cell not named is empty, or has said nothing). */
export interface OccupiedCells {
  readonly type: 'OccupiedCells';
  readonly queryId: string;
  readonly zone: string;
  readonly cells: readonly string[];
}

// ── dispatch ⇄ driver ─────────────────────────────────────────────────────────────────────────────────────────────

export interface OfferDetails {
  readonly offerId: string;
  readonly orderId: string;
  readonly restaurant: { readonly restaurantId: string; readonly location: GeoPoint };
  readonly dropoff: { readonly location: GeoPoint };
}

/** The `offer` push (CONTRACT.md): the offer and when its window closes, ISO-8601. */
export type OfferPush = OfferDetails & { readonly expiresAt: string };

/**
 * dispatch → driver: soft-reserve the driver for this offer and, if it is AVAILABLE, show it the offer (the driver
 * pushes `offer`). The driver answers DriverReserved or DriverRefused. `cell`: where dispatch found the driver —
 * a driver that is not there any more evicts its stale entry.
 */
export interface ReserveDriver extends OfferDetails {
  readonly type: 'ReserveDriver';
  readonly offerTimeoutMs: number;
  readonly cell: string | null;
}

export type WithdrawReason = 'timeout' | 'cancelled' | 'superseded';

/**
 * dispatch → driver: take the offer back. For `timeout` only an offer not yet accepted is released (an accept
 * that got there first wins); `cancelled`/`superseded` also end an accepted trip of that offer.
 */
export interface WithdrawOffer {
  readonly type: 'WithdrawOffer';
  readonly offerId: string;
  readonly orderId: string;
  readonly reason: WithdrawReason;
}

export interface DriverReserved {
  readonly type: 'DriverReserved';
  readonly offerId: string;
  readonly driverId: string;
  /** When the driver's offer window closes, ms since the epoch (its own clock). */
  readonly expiresAt: number;
}

export interface DriverRefused {
  readonly type: 'DriverRefused';
  readonly offerId: string;
  readonly driverId: string;
  readonly reason: string;
}

export interface OfferAccepted {
  readonly type: 'OfferAccepted';
  readonly offerId: string;
  readonly driverId: string;
}

export type ReleaseReason = 'declined' | 'expired' | 'withdrawn' | 'lapsed' | 'offline';

/** driver → dispatch: the offer is off and the driver free of it (declined, expired, withdrawn, …). */
export interface OfferReleased {
  readonly type: 'OfferReleased';
  readonly offerId: string;
  readonly driverId: string;
  readonly reason: ReleaseReason;
}

// ── dispatch timers (messages to itself) ──────────────────────────────────────────────────────────────────────────

export interface OfferTimedOut {
  readonly type: 'OfferTimedOut';
  readonly offerId: string;
}

/**
 * The search's watchdog: one durable timer per search phase (not one per wave — timers cost Redis round trips),
 * checking that the wave in flight was answered within the query timeout.
 */
export interface SearchWatchdog {
  readonly type: 'SearchWatchdog';
  readonly watchId: string;
}

// ── per kind ──────────────────────────────────────────────────────────────────────────────────────────────────────

export type DriverMessage = SetStatus | Ping | AcceptOffer | DeclineOffer | GetCurrentWork | TripEnded | ReserveDriver | WithdrawOffer;
export type CellMessage = DriverEntered | DriverLeft | FindCandidates;
export type ZoneMessage = CellOccupancy | FindOccupiedCells;
export type DispatchMessage =
  | FindDriver
  | CancelSearch
  | Candidates
  | OccupiedCells
  | DriverReserved
  | DriverRefused
  | OfferAccepted
  | OfferReleased
  | OfferTimedOut
  | SearchWatchdog;

/** What an order actor receives from dispatch. */
export type OrderNotice = AssignDriver | ReportDispatchFailed;

/**
 * The Socket.IO pushes to `/driver`, room `driver:<driverId>` (CONTRACT.md "Sockets"), that dispatch and the driver
 * actor make. `assignment` (OfferDetails) is the order's, once it has recorded the driver.
 */
export type DriverPush =
  | { readonly event: 'offer'; readonly data: OfferPush }
  | { readonly event: 'offer:withdrawn'; readonly data: { readonly offerId: string; readonly orderId: string; readonly reason: string } }
  | { readonly event: 'assignment:withdrawn'; readonly data: { readonly offerId: string; readonly orderId: string; readonly reason: string } };

/**
 * What a dispatch machine asks its host to do; the behaviours in `src/dispatch` turn these into runtime effects.
 * `respond` answers whoever sent the current message (an asker gets a reply, an actor a message).
 */
export type Outbound =
  | { readonly type: 'toCell'; readonly cell: string; readonly body: CellMessage }
  | { readonly type: 'toZone'; readonly zone: string; readonly body: ZoneMessage }
  | { readonly type: 'toDriver'; readonly driverId: string; readonly body: DriverMessage }
  | { readonly type: 'toDispatch'; readonly orderId: string; readonly body: DispatchMessage }
  | { readonly type: 'toOrder'; readonly orderId: string; readonly body: OrderNotice }
  | { readonly type: 'respond'; readonly body: Candidates | OccupiedCells }
  | { readonly type: 'reply'; readonly body: DriverReply }
  | { readonly type: 'pushDriver'; readonly driverId: string; readonly push: DriverPush }
  /** The assigned driver's position, to the customers following the order (CONTRACT.md `driver:location`). */
  | { readonly type: 'pushOrderFollowers'; readonly orderId: string; readonly location: { readonly orderId: string; readonly lat: number; readonly lng: number; readonly at: string } }
  | { readonly type: 'schedule'; readonly timerId: string; readonly delayMs: number; readonly body: OfferTimedOut | SearchWatchdog }
  | { readonly type: 'cancel'; readonly timerId: string };
