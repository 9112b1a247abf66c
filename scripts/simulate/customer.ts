// Simulated customers: orders placed over REST with an Idempotency-Key, each followed over `/customer` until it is
// delivered or fails, timing placed → assigned and placed → delivered as the customer sees them.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { sleep, tokenFor, type SimContext } from './context.ts';
import { randomPointNear } from './geo.ts';
import { intBetween, pick } from './rng.ts';
import type { SimRestaurant } from './setup.ts';
import { emitAck, firstConnection, openSocket } from './sockets.ts';
import { isTransient } from './wire.ts';

/** What an order view tells the simulator (CONTRACT.md `GET /v1/orders/{orderId}`, `order:update`). */
export interface ViewFacts {
  readonly orderId: string;
  readonly status: string;
  readonly version: number;
  readonly assigned: boolean;
  readonly delivered: boolean;
  /** Why it failed (CANCELLED, REJECTED), else null. */
  readonly failure: string | null;
}

/** Reads an order view; null when it is not one. */
export function factsOf(raw: unknown): ViewFacts | null {
  const v = raw as {
    orderId?: unknown;
    status?: unknown;
    version?: unknown;
    driverId?: unknown;
    timeline?: unknown;
    rejection?: { reason?: unknown } | null;
    cancellation?: { reason?: unknown } | null;
  } | null;
  if (typeof v?.orderId !== 'string' || typeof v.status !== 'string') return null;
  const reached = new Set(Array.isArray(v.timeline) ? v.timeline.map((t) => (t as { status?: unknown } | null)?.status) : []);
  reached.add(v.status);
  const delivered = reached.has('DELIVERED') || reached.has('SETTLED');
  const failed = !delivered && (v.status === 'CANCELLED' || v.status === 'REJECTED');
  const reason = v.status === 'REJECTED' ? v.rejection?.reason : v.cancellation?.reason;
  return {
    orderId: v.orderId,
    status: v.status,
    version: typeof v.version === 'number' ? v.version : 0,
    assigned: (typeof v.driverId === 'string' && v.driverId !== '') || reached.has('ASSIGNED'),
    delivered,
    failure: failed ? `${v.status}: ${typeof reason === 'string' && reason !== '' ? reason : 'no reason given'}` : null,
  };
}

interface TrackedOrder {
  readonly orderId: string;
  readonly customer: SimCustomer;
  /** When the POST was sent, ms since the epoch. */
  readonly placedAt: number;
  version: number;
  status: string;
  assigned: boolean;
  outcome: 'delivered' | 'failed' | null;
}

/** Subscriptions one `/customer` socket may hold at once (the gateway's default limit is 50). */
const MAX_FOLLOWED = 45;
const PLACE_ATTEMPTS = 4;

class SimCustomer {
  socket: Socket | null = null;
  token = '';
  readonly open = new Map<string, TrackedOrder>();
  constructor(readonly customerId: string) {}
}

export class Customers {
  private readonly customers: SimCustomer[];
  private readonly orders = new Map<string, TrackedOrder>();
  private next = 0;
  private placing = 0;
  /** The final reading is done: views arriving later change nothing. */
  private settled = false;
  private streetNo = 1;

  constructor(
    private readonly ctx: SimContext,
    customerIds: readonly string[],
    private readonly restaurants: readonly SimRestaurant[],
  ) {
    this.customers = customerIds.map((id) => new SimCustomer(id));
  }

  get ids(): readonly string[] {
    return this.customers.map((c) => c.customerId);
  }

  get connectedSockets(): number {
    return this.customers.reduce((n, c) => n + (c.socket?.connected ? 1 : 0), 0);
  }

  /** Orders placed and not yet delivered or failed, plus those being placed. */
  get inFlight(): number {
    let n = this.placing;
    for (const o of this.orders.values()) if (o.outcome === null) n += 1;
    return n;
  }

