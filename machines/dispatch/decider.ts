import type { DispatchFact } from './facts.ts';
import { coveredKm, distanceKm } from './geo.ts';
import { applyDispatchFacts } from './machine.ts';
import type {
  Candidate,
  DispatchMessage,
  DriverRefused,
  DriverReserved,
  FindDriver,
  OfferAccepted,
  OfferReleased,
  Outbound,
  WithdrawReason,
} from './protocol.ts';
import { etaSeconds, scoreParamsFor, type ScoreWeights } from './score.ts';
import { closeWave, nextStep, receive, receiveOccupancy, revisit, startRound, waveComplete, widen, type SearchRound } from './search.ts';
import type { DispatchState, OrderInfo } from './state.ts';

export interface DispatchConfig {
  /** H3 resolution of the cell actors. */
  readonly resolution: number;
  /** Candidates each cell returns per query. */
  readonly k: number;
  /** Rings around the pickup cell searched at most (0 = the pickup's cell only). */
  readonly maxRings: number;
  /** Whether a round first asks the zones of its disk which cells list drivers, and skips the others. */
  readonly cellDirectory: boolean;
  /** How long a driver has to accept an offer, ms. */
  readonly offerTimeoutMs: number;
  /** An accept this late still counts; the offer timer fires after the window plus this, ms. */
  readonly acceptGraceMs: number;
  /** A wave of cell queries is closed (unanswered cells count as empty) after this long, ms. */
  readonly queryTimeoutMs: number;
  /** Offers that reach a driver per attempt before giving up. */
  readonly maxOffers: number;
  /** Reservations requested per attempt (busy drivers included) before giving up. */
  readonly maxReservations: number;
  readonly score: ScoreWeights;
  /** Time at the restaurant counted in the delivery ETA, s. */
  readonly pickupHandlingS: number;
}

export interface DispatchDecision {
  readonly state: DispatchState;
  readonly effects: readonly Outbound[];
}

interface Env {
  readonly now: number;
  readonly config: DispatchConfig;
}

/**
 * One order's search as a decider: a message in, the next state and what to do out. Pure. The search is a
 * conversation: cell answers, driver answers and timers all arrive as later messages, and a message that no
 * longer fits (an answer to an old wave, an old offer's outcome) changes nothing — except that a driver still
 * holding an offer or a trip this search no longer wants is told to let it go.
 */
export function decideDispatch(state: DispatchState, message: DispatchMessage, env: Env): DispatchDecision {
  const draft = new Draft(state, env);
  switch (message.type) {
    case 'FindDriver':
      findDriver(draft, message);
      break;
    case 'CancelSearch':
      if (state.value !== 'cancelled' && message.orderId === state.context.orderId) {
        letGo(draft, 'cancelled');
        draft.record({ type: 'SearchCancelled' });
      }
      break;
    case 'Candidates':
      answered(draft, (search) => receive(search, message));
      break;
    case 'OccupiedCells':
      answered(draft, (search) => receiveOccupancy(search, message));
      break;
    case 'SearchWatchdog':
      watchdog(draft, message.watchId);
      break;
    case 'DriverReserved':
      reserved(draft, message);
      break;
    case 'DriverRefused':
      refused(draft, message);
      break;
    case 'OfferAccepted':
      accepted(draft, message);
      break;
    case 'OfferReleased':
      released(draft, message);
      break;
    case 'OfferTimedOut': {
      const current = state.context.current;
      if (state.value === 'offered' && current !== null && current.offerId === message.offerId && !current.timedOut) {
        draft.record({ type: 'OfferTimedOut', offerId: current.offerId });
        draft.withdraw(current.candidate.driverId, current.offerId, 'timeout');
      }
      break;
    }
    default: {
      const _exhaustive: never = message;
      return _exhaustive;
    }
  }
  return draft.decision();
}

