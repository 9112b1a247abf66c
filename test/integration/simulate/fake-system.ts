// A stand-in for the system, in memory, speaking just the part of CONTRACT.md the simulator uses: dev tokens, the
// catalog, orders with Idempotency-Keys, the driver steps, and the `/driver`, `/customer`, `/restaurant` sockets with
// a naive dispatcher (nearest online driver, one offer at a time). It checks what it is sent as the contract says, so
// the simulator's side of the conversation is tested without the real system (and can be driven to 20 000 sockets).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Namespace, type Socket } from 'socket.io';
import { ORDER_STATUSES } from '../../../machines/order/types.ts';

/** How far along a status is (the fake only uses statuses of the happy path, plus CANCELLED and REJECTED, handled apart). */
const rank = (status: string) => (ORDER_STATUSES as readonly string[]).indexOf(status);
const DRIVER_STEPS = ['ASSIGNED', 'EN_ROUTE_TO_RESTAURANT', 'AT_RESTAURANT', 'PICKED_UP', 'EN_ROUTE_TO_CUSTOMER', 'AT_CUSTOMER', 'DELIVERED'];

interface Identity {
  role: string;
  driverId?: string;
  customerId?: string;
  restaurantId?: string;
}

interface Point {
  lat: number;
  lng: number;
}

interface FakeOrder {
  orderId: string;
  customerId: string;
  restaurantId: string;
  dropoff: Point;
  status: string;
  kitchen: 'new' | 'ACCEPTED' | 'PREPARING' | 'READY_FOR_PICKUP';
  timeline: { status: string; at: string }[];
  driverId: string | null;
  tried: Set<string>;
  offer: { offerId: string; driverId: string; timer: NodeJS.Timeout } | null;
  rejection: { reason: string } | null;
  cancellation: { reason: string } | null;
  version: number;
  createdAt: string;
}

interface FakeDriver {
  online: boolean;
  at: Point | null;
  busy: boolean;
}

export interface FakeOptions {
  /** Listen here (0 = any free port). */
  readonly port?: number;
  /** An offer not answered within this long is withdrawn, ms. @default 5_000 */
  readonly offerTimeoutMs?: number;
  /** Every Nth POST /v1/orders is applied but answered 503 UNAVAILABLE (a lost answer). @default never */
  readonly loseEveryNthOrderAnswer?: number;
  /**
   * Several processes share the port (node:cluster, to hold more sockets than one process may): requests land on any
   * of them, so a menu item may name a restaurant another process created (it is created here too). Orders and
   * dispatch do not work across processes: run such a system with `--orders-per-sec 0`.
   */
  readonly clustered?: boolean;
}

export interface FakeSystem {
  readonly url: string;
  /** Orders created (once per Idempotency-Key). */
  readonly ordersCreated: () => number;
  /** Location pings acked. */
  readonly pings: () => number;
  /** Problems with what the simulator sent, as the contract sees them (should stay empty). */
  readonly violations: string[];
  close(): Promise<void>;
}

const now = () => new Date().toISOString();
const errorBody = (status: number, code: string, detail: string) => ({ errors: [{ status: String(status), code, detail }] });
const isPoint = (p: unknown): p is Point => typeof (p as Point | null)?.lat === 'number' && typeof (p as Point | null)?.lng === 'number';

export const fakeToken = (who: Identity): string => `fake.${Buffer.from(JSON.stringify(who)).toString('base64url')}`;

function identityOf(token: unknown): Identity | null {
  if (typeof token !== 'string' || !token.startsWith('fake.')) return null;
  try {
    const who = JSON.parse(Buffer.from(token.slice(5), 'base64url').toString()) as Identity;
    return typeof who.role === 'string' ? who : null;
  } catch {
    return null;
  }
}

