// One simulated driver app: `/driver` socket, ONLINE, a location ping every few seconds while roaming the city, offers
// accepted or declined, and each trip driven to the restaurant and the customer with its status steps over REST.
import type { Socket } from 'socket.io-client';
import { sleep, tokenFor, type SimContext } from './context.ts';
import { planRoute, positionOn, randomPointIn, standStill, travelTimeMs, type LatLng, type Route } from './geo.ts';
import { emitAck, firstConnection, openSocket } from './sockets.ts';
import { isTransient } from './wire.ts';

/** The status steps a driver reports, in order (CONTRACT.md "Driver"). */
export type DriverStep = 'EN_ROUTE_TO_RESTAURANT' | 'AT_RESTAURANT' | 'PICKED_UP' | 'EN_ROUTE_TO_CUSTOMER' | 'AT_CUSTOMER' | 'DELIVERED';

interface Trip {
  readonly orderId: string;
  /** When the `assignment` push arrived, ms since the epoch. */
  readonly assignedAt: number;
  readonly restaurant: LatLng;
  readonly dropoff: LatLng;
  readonly abort: AbortController;
}

interface HeldOffer {
  readonly orderId: string;
  /** ms since the epoch. */
  readonly expiresAt: number;
  /** A withdrawal arrived for it. */
  gone: boolean;
}

/** Speeds above this are refused by the contract's ping schema, km/h. */
const MAX_REPORTED_KPH = 299;
/** After an accepted offer, an `assignment` push should arrive within this long, ms. */
const ASSIGNMENT_WAIT_MS = 10_000;
/** Transient failures of one status step tried again before giving up on the trip. */
const STEP_ATTEMPTS = 5;
/**
 * The `assignment` push may overtake the order recording its driver: the first step is refused (FORBIDDEN, not your
 * order) until then. It is tried again for this long, ms, and counted as expected (STEP_BEFORE_ORDER_ASSIGNED).
 */
const ASSIGNMENT_SETTLE_MS = 30_000;
/** Orders whose assignment this driver remembers (so that a late accept ack does not look like a lost assignment). */
const REMEMBERED_ASSIGNMENTS = 16;

export class SimDriver {
  private socket: Socket | null = null;
  private token = '';
  private route: Route;
  private online = false;
  private goingOnline = false;
  private everConnected = false;
  private pingTimer: NodeJS.Timeout | null = null;
  private trip: Trip | null = null;
  private awaitingAssignment: string | null = null;
  private readonly assignedOrders: string[] = [];
  private readonly offers = new Map<string, HeldOffer>();

