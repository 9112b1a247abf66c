// One simulated restaurant console: `/restaurant` socket, `order:new` in, the kitchen's steps out — accept (or, when
// injected, reject), preparing, ready after the prep time — over the socket events, or over REST when the socket
// does not offer them.
import type { Socket } from 'socket.io-client';
import { sleep, tokenFor, type SimContext } from './context.ts';
import type { SimRestaurant } from './setup.ts';
import { emitAck, firstConnection, openSocket } from './sockets.ts';
import { isTransient, type WireError } from './wire.ts';

type KitchenAction = 'ACCEPT' | 'REJECT' | 'PREPARING' | 'READY';

const SOCKET_EVENT: Record<KitchenAction, string> = { ACCEPT: 'order:accept', REJECT: 'order:reject', PREPARING: 'order:preparing', READY: 'order:ready' };

/** Where an order is in the kitchen, from its view's timeline (the status itself may show the driver's track). */
export type KitchenStage = 'new' | 'accepted' | 'preparing' | 'done';

export function kitchenStageOf(view: { status?: unknown; timeline?: unknown }): KitchenStage {
  const reached = new Set(Array.isArray(view.timeline) ? view.timeline.map((t) => (t as { status?: unknown } | null)?.status) : []);
  reached.add(view.status);
  const over = ['READY_FOR_PICKUP', 'PICKED_UP', 'EN_ROUTE_TO_CUSTOMER', 'AT_CUSTOMER', 'DELIVERED', 'SETTLED', 'CANCELLED', 'REJECTED'];
  if (over.some((s) => reached.has(s))) return 'done';
  if (reached.has('PREPARING')) return 'preparing';
  if (reached.has('ACCEPTED')) return 'accepted';
  return 'new';
}

const ACTION_ATTEMPTS = 5;

export class RestaurantConsole {
  private socket: Socket | null = null;
  private token = '';
  /** Switched on once the socket answered that it has no such event. */
  private viaRest = false;
  /** Orders in the kitchen: being cooked, done, or stalled (a step failed; a replay on reconnect picks it up again). */
  private readonly orders = new Map<string, 'cooking' | 'done' | 'stalled'>();

  constructor(
    private readonly ctx: SimContext,
    readonly restaurant: SimRestaurant,
  ) {}

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  async connect(): Promise<boolean> {
    const { ctx } = this;
    const token = await tokenFor(ctx, { role: 'restaurant', restaurantId: this.restaurant.restaurantId });
    if (token === null) return false;
    this.token = token;
    let everConnected = false;
    const socket = openSocket(ctx.options.url, '/restaurant', this.token, ctx.options.timeoutMs, {
      onConnect: () => {
        if (everConnected) ctx.stats.count('reconnects');
        everConnected = true;
      },
      onDrop: (reason) => {
        if (!ctx.stopping) ctx.stats.error('SOCKET_DISCONNECT', '/restaurant', `restaurant ${this.restaurant.restaurantId}: ${reason}`);
      },
      onConnectError: (e) => {
        if (!ctx.stopping) ctx.stats.error(e.code, 'connect /restaurant', e.detail);
      },
      renewToken: async () => {
        const fresh = await tokenFor(ctx, { role: 'restaurant', restaurantId: this.restaurant.restaurantId });
        if (fresh !== null) this.token = fresh;
        return fresh;
      },
    });
    socket.on('order:new', (view: unknown) => this.onOrder(view));
    this.socket = socket;
    return (await firstConnection(socket)) === null;
  }

  close(): void {
    this.socket?.close();
  }

