import { cellOf, distanceKm } from '../dispatch/geo.ts';
import type {
  AcceptOffer,
  CurrentWork,
  DeclineOffer,
  DriverErrorCode,
  DriverMessage,
  DriverReply,
  OfferPush,
  Outbound,
  Ping,
  ReleaseReason,
  ReserveDriver,
  SetStatus,
  TripEnded,
  WithdrawOffer,
} from '../dispatch/protocol.ts';
import type { DriverFact } from './facts.ts';
import { applyDriverFacts } from './machine.ts';
import { statusOf, type DriverContext, type DriverState, type PendingOffer } from './state.ts';
import { validatePing, type PingLimits } from './validate.ts';

export interface DriverConfig {
  /** H3 resolution of the cell actors. */
  readonly resolution: number;
  /** A driver without a ping for longer is not offered and drops out of its cell, ms. */
  readonly silenceMs: number;
  /** The driver's cell is told its position again after this long even if it did not move, ms. */
  readonly cellRefreshMs: number;
  /** … or as soon as it moved this far from the position the cell holds, m. */
  readonly cellRefreshMoveM: number;
  /** An accept reaching the driver this long after the offer window closed still counts (transit time), ms. */
  readonly acceptGraceMs: number;
  /**
   * A reservation whose dispatcher neither withdrew it nor heard an answer this long after the window (and its
   * grace) closed is treated as abandoned — its holder died — and released by the driver itself, ms.
   */
  readonly reservationLapseMs: number;
  /** Trips accepted within this window make up the driver's load, ms. */
  readonly loadWindowMs: number;
  readonly ping: PingLimits;
  /** Customers following an order get the assigned driver's position at most once per this long, ms. */
  readonly locationPushIntervalMs: number;
}

export interface DriverDecision {
  readonly state: DriverState;
  readonly effects: readonly Outbound[];
}

interface Env {
  readonly now: number;
  readonly config: DriverConfig;
}

/**
 * The driver as a decider: a message in, the next state and what to do out. Pure — no clock (`env.now`), no I/O.
 * Messages from the app (`SetStatus`, `Ping`, `AcceptOffer`, `DeclineOffer`, `GetCurrentWork`) always get a reply
 * effect; a refused one changes nothing, and the query (`GetCurrentWork`) never changes anything. Whatever changes,
 * the driver's cell membership is brought in line afterwards (`syncCell`).
 */
export function decideDriver(state: DriverState, message: DriverMessage, env: Env): DriverDecision {
  const decided = decide(state, message, env);
  if (!('refused' in decided)) return decided;
  // Refused: the error reply, and nothing else changes.
  return { state, effects: [{ type: 'reply', body: { ok: false, error: decided.refused } }] };
}

type Decided = DriverDecision | Refusal;
interface Refusal {
  readonly refused: { readonly code: DriverErrorCode; readonly detail: string };
}

function decide(state: DriverState, message: DriverMessage, env: Env): Decided {
  switch (message.type) {
    case 'SetStatus':
      return setStatus(state, message, env);
    case 'Ping':
      return ping(state, message, env);
    case 'AcceptOffer':
      return accept(state, message, env);
    case 'DeclineOffer':
      return decline(state, message, env);
    case 'GetCurrentWork':
      return currentWork(state, env);
    case 'TripEnded':
      return tripEnded(state, message, env);
    case 'ReserveDriver':
      return reserve(state, message, env);
    case 'WithdrawOffer':
      return withdraw(state, message, env);
    default: {
      const _exhaustive: never = message;
      return _exhaustive;
    }
  }
}

function setStatus(state: DriverState, message: SetStatus, env: Env): Decided {
  const { context } = state;
  if (message.status === 'ONLINE') {
    if (state.value === 'unknown' || state.value === 'offline') return commit(state, [{ type: 'WentOnline', at: env.now }], [], env, {});
    return answer(state);
  }
  switch (state.value) {
    case 'unknown':
      return { state, effects: [{ type: 'reply', body: { ok: true, status: 'OFFLINE', cell: null } }] };
    case 'offline':
      return answer(state);
    case 'available':
      return commit(state, [{ type: 'WentOffline', at: env.now }], [], env, {});
    case 'offered': {
      const offer = context.offer as PendingOffer;
      return commit(state, [{ type: 'OfferReleased', offerId: offer.offerId, reason: 'offline' }, { type: 'WentOffline', at: env.now }], [released(context, offer, 'offline')], env, {});
    }
    case 'assigned':
      return refuse('INVALID_TRANSITION', `driver is on a trip for order ${context.trip?.orderId ?? '?'}; it cannot go OFFLINE before the trip ends`);
    default: {
      const _exhaustive: never = state.value;
      return _exhaustive;
    }
  }
}