function findDriver(draft: Draft, message: FindDriver): void {
  const { value, context } = draft.state;
  // Another order's search (a misaddressed message), a cancelled one, or an attempt already started: nothing to do.
  if (message.orderId !== context.orderId || value === 'cancelled' || (context.order !== null && message.attempt <= context.order.attempt)) return;
  const requestedAt = Date.parse(message.requestedAt);
  letGo(draft, 'superseded');
  const order: OrderInfo = {
    orderId: message.orderId,
    restaurantId: message.restaurantId,
    attempt: message.attempt,
    pickup: { lat: message.pickup.lat, lng: message.pickup.lng },
    dropoff: { lat: message.dropoff.lat, lng: message.dropoff.lng },
    requestedAt: Number.isNaN(requestedAt) ? draft.now : requestedAt,
  };
  draft.record({ type: 'SearchStarted', order });
  newRound(draft, 1);
}

/** Folds an answer of the wave out (a cell's or a zone's) into the search, and goes on once the wave is complete. */
function answered(draft: Draft, fold: (search: SearchRound) => SearchRound): void {
  const { value, context } = draft.state;
  const search = context.search;
  if (value !== 'searching' || search === null) return;
  const next = fold(search);
  if (next === search) return;
  draft.record({ type: 'SearchProgressed', search: next });
  if (waveComplete(next)) advance(draft);
}

function reserved(draft: Draft, message: DriverReserved): void {
  const { value, context } = draft.state;
  const current = context.current;
  if (value === 'reserving' && current !== null && current.offerId === message.offerId) {
    draft.record({ type: 'OfferOut', offerId: message.offerId, expiresAt: message.expiresAt });
    draft.schedule(offerTimer(message.offerId), Math.max(0, message.expiresAt - draft.now) + draft.config.acceptGraceMs, {
      type: 'OfferTimedOut',
      offerId: message.offerId,
    });
    return;
  }
  stray(draft, message.driverId, message.offerId);
}

function refused(draft: Draft, message: DriverRefused): void {
  const { value, context } = draft.state;
  if (value !== 'reserving' || context.current?.offerId !== message.offerId) return;
  draft.record({ type: 'ReservationRefused', offerId: message.offerId, driverId: message.driverId });
  // The round's answers are milliseconds old: the next best of the same pool is still the right choice.
  advance(draft);
}

function accepted(draft: Draft, message: OfferAccepted): void {
  const { value, context } = draft.state;
  const current = context.current;
  const order = context.order;
  if ((value === 'reserving' || value === 'offered') && current !== null && current.offerId === message.offerId && order !== null) {
    const { candidate } = current;
    const travelS = etaSeconds(candidate.distanceKm + distanceKm(order.pickup, order.dropoff), draft.config.score.travelSpeedKph);
    const eta = new Date(draft.now + (travelS + draft.config.pickupHandlingS) * 1000).toISOString();
    draft.record({ type: 'DriverAssigned', assignment: { driverId: message.driverId, offerId: message.offerId, eta, at: draft.now } });
    draft.cancel(offerTimer(message.offerId));
    disarm(draft);
    draft.emit({ type: 'toOrder', orderId: context.orderId, body: { type: 'AssignDriver', driverId: message.driverId, offerId: message.offerId, eta } });
    return;
  }
  stray(draft, message.driverId, message.offerId);
}

function released(draft: Draft, message: OfferReleased): void {
  const { value, context } = draft.state;
  if ((value !== 'reserving' && value !== 'offered') || context.current?.offerId !== message.offerId) return;
  draft.record({ type: 'OfferEnded', offerId: message.offerId, driverId: message.driverId, reason: message.reason });
  draft.cancel(offerTimer(message.offerId));
  const { offers } = draft.state.context;
  if (offers >= draft.config.maxOffers) {
    draft.record({ type: 'SearchFailed', reason: `OFFERS_EXHAUSTED: ${offers} offer(s) declined or timed out` });
    draft.tellOrderFailed();
    return;
  }
  newRound(draft, context.rounds + 1);
}

/**
 * Takes the next step once the current wave is complete: reserve the best candidate, widen by a ring, query again,
 * or give up.
 */
