import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OfferDetails, OfferPush } from '../../../machines/dispatch/protocol.ts';
import type { OrderView } from '../../../machines/order/view.ts';
import { ask, closeAll, nextEvent, startGatewaySystem, type GatewaySystem } from './harness.ts';

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
    const { driverId, token, socket: driver } = await sys.onlineDriverNextToRestaurant();

    const order = await sys.placeConfirmedOrder(restaurant);
    const offer = nextEvent<OfferPush>(driver, 'offer', (o) => o.orderId === order.orderId, 15_000);
    // The driver app's rule: start the trip the moment `assignment` arrives.
    const firstStep = nextEvent<OfferDetails>(driver, 'assignment', (a) => a.orderId === order.orderId, 15_000).then(async (assignment) => ({
      assignment,
      patch: await sys.call('PATCH', `/v1/drivers/${driverId}/orders/${order.orderId}`, {
        token,
        body: { status: 'EN_ROUTE_TO_RESTAURANT', timestamp: new Date().toISOString() },
      }),
    }));
    await sys.acceptOrder(restaurant, order.orderId);

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