function ping(state: DriverState, message: Ping, env: Env): Decided {
  const valid = validatePing(message, env.now, env.config.ping);
  if (!valid.ok) return refuse('VALIDATION_FAILED', valid.detail);
  if (state.value === 'unknown') return refuse('NOT_FOUND', 'driver is not online: send driver:status ONLINE first');
  const { context } = state;
  if (context.position !== null && valid.position.at < context.position.at) {
    return answer(state, { ignored: 'an older fix than the last one' });
  }
  const facts: DriverFact[] = [];
  const effects: Outbound[] = [];
  if (state.value === 'offered' && lapsed(context.offer as PendingOffer, env)) {
    const offer = context.offer as PendingOffer;
    facts.push({ type: 'OfferReleased', offerId: offer.offerId, reason: 'lapsed' });
    effects.push(released(context, offer, 'lapsed'), withdrawnPush(context, offer.offerId, offer.orderId, 'expired'));
  }
  facts.push({ type: 'Pinged', position: valid.position, at: env.now });
  if (state.value === 'assigned' && context.trip && followersDue(context.lastPingAt, env.now, env.config.locationPushIntervalMs)) {
    const { orderId } = context.trip;
    const at = new Date(valid.position.at).toISOString();
    effects.push({ type: 'pushOrderFollowers', orderId, location: { orderId, lat: valid.position.lat, lng: valid.position.lng, at } });
  }
  return commit(state, facts, effects, env, {});
}

/**
 * Throttle without extra state: at most one push per window of `intervalMs` (host time), the first ping of a window
 * pushes. With pings every 3 s and a 2 s window, every ping pushes; faster pings are thinned out.
 */
function followersDue(lastPingAt: number | null, now: number, intervalMs: number): boolean {
  return lastPingAt === null || Math.floor(now / intervalMs) !== Math.floor(lastPingAt / intervalMs);
}

function accept(state: DriverState, message: AcceptOffer, env: Env): Decided {
  const { context } = state;
  if (state.value === 'unknown') return refuse('NOT_FOUND', 'driver is not online: send driver:status ONLINE first');
  if (state.value === 'assigned' && context.trip?.offerId === message.offerId) return answer(state, { orderId: context.trip.orderId, offerId: message.offerId });
  const offer = context.offer;
  if (state.value !== 'offered' || offer === null) return refuse('INVALID_TRANSITION', `no offer is pending for this driver (it is ${statusOf(state.value)})`);
  if (offer.offerId !== message.offerId) return refuse('CONFLICT', `offer ${message.offerId} is not the offer pending for this driver`);
  if (env.now > offer.expiresAt + env.config.acceptGraceMs) return refuse('CONFLICT', `offer ${offer.offerId} expired at ${new Date(offer.expiresAt).toISOString()}`);
  const { offerId, orderId } = offer;
  return commit(
    state,
    [{ type: 'OfferAccepted', offerId, at: env.now, loadWindowMs: env.config.loadWindowMs }],
    // The `assignment` push comes from the order once it has recorded the driver (see AssignDriver).
    [{ type: 'toDispatch', orderId, body: { type: 'OfferAccepted', offerId, driverId: context.driverId } }],
    env,
    { orderId, offerId },
  );
}

function decline(state: DriverState, message: DeclineOffer, env: Env): Decided {
  const { context } = state;
  if (state.value === 'unknown') return refuse('NOT_FOUND', 'driver is not online: send driver:status ONLINE first');
  const offer = context.offer;
  if (state.value !== 'offered' || offer === null) return refuse('INVALID_TRANSITION', `no offer is pending for this driver (it is ${statusOf(state.value)})`);
  if (offer.offerId !== message.offerId) return refuse('CONFLICT', `offer ${message.offerId} is not the offer pending for this driver`);
  return commit(state, [{ type: 'OfferReleased', offerId: offer.offerId, reason: 'declined' }], [released(context, offer, 'declined')], env, { offerId: offer.offerId });
}

/**
 * A query: the pending offer (only while its window is open: an app must not be shown an offer it can no longer
 * take) or the trip, in the shapes of the `offer` and `assignment` pushes. It returns the very state it was given,
 * so the host persists nothing and only acknowledges; no cell sync either (a query must not cause traffic).
 */
function currentWork(state: DriverState, env: Env): DriverDecision {
  const { offer, trip } = state.context;
  const work: CurrentWork = {
    offer: state.value === 'offered' && offer !== null && env.now < offer.expiresAt ? offerPush(offer) : null,
    trip: state.value === 'assigned' && trip !== null ? { offerId: trip.offerId, orderId: trip.orderId, restaurant: trip.restaurant, dropoff: trip.dropoff } : null,
  };
  return answer(state, work);
}