  /** A new order (or one replayed on reconnect): picked up where its timeline says the kitchen is. */
  private onOrder(raw: unknown): void {
    const view = raw as { orderId?: unknown; status?: unknown; timeline?: unknown } | null;
    if (typeof view?.orderId !== 'string') {
      this.ctx.stats.error('MALFORMED_PUSH', 'order:new', `${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    const orderId = view.orderId;
    const known = this.orders.get(orderId);
    if (known === 'cooking' || known === 'done') return;
    if (known === undefined) this.ctx.stats.count('kitchenOrders');
    this.orders.set(orderId, 'cooking');
    void this.cook(orderId, kitchenStageOf(view)).then((done) => this.orders.set(orderId, done ? 'done' : 'stalled'));
  }

  /** The kitchen's steps from `stage` on; false when one of them could not be done. */
  private async cook(orderId: string, stage: KitchenStage): Promise<boolean> {
    const { options, rng, signal } = this.ctx;
    if (stage === 'done') return true;
    if (stage === 'new') {
      if (!(await sleep(options.restaurantDelayMs, signal))) return false;
      if (rng() < options.rejectProbability) return this.act(orderId, 'REJECT');
      if (!(await this.act(orderId, 'ACCEPT'))) return false;
    }
    const readyAt = Date.now() + options.prepS * 1000;
    if (stage !== 'preparing' && !(await this.act(orderId, 'PREPARING'))) return false;
    if (!(await sleep(Math.max(0, readyAt - Date.now()), signal))) return false;
    if (!(await this.act(orderId, 'READY'))) return false;
    this.ctx.stats.count('kitchenReady');
    return true;
  }

  /**
   * One kitchen step; true when it was done (or had been done already: ALREADY_ACCEPTED, or INVALID_TRANSITION after
   * an attempt whose answer was lost).
   */
  private async act(orderId: string, action: KitchenAction): Promise<boolean> {
    const { ctx } = this;
    let uncertain = false;
    for (let attempt = 1; !ctx.stopping; attempt++) {
      const outcome = this.viaRest ? await this.rest(orderId, action) : await this.emit(orderId, action);
      if (outcome === null) return true;
      if (outcome.code === 'ALREADY_ACCEPTED' || (uncertain && outcome.code === 'INVALID_TRANSITION')) {
        ctx.stats.expected(outcome.code === 'ALREADY_ACCEPTED' ? 'ALREADY_ACCEPTED' : 'KITCHEN_STEP_ALREADY_APPLIED');
        return true;
      }
      if (isTransient(outcome.code) && attempt < ACTION_ATTEMPTS) {
        if (outcome.code !== 'SOCKET_NOT_CONNECTED') {
          ctx.stats.error(outcome.code, `kitchen ${action}`, outcome.detail);
          uncertain = true;
        }
        if (!(await sleep(1_000 * attempt, ctx.signal))) return false;
        continue;
      }
      if (outcome.code === 'INVALID_TRANSITION' && ctx.options.cancelProbability > 0) ctx.stats.expected('KITCHEN_ORDER_CANCELLED');
      else ctx.stats.error(outcome.code, `kitchen ${action}`, `${orderId}: ${outcome.detail}`);
      return false;
    }
    return false;
  }

  private async emit(orderId: string, action: KitchenAction): Promise<WireError | null> {
    if (!this.socket) return { code: 'SOCKET_NOT_CONNECTED', detail: 'no socket' };
    const payload =
      action === 'ACCEPT'
        ? { orderId, estimatedReadyTime: new Date(Date.now() + this.ctx.options.prepS * 1000).toISOString() }
        : action === 'REJECT'
          ? { orderId, reason: 'simulated: the kitchen is too busy' }
          : { orderId };
    const res = await emitAck(this.socket, SOCKET_EVENT[action], payload, this.ctx.options.timeoutMs);
    if (res.ok) return null;
    if (res.code !== 'NOT_FOUND') return res;
    // NOT_FOUND is the socket's answer to an event it does not have — or to an order it does not know. REST decides.
    const viaRest = await this.rest(orderId, action);
    if (viaRest === null) {
      this.viaRest = true;
      this.ctx.stats.expected('SOCKET_EVENT_MISSING');
    }
    return viaRest;
  }

  private async rest(orderId: string, action: KitchenAction): Promise<WireError | null> {
    const body =
      action === 'ACCEPT'
        ? { action, estimatedReadyTime: new Date(Date.now() + this.ctx.options.prepS * 1000).toISOString() }
        : action === 'REJECT'
          ? { action, reason: 'simulated: the kitchen is too busy' }
          : { action };
    const path = `/v1/restaurants/${encodeURIComponent(this.restaurant.restaurantId)}/orders/${encodeURIComponent(orderId)}`;
    const res = await this.ctx.http.request('POST', path, { token: this.token, body });
    return res.ok ? null : res;
  }
}
