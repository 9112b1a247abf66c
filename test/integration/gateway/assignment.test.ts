import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OrderView } from '../../../machines/order/view.ts';
import { ask, closeAll, connect, nextEvent, randomId, startGatewaySystem, type GatewaySystem } from './harness.ts';

interface Assignment {
  offerId?: string;
  orderId: string;
  restaurant?: { restaurantId: string; location: { lat: number; lng: number } };
  dropoff?: { location: { lat: number; lng: number } };
}

describe('a driver app acting on its assignment', () => {
  let sys: GatewaySystem;
  beforeAll(async () => {
    sys = await startGatewaySystem({ workers: 2, gateways: 1 });
  });
  afterEach(() => closeAll());
  afterAll(async () => {
    await sys?.stop();
  });

  it('given a driver next to the restaurant, when it accepts the offer, then `assignment` comes once the order has recorded it, so the first step sent on it is accepted', async () => {
    const restaurant = await sys.seedRestaurant();
    const driverId = randomId('DRV');
    const driver = await connect(sys.gatewayUrl(0), '/driver', await sys.token({ sub: driverId, role: 'driver', driverId }));
    expect(await ask(driver, 'driver:status', { status: 'ONLINE' })).toMatchObject({ ok: true });
    // The harness's restaurant is at 37.77, -122.42: about 20 m away.
    expect(await ask(driver, 'driver:location', { lat: 37.7701, lng: -122.4201, at: new Date().toISOString() })).toMatchObject({ ok: true });

    const order = await sys.placeConfirmedOrder(restaurant);
    const offer = nextEvent<{ offerId: string; orderId: string }>(driver, 'offer', (o) => o.orderId === order.orderId, 15_000);
    // The driver app's rule: start the trip the moment `assignment` arrives.
    const firstStep = nextEvent<Assignment>(driver, 'assignment', (a) => a.orderId === order.orderId, 15_000).then(async (assignment) => ({
      assignment,
      patch: await sys.call('PATCH', `/v1/drivers/${driverId}/orders/${order.orderId}`, {
        token: await sys.token({ sub: driverId, role: 'driver', driverId }),
        body: { status: 'EN_ROUTE_TO_RESTAURANT', timestamp: new Date().toISOString() },
      }),
    }));
    const accepted = await sys.call('POST', `/v1/restaurants/${restaurant.restaurantId}/orders/${order.orderId}`, {
      token: restaurant.token,
      body: { action: 'ACCEPT', estimatedReadyTime: new Date(Date.now() + 20 * 60_000).toISOString() },
    });
    expect(accepted.status).toBe(200);

    const { offerId } = await offer;
    expect(await ask(driver, 'offer:accept', { offerId })).toMatchObject({ ok: true, offerId, orderId: order.orderId });

    const { assignment, patch } = await firstStep;
    expect(assignment).toEqual({
      offerId,
      orderId: order.orderId,
      restaurant: { restaurantId: restaurant.restaurantId, location: { lat: 37.77, lng: -122.42 } },
      dropoff: { location: { lat: 37.77, lng: -122.41 } },
    });
    expect(patch.status).toBe(204);
    const view: OrderView = await sys.view(order.orderId);
    expect(view).toMatchObject({ driverId, status: 'EN_ROUTE_TO_RESTAURANT' });
  });
});
