import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OrderView } from '../../../machines/order/view.ts';
import { actorAddress, shardOf } from '../../../actors/address.ts';
import { SHARDS, ask, client, closeAll, codeOf, connect, connected, nextEvent, record, roundRobinBalancer, startGatewaySystem, type GatewaySystem } from './harness.ts';

const latest = (views: readonly OrderView[]) => views.reduce<OrderView | undefined>((a, b) => (a && a.version >= b.version ? a : b), undefined);

describe('gateway graceful shutdown behind a load balancer', () => {
  let sys: GatewaySystem;
  let balancer: Awaited<ReturnType<typeof roundRobinBalancer>>;
  beforeAll(async () => {
    sys = await startGatewaySystem({ workers: 2, gateways: 2 });
    balancer = await roundRobinBalancer([sys.gatewayPort(0), sys.gatewayPort(1)]);
  });
  afterEach(() => closeAll());
  afterAll(async () => {
    sys?.signalWorkers('SIGCONT');
    await balancer?.close();
    await sys?.stop();
  });

  it('given sockets on gateway A with an event in flight, when A stops, then the event is answered and applied, new events are refused, and the clients reconnect to B and end with the latest view', async () => {
    const [portA, portB] = [sys.gatewayPort(0), sys.gatewayPort(1)];
    const restaurant = await sys.seedRestaurant();
    const order = await sys.placeConfirmedOrder(restaurant);

    // The app's rule: (re)subscribe on every connect, keep the view with the highest version.
    const customer = client(balancer.url, '/customer', await order.token);
    const views = record<OrderView>(customer, 'order:update');
    const customerDisconnects = record<string>(customer, 'disconnect');
    customer.on('connect', () => void ask(customer, 'order:subscribe', { orderId: order.orderId }).catch(() => undefined));
    await connected(customer);
    const consoleOnB = await connect(balancer.url, '/restaurant', restaurant.token);
    const consoleOnA = client(balancer.url, '/restaurant', restaurant.token);
    const newsOnA = record<OrderView>(consoleOnA, 'order:new');
    await connected(consoleOnA);
    expect(balancer.connections).toEqual([portA, portB, portA]);
    await expect.poll(() => latest(views)?.status).toBe('CONFIRMED');
    // A's own replay of open orders on connect comes first; only a later `order:new` is B's replay after the move.
    await expect.poll(() => newsOnA.some((v) => v.orderId === order.orderId)).toBe(true);

    // The workers pause, so the accept waits for the order actor inside gateway A while A is told to stop.
    const address = actorAddress('order', order.orderId);
    const inbox = sys.keys.inbox(shardOf(address, SHARDS));
    const lastBefore = (await sys.redis.xrevrange(inbox, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
    sys.signalWorkers('SIGSTOP');
    const accepting = ask(consoleOnA, 'order:accept', { orderId: order.orderId, estimatedReadyTime: new Date(Date.now() + 3600_000).toISOString() });
    // In flight: A has put the accept in the order's inbox (where it waits, unread, for the paused workers).
    await expect
      .poll(async () => (await sys.redis.xrange(inbox, `(${lastBefore}`, '+')).some(([, fields]) => fields.some((f) => f.includes(`"to":"${address}"`))))
      .toBe(true);
    const stopping = sys.stopGateway(0);
    // A drains: it answers what it accepted (the accept, once the workers resume) and refuses anything new meanwhile.
    await expect.poll(async () => codeOf(await ask(customer, 'order:subscribe', { orderId: order.orderId }))).toBe('UNAVAILABLE');
    // B's replay carries the accepted view. The confirmation's own push may still land late (it raced the console's
    // connect to A), so a stale CONFIRMED duplicate is tolerated; the app keeps the highest version.
    const replayOnB = nextEvent<OrderView>(consoleOnA, 'order:new', (v) => v.orderId === order.orderId && v.status === 'ACCEPTED');
    sys.signalWorkers('SIGCONT');

    expect(await accepting).toMatchObject({ ok: true, order: { orderId: order.orderId, status: 'ACCEPTED' } });
    await stopping;

    // Told to go by a closed transport (not a server-side disconnect), so they reconnect — through the balancer, to B.
    await expect.poll(() => customer.connected && consoleOnA.connected, { timeout: 10_000 }).toBe(true);
    expect(customerDisconnects).toEqual(['transport close']);
    expect(balancer.connections.slice(3).every((port) => port === portB)).toBe(true);
    expect((await replayOnB).status).toBe('ACCEPTED');

    // The kitchen moves on while (or right after) the customer re-subscribes on B.
    const preparing = (await ask(consoleOnB, 'order:preparing', { orderId: order.orderId })) as { ok: true; order: OrderView };
    expect(preparing).toMatchObject({ ok: true, order: { status: 'PREPARING' } });
    // Pushes come on status changes (CONTRACT.md); events that change no status (the driver search) are not pushed.
    await expect.poll(() => latest(views)?.status, { timeout: 5_000 }).toBe('PREPARING');
    expect(latest(views)?.version).toBe(preparing.order.version);
  });
});