export async function startFakeSystem(options: FakeOptions = {}): Promise<FakeSystem> {
  const offerTimeoutMs = options.offerTimeoutMs ?? 5_000;
  const restaurants = new Map<string, { restaurantId: string; name: string; location: Point; items: Map<string, { itemId: string; priceCents: number }> }>();
  const orders = new Map<string, FakeOrder>();
  const keys = new Map<string, { body: string; orderId: string }>();
  const drivers = new Map<string, FakeDriver>();
  const violations: string[] = [];
  let pings = 0;
  let postCount = 0;
  const waiting = new Set<string>();

  const http = createServer((req, res) => void route(req, res));
  const io = new Server(http, { serveClient: false, transports: ['websocket'] });
  const nsp = { driver: io.of('/driver'), customer: io.of('/customer'), restaurant: io.of('/restaurant') };

  const view = (o: FakeOrder) => ({
    orderId: o.orderId,
    customerId: o.customerId,
    restaurantId: o.restaurantId,
    status: o.status,
    driverId: o.driverId,
    timeline: o.timeline,
    rejection: o.rejection,
    cancellation: o.cancellation,
    version: o.version,
    createdAt: o.createdAt,
  });
  const enter = (o: FakeOrder, status: string) => {
    o.timeline.push({ status, at: now() });
    o.version += 1;
    if (status === 'CANCELLED' || status === 'REJECTED' || rank(status) > rank(o.status)) o.status = status;
    nsp.customer.to(`order:${o.orderId}`).emit('order:update', view(o));
  };
  const closed = (o: FakeOrder) => o.status === 'CANCELLED' || o.status === 'REJECTED' || o.status === 'DELIVERED';

  // ── dispatch ───────────────────────────────────────────────────────────────────────────────────────────────────────
  const dispatch = (o: FakeOrder) => {
    if (closed(o) || o.driverId !== null || o.offer !== null) return;
    const r = restaurants.get(o.restaurantId);
    if (!r) return;
    let best: [string, number] | null = null;
    for (const [id, d] of drivers) {
      if (!d.online || d.busy || !d.at || o.tried.has(id)) continue;
      const dist = (d.at.lat - r.location.lat) ** 2 + (d.at.lng - r.location.lng) ** 2;
      if (best === null || dist < best[1]) best = [id, dist];
    }
    if (best === null) {
      o.tried.clear();
      waiting.add(o.orderId);
      return;
    }
    waiting.delete(o.orderId);
    const [driverId] = best;
    (drivers.get(driverId) as FakeDriver).busy = true;
    o.tried.add(driverId);
    const offerId = `OFR-${randomUUID().slice(0, 8)}`;
    const timer = setTimeout(() => {
      if (o.offer?.offerId !== offerId) return;
      nsp.driver.to(`driver:${driverId}`).emit('offer:withdrawn', { offerId, orderId: o.orderId, reason: 'timeout' });
      release(driverId);
      o.offer = null;
      dispatch(o);
    }, offerTimeoutMs);
    o.offer = { offerId, driverId, timer };
    nsp.driver.to(`driver:${driverId}`).emit('offer', {
      offerId,
      orderId: o.orderId,
      restaurant: { restaurantId: r.restaurantId, location: r.location },
      dropoff: { location: o.dropoff },
      expiresAt: new Date(Date.now() + offerTimeoutMs).toISOString(),
    });
  };
  const release = (driverId: string) => {
    const d = drivers.get(driverId);
    if (d) d.busy = false;
  };
  const retry = setInterval(() => {
    for (const id of [...waiting]) {
      const o = orders.get(id);
      if (o) dispatch(o);
    }
  }, 500);

  // ── sockets ────────────────────────────────────────────────────────────────────────────────────────────────────────
  const guard = (ns: Namespace, role: string) =>
    ns.use((socket, next) => {
      const who = identityOf((socket.handshake.auth as { token?: unknown }).token);
      if (!who || who.role !== role) return next(Object.assign(new Error('UNAUTHENTICATED'), { data: errorBody(401, 'UNAUTHENTICATED', 'bad token') }));
      (socket.data as { who: Identity }).who = who;
      next();
    });
  const on = (socket: Socket, event: string, handle: (payload: Record<string, unknown>) => unknown) =>
    socket.on(event, (payload: unknown, ack: unknown) => {
      if (typeof ack !== 'function') {
        violations.push(`${event} sent without an ack callback`);
        return;
      }
      (ack as (body: unknown) => void)(handle((payload ?? {}) as Record<string, unknown>));
    });
  const who = (socket: Socket) => (socket.data as { who: Identity }).who;

  guard(nsp.driver, 'driver');
  nsp.driver.on('connection', (socket) => {
    const driverId = who(socket).driverId as string;
    void socket.join(`driver:${driverId}`);
    const driver = drivers.get(driverId) ?? { online: false, at: null, busy: false };
    drivers.set(driverId, driver);
    on(socket, 'driver:status', (p) => {
      if (p.status !== 'ONLINE' && p.status !== 'OFFLINE') return errorBody(400, 'VALIDATION_FAILED', 'status');
      driver.online = p.status === 'ONLINE';
      return { ok: true, status: p.status };
    });
    on(socket, 'driver:location', (p) => {
      if (!isPoint(p) || typeof p.at !== 'string' || Number.isNaN(Date.parse(p.at))) {
        violations.push(`bad ping ${JSON.stringify(p)}`);
        return errorBody(400, 'VALIDATION_FAILED', 'lat, lng and at are required');
      }
      if (typeof p.heading === 'number' && (p.heading < 0 || p.heading >= 360)) violations.push(`heading out of range: ${p.heading}`);
      if (typeof p.speedKph === 'number' && (p.speedKph < 0 || p.speedKph > 300)) violations.push(`speed out of range: ${p.speedKph}`);
      if (!driver.online) return errorBody(404, 'NOT_FOUND', 'driver is not online: send driver:status ONLINE first');
      driver.at = { lat: p.lat as number, lng: p.lng as number };
      pings += 1;
      return { ok: true };
    });
    const answerOffer = (p: Record<string, unknown>, accept: boolean) => {
      const o = [...orders.values()].find((x) => x.offer?.offerId === p.offerId);
      if (!o?.offer || o.offer.driverId !== driverId) return errorBody(409, 'CONFLICT', 'no such offer pending for this driver');
      clearTimeout(o.offer.timer);
      o.offer = null;
      if (!accept) {
        release(driverId);
        dispatch(o);
        return { ok: true, offerId: p.offerId };
      }
      o.driverId = driverId;
      const r = restaurants.get(o.restaurantId);
      nsp.driver.to(`driver:${driverId}`).emit('assignment', {
        offerId: p.offerId,
        orderId: o.orderId,
        restaurant: { restaurantId: o.restaurantId, location: r?.location },
        dropoff: { location: o.dropoff },
      });
      enter(o, 'ASSIGNED');
      return { ok: true, orderId: o.orderId, offerId: p.offerId };
    };
    on(socket, 'offer:accept', (p) => answerOffer(p, true));
    on(socket, 'offer:decline', (p) => answerOffer(p, false));
  });

  guard(nsp.customer, 'customer');
  nsp.customer.on('connection', (socket) => {
    on(socket, 'order:subscribe', (p) => {
      const o = orders.get(String(p.orderId));
      if (!o || o.customerId !== who(socket).customerId) return errorBody(404, 'NOT_FOUND', 'no such order');
      void socket.join(`order:${o.orderId}`);
      socket.emit('order:update', view(o));
      return { ok: true, order: view(o) };
    });
    on(socket, 'order:unsubscribe', (p) => {
      void socket.leave(`order:${String(p.orderId)}`);
      return { ok: true };
    });
  });

  guard(nsp.restaurant, 'restaurant');
  nsp.restaurant.on('connection', (socket) => {
    const restaurantId = who(socket).restaurantId as string;
    void socket.join(`restaurant:${restaurantId}`);
    for (const o of orders.values()) if (o.restaurantId === restaurantId && !closed(o) && o.kitchen !== 'READY_FOR_PICKUP') socket.emit('order:new', view(o));
    const act = (event: string, action: string) => on(socket, event, (p) => kitchen(restaurantId, String(p.orderId), action, p));
    act('order:accept', 'ACCEPT');
    act('order:reject', 'REJECT');
    act('order:preparing', 'PREPARING');
    act('order:ready', 'READY');
  });

  /** A kitchen step: the answer body (ok or the error shape) and its HTTP status. */
  function kitchen(restaurantId: string, orderId: string, action: string, p: Record<string, unknown>): Record<string, unknown> {
    const o = orders.get(orderId);
    if (!o || o.restaurantId !== restaurantId) return errorBody(404, 'NOT_FOUND', 'no such order');
    const refuse = () => errorBody(409, 'INVALID_TRANSITION', `${action} is not allowed while the order is ${o.status}`);
    if (closed(o)) return refuse();
    switch (action) {
      case 'ACCEPT':
        if (o.kitchen !== 'new') return errorBody(409, 'ALREADY_ACCEPTED', 'accepted already');
        if (typeof p.estimatedReadyTime !== 'string') violations.push('ACCEPT without estimatedReadyTime');
        o.kitchen = 'ACCEPTED';
        enter(o, 'ACCEPTED');
        dispatch(o);
        break;
      case 'REJECT':
        if (o.kitchen !== 'new') return refuse();
        o.rejection = { reason: String(p.reason) };
        enter(o, 'REJECTED');
        break;
      case 'PREPARING':
        if (o.kitchen !== 'ACCEPTED') return refuse();
        o.kitchen = 'PREPARING';
        enter(o, 'PREPARING');
        break;
      case 'READY':
        if (o.kitchen !== 'PREPARING') return refuse();
        o.kitchen = 'READY_FOR_PICKUP';
        enter(o, 'READY_FOR_PICKUP');
        break;
      default:
        return errorBody(400, 'VALIDATION_FAILED', 'action');
    }
    return { ok: true, order: view(o) };
  }

  // ── REST ───────────────────────────────────────────────────────────────────────────────────────────────────────────
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString();
    const body = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
    const send = (status: number, payload?: unknown) => {
      res.writeHead(status, payload === undefined ? {} : { 'content-type': 'application/json' });
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    const fail = (status: number, code: string, detail: string) => send(status, errorBody(status, code, detail));
    const path = (req.url ?? '/').split('?')[0] as string;
    const me = identityOf(req.headers.authorization?.replace(/^Bearer /, ''));
    const parts = path.split('/').filter(Boolean);

    if (req.method === 'GET' && path === '/healthz') return send(200, { status: 'ok' });
    if (req.method === 'POST' && path === '/v1/auth/dev-tokens') return send(200, { token: fakeToken(body as unknown as Identity) });
    if (!me) return fail(401, 'UNAUTHENTICATED', 'no or bad token');

    if (req.method === 'POST' && path === '/v1/restaurants') {
      if (me.role !== 'admin') return fail(403, 'FORBIDDEN', 'admin only');
      if (!isPoint(body.location) || typeof body.name !== 'string') return fail(400, 'VALIDATION_FAILED', 'name and location');
      const restaurantId = `REST-${randomUUID().slice(0, 8)}`;
      restaurants.set(restaurantId, { restaurantId, name: body.name, location: body.location, items: new Map() });
      return send(201, { restaurantId, name: body.name, location: body.location });
    }
    if (parts[0] === 'v1' && parts[1] === 'restaurants' && parts[3] === 'menu' && parts[4] === 'items' && req.method === 'POST') {
      if (options.clustered && !restaurants.has(parts[2] as string)) {
        restaurants.set(parts[2] as string, { restaurantId: parts[2] as string, name: '?', location: { lat: 0, lng: 0 }, items: new Map() });
      }
      const r = restaurants.get(parts[2] as string);
      if (!r) return fail(404, 'NOT_FOUND', 'no such restaurant');
      if (typeof body.priceCents !== 'number' || typeof body.currency !== 'string') return fail(400, 'VALIDATION_FAILED', 'priceCents and currency');
      const itemId = `ITEM-${randomUUID().slice(0, 8)}`;
      r.items.set(itemId, { itemId, priceCents: body.priceCents });
      return send(201, { itemId, name: body.name, priceCents: body.priceCents, currency: body.currency, available: true });
    }
    if (parts[0] === 'v1' && parts[1] === 'restaurants' && parts[3] === 'orders' && req.method === 'POST') {
      if (me.role !== 'restaurant' || me.restaurantId !== parts[2]) return fail(403, 'FORBIDDEN', 'not your restaurant');
      const out = kitchen(parts[2] as string, parts[4] as string, String(body.action), body);
      const e = (out as { errors?: { status: string }[] }).errors?.[0];
      return send(e ? Number(e.status) : 200, e ? out : { orderId: parts[4], status: orders.get(parts[4] as string)?.status });
    }
    if (req.method === 'POST' && path === '/v1/orders') {
      const key = req.headers['idempotency-key'];
      if (typeof key !== 'string' || !/^[0-9a-f-]{36}$/i.test(key)) {
        violations.push('POST /v1/orders without a UUID Idempotency-Key');
        return fail(400, 'VALIDATION_FAILED', 'Idempotency-Key');
      }
      if (me.role !== 'customer' || me.customerId !== body.customerId) return fail(403, 'FORBIDDEN', 'not your customer id');
      const known = keys.get(key);
      if (known) {
        if (known.body !== text) return fail(422, 'IDEMPOTENCY_KEY_REUSED', 'another body');
        const o = orders.get(known.orderId) as FakeOrder;
        return send(201, { orderId: o.orderId, status: 'PLACED', createdAt: o.createdAt });
      }
      const r = restaurants.get(String(body.restaurantId));
      if (!r) return fail(404, 'NOT_FOUND', 'no such restaurant');
      const items = body.items as { itemId?: unknown; quantity?: unknown }[] | undefined;
      if (!Array.isArray(items) || items.length === 0 || items.some((i) => !r.items.has(String(i.itemId)) || typeof i.quantity !== 'number')) {
        return fail(400, 'VALIDATION_FAILED', 'items');
      }
      const address = body.deliveryAddress as { street?: unknown; city?: unknown; state?: unknown; zipCode?: unknown; location?: unknown } | undefined;
      if (!address || typeof address.street !== 'string' || typeof address.city !== 'string' || typeof address.state !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$/.test(String(address.zipCode)) || !isPoint(address.location)) {
        return fail(400, 'INVALID_ADDRESS', 'address');
      }
      if (body.paymentMethod !== 'CARD' && body.paymentMethod !== 'CASH_ON_DELIVERY') return fail(400, 'VALIDATION_FAILED', 'paymentMethod');
      const orderId = `ORD-${randomUUID().slice(0, 12)}`;
      const o: FakeOrder = {
        orderId,
        customerId: String(body.customerId),
        restaurantId: r.restaurantId,
        dropoff: address.location,
        status: 'PLACED',
        kitchen: 'new',
        timeline: [],
        driverId: null,
        tried: new Set(),
        offer: null,
        rejection: null,
        cancellation: null,
        version: 0,
        createdAt: now(),
      };
      orders.set(orderId, o);
      keys.set(key, { body: text, orderId });
      enter(o, 'PLACED');
      enter(o, 'CONFIRMED');
      nsp.restaurant.to(`restaurant:${r.restaurantId}`).emit('order:new', view(o));
      postCount += 1;
      if (options.loseEveryNthOrderAnswer !== undefined && postCount % options.loseEveryNthOrderAnswer === 0) return fail(503, 'UNAVAILABLE', 'lost answer (simulated)');
      return send(201, { orderId, status: 'PLACED', createdAt: o.createdAt });
    }
    if (parts[0] === 'v1' && parts[1] === 'orders' && parts.length === 3 && req.method === 'GET') {
      const o = orders.get(parts[2] as string);
      if (!o) return fail(404, 'NOT_FOUND', 'no such order');
      if (me.role === 'customer' && me.customerId !== o.customerId) return fail(403, 'FORBIDDEN', 'not yours');
      return send(200, view(o));
    }
    if (parts[0] === 'v1' && parts[1] === 'orders' && parts[3] === 'cancel' && req.method === 'POST') {
      const o = orders.get(parts[2] as string);
      if (!o || me.customerId !== o.customerId) return fail(404, 'NOT_FOUND', 'no such order');
      if (closed(o) || rank(o.status) >= rank('PICKED_UP')) {
        return fail(409, 'CANCELLATION_DENIED', 'too late to cancel');
      }
      if (o.offer) {
        clearTimeout(o.offer.timer);
        release(o.offer.driverId);
        o.offer = null;
      }
      if (o.driverId) {
        nsp.driver.to(`driver:${o.driverId}`).emit('assignment:withdrawn', { orderId: o.orderId, reason: 'cancelled' });
        release(o.driverId);
      }
      o.cancellation = { reason: String(body.reason) };
      enter(o, 'CANCELLED');
      return send(200, { orderId: o.orderId, status: o.status });
    }
    if (parts[0] === 'v1' && parts[1] === 'drivers' && parts[3] === 'orders' && req.method === 'PATCH') {
      const [, , driverId, , orderId] = parts;
      if (me.role !== 'driver' || me.driverId !== driverId) return fail(403, 'FORBIDDEN', 'not you');
      const o = orders.get(orderId as string);
      if (!o) return fail(404, 'NOT_FOUND', 'no such order');
      if (o.driverId !== driverId) return fail(403, 'FORBIDDEN', 'This order is not assigned to you');
      if (typeof body.timestamp !== 'string') violations.push('driver step without a timestamp');
      const step = String(body.status);
      const current = [...o.timeline].reverse().find((t) => DRIVER_STEPS.includes(t.status))?.status ?? 'ASSIGNED';
      const legal = DRIVER_STEPS.indexOf(step) === DRIVER_STEPS.indexOf(current) + 1 && !closed(o);
      if (!legal || (step === 'PICKED_UP' && o.kitchen !== 'READY_FOR_PICKUP')) {
        return fail(409, 'INVALID_TRANSITION', `${step} is not allowed after ${current}`);
      }
      enter(o, step);
      if (step === 'DELIVERED') release(driverId as string);
      return send(204);
    }
    return fail(404, 'NOT_FOUND', `${req.method} ${path}`);
  }

  await new Promise<void>((resolve) => http.listen({ port: options.port ?? 0, host: '127.0.0.1', exclusive: !options.clustered }, resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    ordersCreated: () => orders.size,
    pings: () => pings,
    violations,
    async close() {
      clearInterval(retry);
      for (const o of orders.values()) if (o.offer) clearTimeout(o.offer.timer);
      await io.close();
    },
  };
}