function advance(draft: Draft): void {
  for (;;) {
    const { context } = draft.state;
    const search = context.search;
    const order = context.order;
    if (search === null || order === null || !waveComplete(search)) return;
    const { config } = draft;
    const step = nextStep(search, new Set(context.tried), config.maxRings);
    switch (step.type) {
      case 'reserve': {
        if (context.reservations >= config.maxReservations) return fail(draft, `RESERVATIONS_EXHAUSTED: ${context.reservations} drivers asked, none took the offer`);
        const candidate: Candidate = step.candidate;
        const offerId = `OFR-${order.orderId}-${order.attempt}-${context.reservations + 1}`;
        draft.record({ type: 'ReservationRequested', offer: { offerId, candidate, expiresAt: null, timedOut: false } });
        draft.emit({
          type: 'toDriver',
          driverId: candidate.driverId,
          body: {
            type: 'ReserveDriver',
            offerId,
            orderId: order.orderId,
            restaurant: { restaurantId: order.restaurantId, location: order.pickup },
            dropoff: { location: order.dropoff },
            offerTimeoutMs: config.offerTimeoutMs,
            cell: candidate.cell,
          },
        });
        return;
      }
      case 'widen':
        sendWave(draft, widen(search, order.attempt, step.ring, step.threshold));
        break; // an empty wave (every cell deferred) is complete at once: decide again
      case 'revisit':
        sendWave(draft, revisit(search, order.attempt, step.cells));
        break;
      case 'requery':
        if (context.rounds >= config.maxReservations) return fail(draft, `RESERVATIONS_EXHAUSTED: ${context.reservations} drivers asked, none took the offer`);
        return newRound(draft, context.rounds + 1);
      case 'exhausted': {
        const km = coveredKm(search.geometry, config.maxRings).toFixed(1);
        const where = `within ${config.maxRings} ring(s) (at least ${km} km) of the pickup`;
        const busy = context.tried.length - context.offers;
        if (context.offers > 0) return fail(draft, `NO_DRIVER_ACCEPTED: ${context.offers} offer(s) declined or timed out, ${busy} driver(s) busy, no other available driver ${where}`);
        return fail(draft, busy > 0 ? `NO_DRIVER_AVAILABLE: ${busy} driver(s) nearby busy with other orders, no other available driver ${where}` : `NO_DRIVER_AVAILABLE: no available driver ${where}`);
      }
      default: {
        const _exhaustive: never = step;
        return _exhaustive;
      }
    }
  }
}

function newRound(draft: Draft, round: number): void {
  const order = draft.state.context.order;
  if (order === null) return;
  const params = scoreParamsFor(draft.config.score, draft.now - order.requestedAt);
  const directory = draft.config.cellDirectory ? { maxRings: draft.config.maxRings } : null;
  sendWave(draft, startRound(order.pickup, draft.config.resolution, order.attempt, round, params, draft.config.k, directory));
}

function sendWave(draft: Draft, wave: SearchRound): void {
  const order = draft.state.context.order;
  if (order === null) return;
  const search = { ...wave, waveSentAt: draft.now };
  draft.record({ type: 'SearchProgressed', search });
  const exclude = draft.state.context.tried;
  for (const zone of search.pendingZones) draft.emit({ type: 'toZone', zone, body: { type: 'FindOccupiedCells', queryId: search.queryId } });
  for (const cell of search.pending) {
    draft.emit({ type: 'toCell', cell, body: { type: 'FindCandidates', queryId: search.queryId, pickup: order.pickup, k: draft.config.k, exclude, score: search.params } });
  }
  if (!waveComplete(search) && draft.state.context.watchdog === null) arm(draft, draft.config.queryTimeoutMs);
}

/** Arms the search's watchdog (a fresh timer id each time). */
function arm(draft: Draft, delayMs: number): void {
  const { context } = draft.state;
  const watchId = `search-watchdog:${context.order?.attempt ?? 0}.${context.watchdogs + 1}`;
  draft.record({ type: 'WatchdogArmed', watchId });
  draft.schedule(watchId, delayMs, { type: 'SearchWatchdog', watchId });
}

