import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OfferDetails, OfferPush } from '../../../machines/dispatch/protocol.ts';
import pg from 'pg';
import { ORDER_STREAM_LOCK_CLASS } from '../../../src/orders/event-store/index.ts';
import { ask, client, closeAll, connected, nextEvent, record, startGatewaySystem, type GatewaySystem } from './harness.ts';

/**
 * A driver app's socket reconnects all the time (phones change networks): on connect the gateway shows it again what
 * its driver actor holds — a pending offer, a trip — whichever gateway the new socket lands on. Each test leaves no
 * AVAILABLE driver or open search behind, so the other's dispatch cannot pick its driver, in whatever order they run.
 */
describe('a driver app reconnecting', () => {
  let sys: GatewaySystem;
  beforeAll(async () => {
    sys = await startGatewaySystem({ workers: 2, gateways: 2 });
  });
  afterEach(() => closeAll());
  afterAll(async () => {
    await sys?.stop();
  });

  /** An order the restaurant accepts (which starts the driver search); resolves with the `offer` the driver got. */
  async function offeredOrder(driver: Awaited<ReturnType<GatewaySystem['onlineDriverNextToRestaurant']>>) {
    const restaurant = await sys.seedRestaurant();
    const order = await sys.placeConfirmedOrder(restaurant);
    const offer = nextEvent<OfferPush>(driver.socket, 'offer', (o) => o.orderId === order.orderId, 15_000);
    await sys.acceptOrder(restaurant, order.orderId);
    return { order, offer: await offer };
  }

  /** Drops the driver's socket and connects a new one with the same token to the other gateway, listening from the start. */
  async function reconnect(driver: { token: string; socket: { close(): unknown } }, event: string, orderId: string) {
    driver.socket.close();
    const again = client(sys.gatewayUrl(1), '/driver', driver.token);
    const replayed = nextEvent<{ orderId: string }>(again, event, (p) => p.orderId === orderId, 10_000);
    await connected(again);
    return { socket: again, replayed: await replayed };
  }

  it('given a driver on a trip, when its socket drops and a new one connects with the same token, then the new socket gets `assignment` for that order again', async () => {
    const driver = await sys.onlineDriverNextToRestaurant();
    const { order, offer } = await offeredOrder(driver);
    const assigned = nextEvent<OfferDetails>(driver.socket, 'assignment', (a) => a.orderId === order.orderId, 15_000);
    expect(await ask(driver.socket, 'offer:accept', { offerId: offer.offerId })).toMatchObject({ ok: true, offerId: offer.offerId });
    const original = await assigned;

    const { replayed } = await reconnect(driver, 'assignment', order.orderId);
    expect(replayed).toEqual(original);
    expect(replayed).toEqual({
      offerId: offer.offerId,
      orderId: order.orderId,
      restaurant: offer.restaurant,
      dropoff: offer.dropoff,
    });
  });

  it('given a driver who accepted while its order cannot record the assignment yet, when it reconnects, then `assignment` comes only once the order has recorded it', async () => {
    const driver = await sys.onlineDriverNextToRestaurant();
    const { order, offer } = await offeredOrder(driver);
    // Hold the order stream's lock (what the event store takes in every commit): the order cannot record the driver.
    const blocker = new pg.Client({ connectionString: sys.databaseUrl });
    await blocker.connect();
    await blocker.query('SELECT pg_advisory_lock($1, hashtext($2))', [ORDER_STREAM_LOCK_CLASS, order.orderId]);
    try {
      expect(await ask(driver.socket, 'offer:accept', { offerId: offer.offerId })).toMatchObject({ ok: true, offerId: offer.offerId });
      driver.socket.close();
      const again = client(sys.gatewayUrl(1), '/driver', driver.token);
      const assignments = record<OfferDetails>(again, 'assignment');
      await connected(again);
      // A ping on the new socket reaches the driver actor behind the connect's GetCurrentWork: once it is acked, the
      // actor's answer to that query has reached the gateway (an early replay would have come before this ack).
      expect(await ask(again, 'driver:location', { lat: 37.7701, lng: -122.4201, at: new Date().toISOString() })).toMatchObject({ ok: true });
      expect(assignments).toEqual([]);
      expect((await sys.view(order.orderId)).driverId).toBeNull();

      await blocker.query('SELECT pg_advisory_unlock($1, hashtext($2))', [ORDER_STREAM_LOCK_CLASS, order.orderId]);
      await expect.poll(() => assignments.length, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(assignments[0]).toMatchObject({ offerId: offer.offerId, orderId: order.orderId });
      expect((await sys.view(order.orderId)).driverId).toBe(driver.driverId);
    } finally {
      await blocker.end();
    }
  });

  it('given a driver holding a pending offer, when its socket drops and a new one connects within the offer window, then the new socket gets the same `offer` and can answer it', async () => {
    const driver = await sys.onlineDriverNextToRestaurant();
    const { order, offer } = await offeredOrder(driver);

    const { socket, replayed } = await reconnect(driver, 'offer', order.orderId);
    expect(replayed).toEqual(offer);
    expect(await ask(socket, 'offer:decline', { offerId: offer.offerId })).toMatchObject({ ok: true, offerId: offer.offerId });

    // Leave nothing behind: no open search for the other test's driver, and this driver not AVAILABLE.
    expect((await sys.call('POST', `/v1/orders/${order.orderId}/cancel`, { token: order.token, body: { reason: 'test done' } })).status).toBe(200);
    expect(await ask(socket, 'driver:status', { status: 'OFFLINE' })).toMatchObject({ ok: true, status: 'OFFLINE' });
  });
});