  /** Connects customer `index`; true once connected. */
  async connect(index: number): Promise<boolean> {
    const { ctx } = this;
    const customer = this.customers[index];
    if (!customer) return false;
    const token = await tokenFor(ctx, { role: 'customer', customerId: customer.customerId });
    if (token === null) return false;
    customer.token = token;
    let everConnected = false;
    const socket = openSocket(ctx.options.url, '/customer', customer.token, ctx.options.timeoutMs, {
      onConnect: () => {
        if (everConnected) {
          ctx.stats.count('reconnects');
          // Follow again what was followed before the drop; the view in the ack catches up on what was missed.
          for (const order of customer.open.values()) void this.subscribe(order);
        }
        everConnected = true;
      },
      onDrop: (reason) => {
        if (!ctx.stopping) ctx.stats.error('SOCKET_DISCONNECT', '/customer', `customer ${customer.customerId}: ${reason}`);
      },
      renewToken: async () => {
        const fresh = await tokenFor(ctx, { role: 'customer', customerId: customer.customerId });
        if (fresh !== null) customer.token = fresh;
        return fresh;
      },
      onConnectError: (e) => {
        if (!ctx.stopping) ctx.stats.error(e.code, 'connect /customer', e.detail);
      },
    });
    socket.on('order:update', (view: unknown) => this.onView(view));
    socket.on('driver:location', () => ctx.stats.count('customerLocations'));
    customer.socket = socket;
    return (await firstConnection(socket)) === null;
  }

  /** Places one order for the next customer (round robin) at a random restaurant; never throws. */
  async placeOne(): Promise<void> {
    const { ctx } = this;
    const { options, rng, stats } = ctx;
    const customer = this.pickCustomer();
    if (!customer) {
      stats.error('NO_CUSTOMER', 'place order', 'no connected customer can follow another order');
      return;
    }
    const restaurant = pick(rng, this.restaurants);
    const itemCount = Math.min(restaurant.items.length, intBetween(rng, 1, 3));
    const items = [...restaurant.items]
      .sort(() => rng() - 0.5)
      .slice(0, itemCount)
      .map((it) => ({ itemId: it.itemId, quantity: intBetween(rng, 1, 2) }));
    const location = randomPointNear(restaurant.location, options.deliveryRadiusKm, options.bounds, rng);
    const body = {
      customerId: customer.customerId,
      restaurantId: restaurant.restaurantId,
      items,
      deliveryAddress: {
        street: `${this.streetNo++} Simulation Way`,
        city: options.city,
        state: 'SIM',
        zipCode: String(10_000 + Math.floor(rng() * 89_999)),
        location: { lat: Math.round(location.lat * 1e6) / 1e6, lng: Math.round(location.lng * 1e6) / 1e6 },
      },
      paymentMethod: rng() < options.cardShare ? 'CARD' : 'CASH_ON_DELIVERY',
    };
    // One key for every attempt: a retry after a lost answer returns the first order instead of placing another.
    const key = randomUUID();
    const placedAt = Date.now();
    this.placing += 1;
    try {
      for (let attempt = 1; ; attempt++) {
        const res = await ctx.http.request('POST', '/v1/orders', { token: customer.token, body, headers: { 'Idempotency-Key': key } });
        if (res.ok) {
          const orderId = (res.body as { orderId?: unknown } | null)?.orderId;
          if (typeof orderId !== 'string') {
            stats.error('MALFORMED_RESPONSE', 'POST /v1/orders', `answered ${res.status} without an orderId`);
            return;
          }
          stats.latency('place', Date.now() - placedAt);
          this.track(customer, orderId, placedAt);
          return;
        }
        stats.error(res.code, 'POST /v1/orders', res.detail);
        if (!isTransient(res.code) || attempt >= PLACE_ATTEMPTS || ctx.stopping) return;
        if (!(await sleep(500 * attempt, ctx.signal))) return;
      }
    } finally {
      this.placing -= 1;
    }
  }