function tripEnded(state: DriverState, message: TripEnded, env: Env): Decided {
  if (state.value !== 'assigned' || state.context.trip?.orderId !== message.orderId) return answer(state);
  return commit(state, [{ type: 'TripEnded', orderId: message.orderId }], [], env, {});
}

function reserve(state: DriverState, message: ReserveDriver, env: Env): Decided {
  const { context } = state;
  const { offerId, orderId, restaurant, dropoff } = message;
  const facts: DriverFact[] = [];
  const effects: Outbound[] = [];
  let value = state.value;
  if (value === 'offered' && context.offer !== null) {
    if (context.offer.offerId === offerId) {
      // A repeated request: repeat the answer.
      return { state, effects: [{ type: 'toDispatch', orderId, body: { type: 'DriverReserved', offerId, driverId: context.driverId, expiresAt: context.offer.expiresAt } }] };
    }
    if (lapsed(context.offer, env)) {
      facts.push({ type: 'OfferReleased', offerId: context.offer.offerId, reason: 'lapsed' });
      effects.push(released(context, context.offer, 'lapsed'));
      value = 'available';
    }
  }
  const refusal = (reason: string): Decided => {
    const refused: Outbound = { type: 'toDispatch', orderId, body: { type: 'DriverRefused', offerId, driverId: context.driverId, reason } };
    return evictStale(facts.length > 0 ? commit(state, facts, [...effects, refused], env, null) : { state, effects: [refused] }, message.cell, context.cell, env.now);
  };
  if (value !== 'available') return refusal(value === 'unknown' ? 'driver is not online' : `driver is ${statusOf(value)}`);
  if (context.position === null || context.lastPingAt === null || env.now - context.lastPingAt > env.config.silenceMs) {
    return refusal(`driver has not sent a location for more than ${Math.round(env.config.silenceMs / 1000)} s`);
  }
  const offer: PendingOffer = { offerId, orderId, restaurant, dropoff, reservedAt: env.now, expiresAt: env.now + message.offerTimeoutMs };
  facts.push({ type: 'OfferReserved', offer });
  effects.push(
    { type: 'pushDriver', driverId: context.driverId, push: { event: 'offer', data: offerPush(offer) } },
    { type: 'toDispatch', orderId, body: { type: 'DriverReserved', offerId, driverId: context.driverId, expiresAt: offer.expiresAt } },
  );
  return evictStale(commit(state, facts, effects, env, null), message.cell, context.cell, env.now);
}

function withdraw(state: DriverState, message: WithdrawOffer, env: Env): Decided {
  const { context } = state;
  const { offerId, orderId, reason } = message;
  if (state.value === 'offered' && context.offer?.offerId === offerId) {
    const why: ReleaseReason = reason === 'timeout' ? 'expired' : 'withdrawn';
    return commit(state, [{ type: 'OfferReleased', offerId, reason: why }], [released(context, context.offer, why), withdrawnPush(context, offerId, orderId, reason)], env, null);
  }
  if (state.value === 'assigned' && context.trip?.offerId === offerId) {
    // The accept got here before the timeout: it stands (dispatch has the OfferAccepted). Otherwise the order
    // no longer wants this trip.
    if (reason === 'timeout') return { state, effects: [] };
    return commit(
      state,
      [{ type: 'TripEnded', orderId: context.trip.orderId }],
      [{ type: 'pushDriver', driverId: context.driverId, push: { event: 'assignment:withdrawn', data: { offerId, orderId, reason } } }],
      env,
      null,
    );
  }
  // Not held (already declined, lapsed, or this driver's state was forgotten): let a waiting dispatcher move on.
  if (reason !== 'timeout') return { state, effects: [] };
  return { state, effects: [{ type: 'toDispatch', orderId, body: { type: 'OfferReleased', offerId, driverId: context.driverId, reason: 'expired' } }] };
}

// ── helpers ───────────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Applies facts through the chart, then brings the cell membership in line with the new state, and replies when
 * `extra` is given (app messages). A fact the chart refuses (a bug in this decider) refuses the whole message.
 */
function commit(state: DriverState, facts: readonly DriverFact[], effects: readonly Outbound[], env: Env, extra: Record<string, unknown> | null): Decided {
  const applied = applyDriverFacts(state, facts);
  if (!applied.ok) return refuse('INVALID_TRANSITION', `${applied.refused.type} is not possible while the driver is ${statusOf(state.value) ?? 'unknown'}`);
  const synced = syncCell(applied.state, env);
  const next = synced.state;
  const all = [...effects, ...synced.effects];
  if (extra !== null) all.push({ type: 'reply', body: okBody(next, extra) });
  return { state: next, effects: all };
}