function disarm(draft: Draft): void {
  const watchId = draft.state.context.watchdog;
  if (watchId === null) return;
  draft.record({ type: 'WatchdogDisarmed' });
  draft.cancel(watchId);
}

/**
 * The watchdog fired: a wave unanswered for the query timeout is closed (its silent cells count as empty) and the
 * search goes on; a younger wave gets the watchdog re-armed for the rest of its time. Outside `searching` it
 * just lapses (the offer has its own timer; a new wave arms a new watchdog).
 */
function watchdog(draft: Draft, watchId: string): void {
  const { value, context } = draft.state;
  if (context.watchdog !== watchId) return;
  draft.record({ type: 'WatchdogDisarmed' });
  const search = context.search;
  if (value !== 'searching' || search === null || waveComplete(search)) return;
  const age = draft.now - search.waveSentAt;
  if (age < draft.config.queryTimeoutMs) return arm(draft, draft.config.queryTimeoutMs - age);
  draft.record({ type: 'SearchProgressed', search: closeWave(search) });
  advance(draft);
}

function fail(draft: Draft, reason: string): void {
  disarm(draft);
  draft.record({ type: 'SearchFailed', reason });
  draft.tellOrderFailed();
}

/** Before the search restarts or stops: the driver holding this search's offer or trip is told to let it go. */
function letGo(draft: Draft, reason: WithdrawReason): void {
  const { value, context } = draft.state;
  const current = context.current;
  if ((value === 'reserving' || value === 'offered') && current !== null) {
    draft.withdraw(current.candidate.driverId, current.offerId, reason);
    if (value === 'offered') draft.cancel(offerTimer(current.offerId));
  }
  disarm(draft);
  if (value === 'assigned' && context.assignment !== null) draft.withdraw(context.assignment.driverId, context.assignment.offerId, reason);
}

/** A driver answered about an offer that is neither current nor the assignment: it must not keep holding it. */
function stray(draft: Draft, driverId: string, offerId: string): void {
  const { value, context } = draft.state;
  if (context.assignment?.offerId === offerId) return;
  draft.withdraw(driverId, offerId, value === 'cancelled' ? 'cancelled' : 'superseded');
}

export const offerTimer = (offerId: string) => `offer-timeout:${offerId}`;

/** The decision being built: facts go through the chart as they are recorded; effects keep their order. */
class Draft {
  state: DispatchState;
  private readonly effects: Outbound[] = [];
  private readonly timers: Outbound[] = [];
  readonly now: number;
  readonly config: DispatchConfig;

  constructor(state: DispatchState, env: Env) {
    this.state = state;
    this.now = env.now;
    this.config = env.config;
  }

  /** A fact the chart refuses is a bug in this decider: throwing dead-letters the message with the reason. */
  record(fact: DispatchFact): void {
    const applied = applyDispatchFacts(this.state, [fact]);
    if (!applied.ok) throw new Error(`dispatch ${this.state.context.orderId}: ${fact.type} is not possible in ${this.state.value}`);
    this.state = applied.state;
  }

  emit(effect: Outbound): void {
    this.effects.push(effect);
  }

  withdraw(driverId: string, offerId: string, reason: WithdrawReason): void {
    this.effects.push({ type: 'toDriver', driverId, body: { type: 'WithdrawOffer', offerId, orderId: this.state.context.orderId, reason } });
  }

  tellOrderFailed(): void {
    const reason = this.state.context.failure;
    if (reason !== null) this.effects.push({ type: 'toOrder', orderId: this.state.context.orderId, body: { type: 'ReportDispatchFailed', reason } });
  }

  /** Timers go after the messages, so that nothing waits on BullMQ before the next hop is on its way. */
  schedule(timerId: string, delayMs: number, body: Extract<Outbound, { type: 'schedule' }>['body']): void {
    this.timers.push({ type: 'schedule', timerId, delayMs, body });
  }

  cancel(timerId: string): void {
    this.timers.push({ type: 'cancel', timerId });
  }

  decision(): DispatchDecision {
    return { state: this.state, effects: [...this.effects, ...this.timers] };
  }
}