  constructor(
    private readonly ctx: SimContext,
    readonly driverId: string,
    start: LatLng,
  ) {
    this.route = standStill(start, Date.now());
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  get onTrip(): boolean {
    return this.trip !== null;
  }

  /** Fetches a token and connects; true once connected (a failure is counted as an error). */
  async connect(): Promise<boolean> {
    const { ctx } = this;
    const token = await tokenFor(ctx, { role: 'driver', driverId: this.driverId });
    if (token === null) return false;
    this.token = token;
    const socket = openSocket(ctx.options.url, '/driver', this.token, ctx.options.timeoutMs, {
      onConnect: () => {
        if (this.everConnected) ctx.stats.count('reconnects');
        this.everConnected = true;
        void this.goOnline();
      },
      onDrop: (reason) => {
        this.online = false;
        if (!ctx.stopping) ctx.stats.error('SOCKET_DISCONNECT', '/driver', `driver ${this.driverId}: ${reason}`);
      },
      onConnectError: (e) => {
        if (!ctx.stopping) ctx.stats.error(e.code, 'connect /driver', e.detail);
      },
      renewToken: async () => {
        this.online = false;
        const fresh = await tokenFor(ctx, { role: 'driver', driverId: this.driverId });
        if (fresh !== null) this.token = fresh;
        return fresh;
      },
    });
    socket.on('offer', (offer: unknown) => this.onOffer(offer));
    socket.on('offer:withdrawn', (w: { offerId?: unknown } | null) => {
      const held = typeof w?.offerId === 'string' ? this.offers.get(w.offerId) : undefined;
      if (held) held.gone = true;
    });
    socket.on('assignment', (a: unknown) => this.onAssignment(a));
    socket.on('assignment:withdrawn', (w: { orderId?: unknown } | null) => {
      if (this.trip && w?.orderId === this.trip.orderId) {
        ctx.stats.expected('ASSIGNMENT_WITHDRAWN');
        this.trip.abort.abort();
      }
    });
    this.socket = socket;
    return (await firstConnection(socket)) === null;
  }

  close(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.trip?.abort.abort();
    this.socket?.close();
  }

  /** `driver:status` ONLINE, again after every reconnection; then pings. */
  private async goOnline(): Promise<void> {
    const { ctx } = this;
    if (this.goingOnline) return;
    this.goingOnline = true;
    try {
      while (!ctx.stopping && this.socket?.connected) {
        const res = await emitAck(this.socket, 'driver:status', { status: 'ONLINE' }, ctx.options.timeoutMs);
        if (res.ok) {
          this.online = true;
          this.startPinging();
          return;
        }
        if (res.code === 'SOCKET_NOT_CONNECTED') return;
        ctx.stats.error(res.code, 'driver:status', res.detail);
        if (!(await sleep(2_000 + this.ctx.rng() * 2_000, ctx.signal))) return;
      }
    } finally {
      this.goingOnline = false;
    }
  }

  private startPinging(): void {
    if (this.pingTimer) return;
    const periodMs = this.ctx.options.pingS * 1000;
    void this.ping();
    // The first regular ping at a random phase, so that the fleet's pings spread evenly over the period.
    const first = setTimeout(() => {
      if (this.ctx.stopping) return;
      void this.ping();
      this.pingTimer = setInterval(() => void this.ping(), periodMs);
    }, this.ctx.rng() * periodMs);
    this.pingTimer = first;
  }

  private async ping(): Promise<void> {
    const { ctx } = this;
    const socket = this.socket;
    if (!socket?.connected || !this.online || ctx.stopping) return;
    const now = Date.now();
    let fix = positionOn(this.route, now);
    if (fix.arrived && this.trip === null) {
      // Roaming: on to another random corner of the city.
      this.route = planRoute(fix, randomPointIn(ctx.options.bounds, ctx.rng), { speedKph: ctx.options.speedKph, startedAt: now, rng: ctx.rng });
      fix = positionOn(this.route, now);
    }
    ctx.stats.count('pingsSent');
    const res = await emitAck(
      socket,
      'driver:location',
      {
        lat: round(fix.lat, 6),
        lng: round(fix.lng, 6),
        heading: round(fix.heading, 1) % 360,
        speedKph: Math.min(MAX_REPORTED_KPH, round(fix.speedKph, 1)),
        at: new Date(now).toISOString(),
      },
      ctx.options.timeoutMs,
    );
    if (res.ok) {
      ctx.stats.count('pingsApplied');
      ctx.stats.latency('ping', Date.now() - now);
      return;
    }
    if (res.code === 'SOCKET_NOT_CONNECTED' || ctx.stopping) return;
    ctx.stats.error(res.code, 'driver:location', res.detail);
    if (res.code === 'NOT_FOUND') {
      // The driver's state was forgotten (not online): say so again.
      this.online = false;
      void this.goOnline();
    }
  }

  private onOffer(raw: unknown): void {
    const { ctx } = this;
    const offer = raw as { offerId?: unknown; orderId?: unknown; expiresAt?: unknown } | null;
    if (typeof offer?.offerId !== 'string' || typeof offer.orderId !== 'string') {
      ctx.stats.error('MALFORMED_PUSH', 'offer', `${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    ctx.stats.count('offersReceived');
    const offerId = offer.offerId;
    const expiresAt = typeof offer.expiresAt === 'string' ? Date.parse(offer.expiresAt) : Number.NaN;
    this.offers.set(offerId, { orderId: offer.orderId, expiresAt: Number.isNaN(expiresAt) ? Number.POSITIVE_INFINITY : expiresAt, gone: false });
    const accept = this.trip === null && ctx.rng() < ctx.options.acceptProbability;
    void sleep(ctx.options.acceptDelayMs, ctx.signal).then((on) => (on ? this.answer(offerId, accept) : undefined));
  }

  private async answer(offerId: string, accept: boolean): Promise<void> {
    const { ctx } = this;
    const held = this.offers.get(offerId);
    if (!held || !this.socket) return;
    if (held.gone) {
      this.offers.delete(offerId);
      ctx.stats.expected('OFFER_WITHDRAWN');
      return;
    }
    const res = await emitAck(this.socket, accept ? 'offer:accept' : 'offer:decline', { offerId }, ctx.options.timeoutMs);
    this.offers.delete(offerId);
    if (res.ok) {
      ctx.stats.count(accept ? 'offersAccepted' : 'offersDeclined');
      if (accept) this.expectAssignment(held.orderId);
      return;
    }
    if (ctx.stopping) return;
    // Racing the offer's withdrawal or expiry is part of the game, and so is a decline that finds nothing to decline
    // (the offer lapsed meanwhile); anything else is not.
    const raced = held.gone || Date.now() > held.expiresAt || res.code === 'SOCKET_NOT_CONNECTED';
    if (raced || (!accept && (res.code === 'CONFLICT' || res.code === 'INVALID_TRANSITION'))) ctx.stats.expected('OFFER_GONE');
    else ctx.stats.error(res.code, accept ? 'offer:accept' : 'offer:decline', res.detail);
  }

  private expectAssignment(orderId: string): void {
    this.awaitingAssignment = orderId;
    void sleep(ASSIGNMENT_WAIT_MS, this.ctx.signal).then((on) => {
      if (on && this.awaitingAssignment === orderId && !this.assignedOrders.includes(orderId)) {
        this.ctx.stats.error('ASSIGNMENT_MISSING', 'assignment', `driver ${this.driverId}: accepted order ${orderId} but no assignment arrived within ${ASSIGNMENT_WAIT_MS} ms`);
      }
      if (this.awaitingAssignment === orderId) this.awaitingAssignment = null;
    });
  }

  private onAssignment(raw: unknown): void {
    const { ctx } = this;
    const a = raw as { orderId?: unknown; restaurant?: { location?: unknown }; dropoff?: { location?: unknown } } | null;
    const restaurant = point(a?.restaurant?.location);
    const dropoff = point(a?.dropoff?.location);
    if (typeof a?.orderId !== 'string' || !restaurant || !dropoff) {
      ctx.stats.error('MALFORMED_PUSH', 'assignment', `${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    if (this.trip?.orderId === a.orderId) return;
    if (this.trip) {
      ctx.stats.error('DOUBLE_ASSIGNMENT', 'assignment', `driver ${this.driverId} got order ${a.orderId} while on ${this.trip.orderId}`);
      return;
    }
    if (this.assignedOrders.includes(a.orderId)) return;
    this.assignedOrders.push(a.orderId);
    if (this.assignedOrders.length > REMEMBERED_ASSIGNMENTS) this.assignedOrders.shift();
    if (this.awaitingAssignment === a.orderId) this.awaitingAssignment = null;
    ctx.stats.count('assignments');
    const trip: Trip = { orderId: a.orderId, assignedAt: Date.now(), restaurant, dropoff, abort: new AbortController() };
    this.trip = trip;
    void this.drive(trip).finally(() => {
      if (this.trip !== trip) return;
      this.trip = null;
      this.route = standStill(positionOn(this.route, Date.now()), Date.now());
    });
  }

  /** The trip: to the restaurant, the pickup (once the food is ready), to the customer, delivered. */
  private async drive(trip: Trip): Promise<void> {
    const signal = AbortSignal.any([this.ctx.signal, trip.abort.signal]);
    const tripKph = this.ctx.options.speedKph * this.ctx.options.timeScale;
    const done =
      (await this.step(trip, 'EN_ROUTE_TO_RESTAURANT', signal)) &&
      (await this.travel(trip.restaurant, tripKph, signal)) &&
      (await this.step(trip, 'AT_RESTAURANT', signal)) &&
      (await this.pickUp(trip, signal)) &&
      (await this.step(trip, 'EN_ROUTE_TO_CUSTOMER', signal)) &&
      (await this.travel(trip.dropoff, tripKph, signal)) &&
      (await this.step(trip, 'AT_CUSTOMER', signal)) &&
      (await this.step(trip, 'DELIVERED', signal));
    if (done) this.ctx.stats.count('tripsCompleted');
  }

  private async travel(to: LatLng, speedKph: number, signal: AbortSignal): Promise<boolean> {
    const now = Date.now();
    this.route = planRoute(positionOn(this.route, now), to, { speedKph, startedAt: now, rng: this.ctx.rng });
    if (!(await sleep(travelTimeMs(this.route), signal))) return false;
    this.route = standStill(to, Date.now());
    return true;
  }

  private patch(trip: Trip, status: DriverStep) {
    const path = `/v1/drivers/${encodeURIComponent(this.driverId)}/orders/${encodeURIComponent(trip.orderId)}`;
    return this.ctx.http.request('PATCH', path, { token: this.token, body: { status, timestamp: new Date().toISOString() } });
  }

  /**
   * Reports one step; transient failures are tried again. A step refused as INVALID_TRANSITION after an attempt whose
   * answer was lost (a timeout) had been applied by that attempt. False when the trip is over (refused or stopped).
   */
  private async step(trip: Trip, status: DriverStep, signal: AbortSignal): Promise<boolean> {
    const { stats } = this.ctx;
    let uncertain = false;
    for (let attempt = 1; ; attempt++) {
      const res = await this.patch(trip, status);
      if (signal.aborted) return false;
      if (res.ok) {
        stats.count('stepsReported');
        return true;
      }
      if (isTransient(res.code) && attempt < STEP_ATTEMPTS) {
        stats.error(res.code, `PATCH ${status}`, res.detail);
        uncertain = true;
        if (!(await sleep(500 * attempt, signal))) return false;
        continue;
      }
      if (uncertain && res.code === 'INVALID_TRANSITION') {
        stats.expected('STEP_ALREADY_APPLIED');
        stats.count('stepsReported');
        return true;
      }
      const early = status === 'EN_ROUTE_TO_RESTAURANT' && (res.code === 'FORBIDDEN' || res.code === 'INVALID_TRANSITION');
      if (early && Date.now() - trip.assignedAt < ASSIGNMENT_SETTLE_MS) {
        stats.expected('STEP_BEFORE_ORDER_ASSIGNED');
        attempt -= 1;
        if (!(await sleep(250, signal))) return false;
        continue;
      }
      this.refused(trip, status, res.code, res.detail);
      return false;
    }
  }

  /** PICKED_UP, tried again until the restaurant marked the food ready (409 INVALID_TRANSITION until then). */
  private async pickUp(trip: Trip, signal: AbortSignal): Promise<boolean> {
    const { stats, options } = this.ctx;
    const started = Date.now();
    const deadline = started + Math.max(120_000, options.prepS * 3_000);
    for (;;) {
      const res = await this.patch(trip, 'PICKED_UP');
      if (signal.aborted) return false;
      if (res.ok) {
        stats.count('stepsReported');
        return true;
      }
      if (res.code === 'INVALID_TRANSITION') stats.expected('PICKUP_NOT_READY');
      else if (isTransient(res.code)) stats.error(res.code, 'PATCH PICKED_UP', res.detail);
      else {
        this.refused(trip, 'PICKED_UP', res.code, res.detail);
        return false;
      }
      if (Date.now() > deadline) {
        stats.error('PICKUP_TIMEOUT', 'PATCH PICKED_UP', `order ${trip.orderId} was still not ready for pickup after ${Math.round((Date.now() - started) / 1000)} s`);
        return false;
      }
      if (!(await sleep(options.pickupRetryMs, signal))) return false;
    }
  }

  private refused(trip: Trip, status: DriverStep, code: string, detail: string): void {
    // With injected cancellations a trip may end under the driver's feet; otherwise a refused step is an error.
    if (code === 'INVALID_TRANSITION' && this.ctx.options.cancelProbability > 0) this.ctx.stats.expected('TRIP_CANCELLED');
    else this.ctx.stats.error(code, `PATCH ${status}`, `${trip.orderId}: ${detail}`);
  }
}

function point(raw: unknown): LatLng | null {
  const p = raw as { lat?: unknown; lng?: unknown } | null;
  return typeof p?.lat === 'number' && typeof p.lng === 'number' ? { lat: p.lat, lng: p.lng } : null;
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