/** Where the driver should be listed now, and the messages that get it there (throttled refreshes). */
export function syncCell(state: DriverState, env: Env): { state: DriverState; effects: Outbound[] } {
  const { context } = state;
  const { config, now } = env;
  const position = context.position;
  const fresh = position !== null && context.lastPingAt !== null && now - context.lastPingAt <= config.silenceMs;
  const desired = state.value === 'available' && fresh ? cellOf(position, config.resolution) : null;
  const effects: Outbound[] = [];
  let version = context.version;
  if (context.cell !== null && context.cell !== desired) {
    version = nextVersion(version, now);
    effects.push({ type: 'toCell', cell: context.cell, body: { type: 'DriverLeft', driverId: context.driverId, version } });
  }
  let listedAt = desired === null ? null : context.listedAt;
  let listedPosition = desired === null ? null : context.listedPosition;
  if (desired !== null && position !== null) {
    const due =
      desired !== context.cell ||
      context.listedAt === null ||
      context.listedPosition === null ||
      now - context.listedAt >= config.cellRefreshMs ||
      distanceKm(context.listedPosition, position) * 1000 >= config.cellRefreshMoveM;
    if (due) {
      version = nextVersion(version, now);
      listedAt = now;
      listedPosition = { lat: position.lat, lng: position.lng };
      effects.push({
        type: 'toCell',
        cell: desired,
        body: {
          type: 'DriverEntered',
          driverId: context.driverId,
          version,
          lat: position.lat,
          lng: position.lng,
          heading: position.heading,
          speedKph: position.speedKph,
          load: loadOf(context, now, config),
          seenAt: context.lastPingAt ?? now,
        },
      });
    }
  }
  if (effects.length === 0) return { state, effects };
  const synced = applyDriverFacts(state, [{ type: 'CellSynced', cell: desired, version, listedAt, listedPosition }]);
  return { state: synced.ok ? synced.state : state, effects };
}

/**
 * A dispatcher found this driver listed in `cell` where it is not (any more): tell that cell, with a version no
 * stale entry can beat. Only an actual driver's version is bumped (a forgotten one has nothing to keep).
 */
function evictStale(decided: Decided, cell: string | null, listedBefore: string | null, now: number): Decided {
  if ('refused' in decided) return decided;
  const decision = decided;
  const { context } = decision.state;
  // Where it is listed now, or was until this decision (whose own "left" is already on its way), is no ghost.
  if (cell === null || cell === context.cell || cell === listedBefore) return decision;
  const version = nextVersion(context.version, now);
  const evict: Outbound = { type: 'toCell', cell, body: { type: 'DriverLeft', driverId: context.driverId, version } };
  if (decision.state.value === 'unknown') return { ...decision, effects: [...decision.effects, evict] };
  const bumped = applyDriverFacts(decision.state, [
    { type: 'CellSynced', cell: context.cell, version, listedAt: context.listedAt, listedPosition: context.listedPosition },
  ]);
  return { state: bumped.ok ? bumped.state : decision.state, effects: [...decision.effects, evict] };
}

/** Versions grow by one per change and never fall behind the clock, so they survive a forgotten state. */
function nextVersion(version: number, now: number): number {
  return Math.max(version + 1, now);
}

function loadOf(context: DriverContext, now: number, config: DriverConfig): number {
  return context.recentTrips.filter((t) => t > now - config.loadWindowMs).length;
}

function lapsed(offer: PendingOffer, env: Env): boolean {
  return env.now > offer.expiresAt + env.config.acceptGraceMs + env.config.reservationLapseMs;
}

function released(context: DriverContext, offer: PendingOffer, reason: ReleaseReason): Outbound {
  return { type: 'toDispatch', orderId: offer.orderId, body: { type: 'OfferReleased', offerId: offer.offerId, driverId: context.driverId, reason } };
}

/** The `offer` push for a pending offer: the same payload when it is first shown and when it is shown again. */
function offerPush(offer: PendingOffer): OfferPush {
  const { offerId, orderId, restaurant, dropoff } = offer;
  return { offerId, orderId, restaurant, dropoff, expiresAt: new Date(offer.expiresAt).toISOString() };
}

function withdrawnPush(context: DriverContext, offerId: string, orderId: string, reason: string): Outbound {
  return { type: 'pushDriver', driverId: context.driverId, push: { event: 'offer:withdrawn', data: { offerId, orderId, reason } } };
}

function okBody(state: DriverState, extra: Record<string, unknown>): DriverReply {
  return { ok: true, status: statusOf(state.value) ?? 'OFFLINE', cell: state.context.cell, ...extra };
}

/** The current state, unchanged, as the answer. */
function answer(state: DriverState, extra: Record<string, unknown> = {}): DriverDecision {
  return { state, effects: [{ type: 'reply', body: okBody(state, extra) }] };
}

/** A refused message: an error reply and no change at all (see `decideDriver`). */
function refuse(code: DriverErrorCode, detail: string): Refusal {
  return { refused: { code, detail } };
}