  /**
   * At the end: reads every order still open once more (a push may have been missed), for at most `budgetMs`, then
   * counts those never assigned as failed; assigned ones still on their way stay open. Nothing changes afterwards.
   */
  async settle(budgetMs: number): Promise<void> {
    const { ctx } = this;
    const open = [...this.orders.values()].filter((o) => o.outcome === null);
    const reads = Promise.all(
      open.map(async (order) => {
        const res = await ctx.http.request('GET', `/v1/orders/${encodeURIComponent(order.orderId)}`, { token: order.customer.token });
        if (this.settled) return;
        if (res.ok) this.onView(res.body);
        else ctx.stats.error(res.code, 'GET /v1/orders/{id}', `${order.orderId}: ${res.detail}`);
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([reads, new Promise((resolve) => (timer = setTimeout(resolve, budgetMs)))]);
    clearTimeout(timer);
    this.settled = true;
    for (const order of open) {
      if (order.outcome !== null || order.assigned) continue;
      this.finish(order, 'failed');
      ctx.stats.failure(`NOT_ASSIGNED (still ${order.status} at the end of the run)`);
      ctx.stats.error('ORDER_NOT_ASSIGNED', 'end of run', `order ${order.orderId} was still ${order.status}, without a driver, at the end of the run`);
    }
  }

  close(): void {
    for (const c of this.customers) c.socket?.close();
  }

  private pickCustomer(): SimCustomer | null {
    for (let i = 0; i < this.customers.length; i++) {
      const c = this.customers[(this.next + i) % this.customers.length] as SimCustomer;
      if (c.socket && c.open.size < MAX_FOLLOWED) {
        this.next = (this.next + i + 1) % this.customers.length;
        return c;
      }
    }
    return null;
  }

  private track(customer: SimCustomer, orderId: string, placedAt: number): void {
    const { ctx } = this;
    if (this.orders.has(orderId)) return;
    const order: TrackedOrder = { orderId, customer, placedAt, version: -1, status: 'PLACED', assigned: false, outcome: null };
    this.orders.set(orderId, order);
    customer.open.set(orderId, order);
    ctx.stats.count('ordersPlaced');
    void this.subscribe(order);
    if (ctx.rng() < ctx.options.cancelProbability) void this.cancelLater(order);
  }

  private async subscribe(order: TrackedOrder): Promise<void> {
    const { ctx } = this;
    for (let attempt = 1; order.outcome === null && !ctx.stopping; attempt++) {
      const socket = order.customer.socket;
      if (!socket) return;
      const res = await emitAck(socket, 'order:subscribe', { orderId: order.orderId }, ctx.options.timeoutMs);
      if (res.ok) {
        this.onView(res.ack.order);
        return;
      }
      // Not connected: the reconnection subscribes again.
      if (res.code === 'SOCKET_NOT_CONNECTED') return;
      ctx.stats.error(res.code, 'order:subscribe', res.detail);
      if (!isTransient(res.code) || attempt >= 3) return;
      if (!(await sleep(1_000 * attempt, ctx.signal))) return;
    }
  }

  /** Injected: the customer changes their mind a few seconds in. Refusals (too late to cancel) are expected. */
  private async cancelLater(order: TrackedOrder): Promise<void> {
    const { ctx } = this;
    if (!(await sleep(1_000 + ctx.rng() * 5_000, ctx.signal)) || order.outcome !== null) return;
    const res = await ctx.http.request('POST', `/v1/orders/${encodeURIComponent(order.orderId)}/cancel`, {
      token: order.customer.token,
      body: { reason: 'simulated: the customer changed their mind' },
    });
    if (res.ok) return;
    if (isTransient(res.code)) ctx.stats.error(res.code, 'POST /v1/orders/{id}/cancel', res.detail);
    else ctx.stats.expected(`CANCEL_${res.code}`);
  }

  private onView(raw: unknown): void {
    const facts = factsOf(raw);
    if (!facts || this.settled) return;
    const order = this.orders.get(facts.orderId);
    if (!order || facts.version < order.version) return;
    const { stats } = this.ctx;
    const now = Date.now();
    order.version = facts.version;
    order.status = facts.status;
    if (facts.assigned && !order.assigned) {
      order.assigned = true;
      stats.count('ordersAssigned');
      stats.latency('assign', now - order.placedAt);
    }
    if (order.outcome !== null) return;
    if (facts.delivered) {
      stats.count('ordersDelivered');
      stats.latency('deliver', now - order.placedAt);
      this.finish(order, 'delivered');
    } else if (facts.failure !== null) {
      stats.failure(facts.failure);
      this.finish(order, 'failed');
    }
  }

  private finish(order: TrackedOrder, outcome: 'delivered' | 'failed'): void {
    order.outcome = outcome;
    if (outcome === 'failed') this.ctx.stats.count('ordersFailed');
    order.customer.open.delete(order.orderId);
    const socket = order.customer.socket;
    if (socket?.connected && !this.ctx.stopping) void emitAck(socket, 'order:unsubscribe', { orderId: order.orderId }, this.ctx.options.timeoutMs);
  }
}
