import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OrderView } from '../../../machines/order/view.ts';
import { ask, client, closeAll, codeOf, connect, nextEvent, record, sleep, startGatewaySystem, type GatewaySystem } from './harness.ts';

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

/** The view a client ends with: the highest version it received. */
const latest = (views: readonly OrderView[]) => views.reduce<OrderView | undefined>((a, b) => (a && a.version >= b.version ? a : b), undefined);

/** What a client shows of a view: everything but the stream version. */
const seen = (view: OrderView | undefined) => {
  if (!view) return undefined;
  const { version: _version, ...shown } = view;
  return shown;
};

describe('gateways: orders over sockets, two gateways sharing Redis', () => {
  let sys: GatewaySystem;
  const A = 0;
  const B = 1;
  beforeAll(async () => {
    sys = await startGatewaySystem({ workers: 2, gateways: 2 });
  });
  afterEach(() => closeAll());
  afterAll(async () => {
    await sys?.stop();
  });

  it('given the customer on gateway A and on gateway B, when the restaurant (on B) accepts, then both sockets get the ACCEPTED view', async () => {
    const restaurant = await sys.seedRestaurant();
    const order = await sys.placeConfirmedOrder(restaurant);
    const onA = await connect(sys.gatewayUrl(A), '/customer', await order.token);
    const onB = await connect(sys.gatewayUrl(B), '/customer', await order.token);

    for (const socket of [onA, onB]) {
      const ack = await ask(socket, 'order:subscribe', { orderId: order.orderId });
      expect(ack).toMatchObject({ ok: true, order: { orderId: order.orderId, status: 'CONFIRMED' } });
    }
    const acceptedOnA = nextEvent<OrderView>(onA, 'order:update', (v) => v.status === 'ACCEPTED');
    const acceptedOnB = nextEvent<OrderView>(onB, 'order:update', (v) => v.status === 'ACCEPTED');

    const console = await connect(sys.gatewayUrl(B), '/restaurant', restaurant.token);
    const ack = await ask(console, 'order:accept', { orderId: order.orderId, estimatedReadyTime: inAnHour() });
    expect(ack).toMatchObject({ ok: true, order: { orderId: order.orderId, status: 'ACCEPTED' } });

    expect((await acceptedOnA).orderId).toBe(order.orderId);
    expect((await acceptedOnB).orderId).toBe(order.orderId);
  });

  it('given consoles of the restaurant on both gateways, when an order is confirmed, then the worker’s order:new reaches both', async () => {
    const restaurant = await sys.seedRestaurant();
    const consoles = [await connect(sys.gatewayUrl(A), '/restaurant', restaurant.token), await connect(sys.gatewayUrl(B), '/restaurant', restaurant.token)];
    const seen = consoles.map((c) => record<OrderView>(c, 'order:new'));

    const order = await sys.placeConfirmedOrder(restaurant);

    for (const views of seen) {
      await expect.poll(() => views.map((v) => v.orderId), { timeout: 5_000 }).toContain(order.orderId);
      expect(views.find((v) => v.orderId === order.orderId)?.status).toBe('CONFIRMED');
    }
  });

  it('given orders confirmed before the console connected, when it connects, then it gets order:new for each open one (not for a rejected one)', async () => {
    const restaurant = await sys.seedRestaurant();
    const confirmed = await sys.placeConfirmedOrder(restaurant);
    const accepted = await sys.placeConfirmedOrder(restaurant);
    const rejected = await sys.placeConfirmedOrder(restaurant);
    const first = await connect(sys.gatewayUrl(A), '/restaurant', restaurant.token);
    expect(await ask(first, 'order:accept', { orderId: accepted.orderId, estimatedReadyTime: inAnHour() })).toMatchObject({ ok: true });
    expect(await ask(first, 'order:reject', { orderId: rejected.orderId, reason: 'Out of dough' })).toMatchObject({ ok: true, order: { status: 'REJECTED' } });
    first.close();

    // Listen before connecting: the replay is sent right after the handshake.
    const socket = client(sys.gatewayUrl(B), '/restaurant', restaurant.token, { autoConnect: false });
    const replayed = record<OrderView>(socket, 'order:new');
    socket.connect();

    await expect.poll(() => replayed.map((v) => v.orderId).sort(), { timeout: 5_000 }).toEqual([confirmed.orderId, accepted.orderId].sort());
    expect(replayed.find((v) => v.orderId === accepted.orderId)?.status).toBe('ACCEPTED');
    await sleep(300);
    expect(replayed.map((v) => v.orderId)).not.toContain(rejected.orderId);
  });

  it('given another customer’s order, when a customer subscribes to it, then FORBIDDEN (NOT_FOUND for an unknown order), nothing joined, still connected', async () => {
    const restaurant = await sys.seedRestaurant();
    const order = await sys.placeConfirmedOrder(restaurant);
    const stranger = sys.customer();
    const socket = await connect(sys.gatewayUrl(A), '/customer', await stranger.token);
    const updates = record<OrderView>(socket, 'order:update');

    expect(codeOf(await ask(socket, 'order:subscribe', { orderId: order.orderId }))).toBe('FORBIDDEN');
    expect(await ask(socket, 'order:subscribe', { orderId: 'ORD-does-not-exist' })).toEqual({
      errors: [{ status: '404', code: 'NOT_FOUND', detail: expect.any(String) as string }],
    });

    const console = await connect(sys.gatewayUrl(B), '/restaurant', restaurant.token);
    expect(await ask(console, 'order:accept', { orderId: order.orderId, estimatedReadyTime: inAnHour() })).toMatchObject({ ok: true });
    await sleep(500);
    expect(updates).toEqual([]);
    expect(socket.connected).toBe(true);
  });

  it('given an accepted order, when the console accepts it again or another restaurant acts on it, then ALREADY_ACCEPTED and NOT_FOUND acks, and the order is unchanged', async () => {
    const restaurant = await sys.seedRestaurant();
    const other = await sys.seedRestaurant();
    const order = await sys.placeConfirmedOrder(restaurant);
    const console = await connect(sys.gatewayUrl(A), '/restaurant', restaurant.token);
    const otherConsole = await connect(sys.gatewayUrl(B), '/restaurant', other.token);

    const accepted = await ask(console, 'order:accept', { orderId: order.orderId, estimatedReadyTime: inAnHour() });
    expect(accepted).toMatchObject({ ok: true, order: { status: 'ACCEPTED' } });
    expect(codeOf(await ask(console, 'order:accept', { orderId: order.orderId, estimatedReadyTime: inAnHour() }))).toBe('ALREADY_ACCEPTED');
    expect(codeOf(await ask(otherConsole, 'order:preparing', { orderId: order.orderId }))).toBe('NOT_FOUND');

    expect(await ask(console, 'order:preparing', { orderId: order.orderId })).toMatchObject({ ok: true, order: { status: 'PREPARING' } });
    expect(await ask(console, 'order:ready', { orderId: order.orderId })).toMatchObject({ ok: true, order: { status: 'READY_FOR_PICKUP' } });
    expect((await sys.view(order.orderId)).status).toBe('READY_FOR_PICKUP');
  });

  it('given a subscribed customer, when it reconnects (to the other gateway) while the restaurant changes the status, then it ends with the latest view', async () => {
    const restaurant = await sys.seedRestaurant();
    const order = await sys.placeConfirmedOrder(restaurant);
    const console = await connect(sys.gatewayUrl(B), '/restaurant', restaurant.token);
    const token = await order.token;
    const steps: Array<[string, Record<string, string>]> = [
      ['order:accept', { orderId: order.orderId, estimatedReadyTime: inAnHour() }],
      ['order:preparing', { orderId: order.orderId }],
      ['order:ready', { orderId: order.orderId }],
    ];
    const views: OrderView[] = [];
    let gateway = A;
    for (const [event, payload] of steps) {
      // The app's rule: (re)subscribe on every connect, keep the view with the highest version.
      const socket = client(sys.gatewayUrl(gateway), '/customer', token, { autoConnect: false });
      socket.on('order:update', (v: OrderView) => views.push(v));
      socket.on('connect', () => void ask(socket, 'order:subscribe', { orderId: order.orderId }));
      // The status changes while the client is connecting and subscribing.
      const [ack] = await Promise.all([ask(console, event, payload), Promise.resolve(socket.connect())]);
      expect(ack).toMatchObject({ ok: true });
      // Events clients do not see (a failed driver search, say) raise the version without a push, so the client's
      // view is compared with the latest one apart from its version.
      const expected = await sys.view(order.orderId);
      await expect.poll(() => seen(latest(views)), { timeout: 5_000 }).toEqual(seen(expected));
      socket.close();
      gateway = gateway === A ? B : A;
    }
    expect(latest(views)?.status).toBe('READY_FOR_PICKUP');
  });

  it('given an ops socket, when it watches an order actor, then it gets the inspection in the ack and `actor` every second until it unwatches', async () => {
    const restaurant = await sys.seedRestaurant();
    const order = await sys.placeConfirmedOrder(restaurant);
    const opsToken = await sys.token({ sub: 'ops-1', role: 'ops' });
    const ops = client(sys.gatewayUrl(A), '/ops', opsToken, { autoConnect: false });
    const cluster = nextEvent<{ shardCount: number }>(ops, 'cluster');
    ops.connect();
    expect((await cluster).shardCount).toBe(16);
    const actors = record<{ address: string; state: string | null }>(ops, 'actor');

    const address = `order:${order.orderId}`;
    expect(await ask(ops, 'actor:watch', { address })).toMatchObject({ ok: true, actor: { address, state: 'CONFIRMED' } });
    expect(codeOf(await ask(ops, 'actor:watch', { address: 'not an address' }))).toBe('VALIDATION_FAILED');
    expect(codeOf(await ask(ops, 'actor:watch', { address: 'nosuchkind:X-1' }))).toBe('NOT_FOUND');

    const console = await connect(sys.gatewayUrl(B), '/restaurant', restaurant.token);
    await ask(console, 'order:accept', { orderId: order.orderId, estimatedReadyTime: inAnHour() });
    await expect.poll(() => actors.filter((a) => a.address === address && a.state === 'ACCEPTED').length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(actors.length).toBeGreaterThanOrEqual(1);

    expect(await ask(ops, 'actor:unwatch', { address })).toEqual({ ok: true, address });
    await sleep(300);
    const seen = actors.length;
    await sleep(1_500);
    expect(actors.length).toBe(seen);
  });
});
