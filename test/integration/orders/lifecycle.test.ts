import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorAddress } from '../../../actors/address.ts';
import { randomId, startTestSystem, type PlacedOrder, type SeededRestaurant, type TestSystem } from '../../support/system.ts';
import { errorBody, errorWithDetail } from './errors.ts';

let system: TestSystem;
let restaurant: SeededRestaurant;

beforeAll(async () => {
  system = await startTestSystem();
  restaurant = await system.seedRestaurant();
});
afterAll(async () => {
  await system?.stop();
});

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

/** POST /v1/restaurants/{restaurantId}/orders/{orderId} as `token` (default: the seeded restaurant's). */
function act(orderId: string, body: unknown, options: { token?: string; restaurantId?: string } = {}) {
  return system.call('POST', `/v1/restaurants/${options.restaurantId ?? restaurant.restaurantId}/orders/${orderId}`, {
    token: options.token ?? restaurant.token,
    body,
  });
}

const accept = (orderId: string) => act(orderId, { action: 'ACCEPT', estimatedReadyTime: inMinutes(20) });

/** A confirmed order (cash unless told otherwise). */
async function confirmedOrder(paymentMethod: 'CARD' | 'CASH_ON_DELIVERY' = 'CASH_ON_DELIVERY'): Promise<PlacedOrder> {
  const placed = await system.placeOrder({ restaurant, paymentMethod });
  await system.waitForStatus(placed.orderId, 'CONFIRMED');
  return placed;
}

/** A confirmed, accepted order assigned to `driverId` by (played) dispatch. */
async function assignedOrder(driverId: string, paymentMethod: 'CARD' | 'CASH_ON_DELIVERY' = 'CARD'): Promise<PlacedOrder> {
  const placed = await confirmedOrder(paymentMethod);
  expect((await accept(placed.orderId)).status).toBe(200);
  await system.actors.tell(actorAddress('order', placed.orderId), { type: 'AssignDriver', driverId });
  await system.waitForStatus(placed.orderId, 'ASSIGNED');
  return placed;
}

/** Events the order's own commands appended; a driver search (no drivers are online) may report back at any time. */
async function eventCount(orderId: string): Promise<number> {
  return (await system.eventTypes(orderId)).filter((t) => t !== 'DispatchFailed' && t !== 'DispatchEscalated').length;
}

describe('restaurant actions', () => {
  it('given a confirmed order, when its restaurant accepts, then 200 { status ACCEPTED, acceptedAt, estimatedReadyTime } and the order is ACCEPTED', async () => {
    const { orderId } = await confirmedOrder();
    const readyAt = inMinutes(25);

    const res = await act(orderId, { action: 'ACCEPT', estimatedReadyTime: readyAt });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ACCEPTED', acceptedAt: expect.stringMatching(ISO), estimatedReadyTime: readyAt });
    const view = await system.view(orderId);
    expect(view).toMatchObject({ status: 'ACCEPTED', estimatedReadyTime: readyAt });
    // (A driver search with no drivers online may report back afterwards; it is not this command's doing.)
    expect((await system.eventTypes(orderId)).slice(0, 4)).toEqual(['OrderPlaced', 'OrderConfirmed', 'OrderAcceptedByRestaurant', 'DriverSearchStarted']);
  });

  it('given an accepted order, when the restaurant accepts again, then 409 ALREADY_ACCEPTED and nothing is appended', async () => {
    const { orderId } = await confirmedOrder();
    expect((await accept(orderId)).status).toBe(200);
    const before = await eventCount(orderId);

    const res = await accept(orderId);

    expect(res.status).toBe(409);
    expect(res.body).toEqual(errorBody(409, 'ALREADY_ACCEPTED'));
    expect(await eventCount(orderId)).toBe(before);
  });

  it('given a confirmed order, when two ACCEPTs race, then exactly one is 200 and the other 409 ALREADY_ACCEPTED', async () => {
    const { orderId } = await confirmedOrder();

    const results = await Promise.all([accept(orderId), accept(orderId)]);

    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)?.body).toEqual(errorBody(409, 'ALREADY_ACCEPTED'));
    const types = await system.eventTypes(orderId);
    expect(types.filter((t) => t === 'OrderAcceptedByRestaurant')).toHaveLength(1);
  });

  it('given an accepted order, when the kitchen reports PREPARING then READY, then each is 200 and the order ends READY_FOR_PICKUP', async () => {
    const { orderId } = await confirmedOrder();
    expect((await accept(orderId)).status).toBe(200);

    const preparing = await act(orderId, { action: 'PREPARING' });
    const afterPreparing = (await system.view(orderId)).status;
    const ready = await act(orderId, { action: 'READY' });

    expect(preparing.status).toBe(200);
    expect(preparing.body).toMatchObject({ orderId, status: 'PREPARING' });
    expect(afterPreparing).toBe('PREPARING');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ orderId, status: 'READY_FOR_PICKUP' });
    const view = await system.view(orderId);
    expect(view.timeline.map((t) => t.status)).toEqual(['PLACED', 'CONFIRMED', 'ACCEPTED', 'PREPARING', 'READY_FOR_PICKUP']);
  });

  it('given a confirmed card order, when the restaurant rejects it with a reason, then 200 REJECTED with the reason and the authorisation is refunded', async () => {
    const placed = await confirmedOrder('CARD');

    const res = await act(placed.orderId, { action: 'REJECT', reason: 'Out of mozzarella' });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'REJECTED', rejection: { reason: 'Out of mozzarella', at: expect.stringMatching(ISO) } });
    const view = await system.view(placed.orderId);
    expect(view.status).toBe('REJECTED');
    const types = await system.eventTypes(placed.orderId);
    expect(types.slice(-2)).toEqual(['OrderRejectedByRestaurant', 'RefundInitiated']);
  });

  it.each([
    ['ACCEPT without estimatedReadyTime', { action: 'ACCEPT' }],
    ['ACCEPT with a time that is not ISO-8601', { action: 'ACCEPT', estimatedReadyTime: 'in 20 minutes' }],
    ['REJECT without a reason', { action: 'REJECT' }],
    ['an unknown action', { action: 'COOK' }],
    ['no action', {}],
  ])('given a confirmed order, when the restaurant sends %s, then 400 VALIDATION_FAILED and nothing is appended', async (_name, body) => {
    const { orderId } = await confirmedOrder();
    const before = await eventCount(orderId);

    const res = await act(orderId, body);

    expect(res.status).toBe(400);
    expect(res.body).toEqual(errorBody(400, 'VALIDATION_FAILED'));
    expect(await eventCount(orderId)).toBe(before);
  });

  it("given another restaurant's token, when it acts on this restaurant's path, then 403 FORBIDDEN", async () => {
    const { orderId } = await confirmedOrder();
    expect((await accept(orderId)).status).toBe(200);
    const other = await system.token('restaurant', { restaurantId: randomId('REST') });

    const res = await act(orderId, { action: 'PREPARING' }, { token: other });

    expect(res.status).toBe(403);
    expect(res.body).toEqual(errorBody(403, 'FORBIDDEN'));
    expect((await system.view(orderId)).status).toBe('ACCEPTED');
  });

  it('given a customer token, when it tries a restaurant action, then 403 FORBIDDEN', async () => {
    const placed = await confirmedOrder();

    const res = await act(placed.orderId, { action: 'ACCEPT', estimatedReadyTime: inMinutes(20) }, { token: placed.customerToken });

    expect(res.status).toBe(403);
    expect(res.body).toEqual(errorBody(403, 'FORBIDDEN'));
    expect((await system.view(placed.orderId)).status).toBe('CONFIRMED');
  });

  it("given another restaurant acting on its own path, when the order belongs to this restaurant, then 404 NOT_FOUND", async () => {
    const { orderId } = await confirmedOrder();
    const other = await system.seedRestaurant();

    const res = await act(orderId, { action: 'ACCEPT', estimatedReadyTime: inMinutes(20) }, { token: other.token, restaurantId: other.restaurantId });

    expect(res.status).toBe(404);
    expect(res.body).toEqual(errorBody(404, 'NOT_FOUND'));
    expect((await system.view(orderId)).status).toBe('CONFIRMED');
  });

  it('given a confirmed order, when the restaurant marks it READY before accepting, then 409 INVALID_TRANSITION and nothing is appended', async () => {
    const { orderId } = await confirmedOrder();
    const before = await eventCount(orderId);

    const res = await act(orderId, { action: 'READY' });

    expect(res.status).toBe(409);
    expect(res.body).toEqual(errorBody(409, 'INVALID_TRANSITION'));
    expect(await eventCount(orderId)).toBe(before);
  });

  it('given an order id nobody placed, when the restaurant accepts it, then 404 NOT_FOUND', async () => {
    const res = await accept(randomId('ORD'));

    expect(res.status).toBe(404);
    expect(res.body).toEqual(errorBody(404, 'NOT_FOUND'));
  });
});

describe('driver steps', () => {
  const drive = (driverToken: string, driverId: string, orderId: string, status: string) =>
    system.call('PATCH', `/v1/drivers/${driverId}/orders/${orderId}`, { token: driverToken, body: { status, timestamp: new Date().toISOString() } });

  it('given an assigned card order, when the driver walks every step, then each is 204 and the order ends DELIVERED then SETTLED by the card capture', async () => {
    const driverId = randomId('DRV');
    const { orderId } = await assignedOrder(driverId, 'CARD');
    const token = await system.token('driver', { driverId });
    const seen: string[] = [];
    const step = async (status: string) => {
      const res = await drive(token, driverId, orderId, status);
      expect(res.status, `${status}: ${JSON.stringify(res.body)}`).toBe(204);
      seen.push((await system.view(orderId)).status);
    };

    await step('EN_ROUTE_TO_RESTAURANT');
    await step('AT_RESTAURANT');
    expect((await act(orderId, { action: 'PREPARING' })).status).toBe(200);
    expect((await act(orderId, { action: 'READY' })).status).toBe(200);
    await step('PICKED_UP');
    await step('EN_ROUTE_TO_CUSTOMER');
    await step('AT_CUSTOMER');
    await step('DELIVERED');

    expect(seen).toEqual(['EN_ROUTE_TO_RESTAURANT', 'AT_RESTAURANT', 'PICKED_UP', 'EN_ROUTE_TO_CUSTOMER', 'AT_CUSTOMER', expect.stringMatching(/^(DELIVERED|SETTLED)$/)]);
    const settled = await system.waitForStatus(orderId, 'SETTLED');
    expect(settled.deliveredAt).toMatch(ISO);
    expect(settled.timeline.map((t) => t.status).slice(-2)).toEqual(['DELIVERED', 'SETTLED']);
    const types = await system.eventTypes(orderId);
    expect(types.slice(-9)).toEqual([
      'DriverEnRouteToRestaurant',
      'DriverArrivedAtRestaurant',
      'FoodPreparing',
      'OrderReadyForPickup',
      'OrderPickedUp',
      'DriverEnRouteToCustomer',
      'DriverArrivedAtCustomer',
      'OrderDelivered',
      'PaymentCaptured',
    ]);
    const { rows } = await system.pg.query<{ data: { amountCents: number; captureId: string } }>(
      `SELECT data FROM order_events WHERE order_id = $1 AND event_type = 'PaymentCaptured'`,
      [orderId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.data).toMatchObject({ amountCents: settled.totalCents, captureId: expect.any(String) });
  });

  it('given a cash order, when the driver delivers it, then it is SETTLED at once (cash collected at the door)', async () => {
    const driverId = randomId('DRV');
    const { orderId } = await assignedOrder(driverId, 'CASH_ON_DELIVERY');
    const token = await system.token('driver', { driverId });
    expect((await act(orderId, { action: 'PREPARING' })).status).toBe(200);
    expect((await act(orderId, { action: 'READY' })).status).toBe(200);

    for (const s of ['EN_ROUTE_TO_RESTAURANT', 'AT_RESTAURANT', 'PICKED_UP', 'EN_ROUTE_TO_CUSTOMER', 'AT_CUSTOMER', 'DELIVERED']) {
      expect((await drive(token, driverId, orderId, s)).status).toBe(204);
    }

    expect((await system.view(orderId)).status).toBe('SETTLED');
    expect((await system.eventTypes(orderId)).slice(-2)).toEqual(['OrderDelivered', 'PaymentCaptured']);
  });

  it('given an assigned driver at the restaurant, when it reports PICKED_UP before the food is ready, then 409 INVALID_TRANSITION and nothing is appended', async () => {
    const driverId = randomId('DRV');
    const { orderId } = await assignedOrder(driverId);
    const token = await system.token('driver', { driverId });
    expect((await drive(token, driverId, orderId, 'EN_ROUTE_TO_RESTAURANT')).status).toBe(204);
    expect((await drive(token, driverId, orderId, 'AT_RESTAURANT')).status).toBe(204);
    const before = await eventCount(orderId);

    const res = await drive(token, driverId, orderId, 'PICKED_UP');

    expect(res.status).toBe(409);
    expect(res.body).toEqual(errorBody(409, 'INVALID_TRANSITION'));
    expect(await eventCount(orderId)).toBe(before);
    expect((await system.view(orderId)).status).toBe('AT_RESTAURANT');
  });

  it('given an assigned driver, when it skips straight to DELIVERED, then 409 INVALID_TRANSITION', async () => {
    const driverId = randomId('DRV');
    const { orderId } = await assignedOrder(driverId);

    const res = await drive(await system.token('driver', { driverId }), driverId, orderId, 'DELIVERED');

    expect(res.status).toBe(409);
    expect(res.body).toEqual(errorBody(409, 'INVALID_TRANSITION'));
    expect((await system.view(orderId)).status).toBe('ASSIGNED');
  });

  it('given an order assigned to one driver, when another driver reports a step, then 403 FORBIDDEN', async () => {
    const { orderId } = await assignedOrder(randomId('DRV'));
    const intruder = randomId('DRV');

    const res = await drive(await system.token('driver', { driverId: intruder }), intruder, orderId, 'EN_ROUTE_TO_RESTAURANT');

    expect(res.status).toBe(403);
    expect(res.body).toEqual(errorBody(403, 'FORBIDDEN'));
    expect((await system.view(orderId)).status).toBe('ASSIGNED');
  });

  it("given a driver token, when it reports on another driver's path, then 403 FORBIDDEN", async () => {
    const driverId = randomId('DRV');
    const { orderId } = await assignedOrder(driverId);

    const res = await drive(await system.token('driver', { driverId: randomId('DRV') }), driverId, orderId, 'EN_ROUTE_TO_RESTAURANT');

    expect(res.status).toBe(403);
    expect(res.body).toEqual(errorBody(403, 'FORBIDDEN'));
  });

  it.each([
    ['an unknown status', { status: 'TELEPORTED', timestamp: new Date().toISOString() }],
    ['a status that is a restaurant step', { status: 'READY_FOR_PICKUP', timestamp: new Date().toISOString() }],
    ['no timestamp', { status: 'EN_ROUTE_TO_RESTAURANT' }],
    ['an unknown field', { status: 'EN_ROUTE_TO_RESTAURANT', timestamp: new Date().toISOString(), speed: 3 }],
  ])('given an assigned driver, when it sends %s, then 400 VALIDATION_FAILED', async (_name, body) => {
    const driverId = randomId('DRV');
    const { orderId } = await assignedOrder(driverId);

    const res = await system.call('PATCH', `/v1/drivers/${driverId}/orders/${orderId}`, { token: await system.token('driver', { driverId }), body });

    expect(res.status).toBe(400);
    expect(res.body).toEqual(errorBody(400, 'VALIDATION_FAILED'));
    expect((await system.view(orderId)).status).toBe('ASSIGNED');
  });
});

describe('cancellation', () => {
  const cancel = (orderId: string, token: string, reason = 'Changed my mind') => system.call('POST', `/v1/orders/${orderId}/cancel`, { token, body: { reason } });

  it('given a confirmed card order the restaurant has not accepted, when the customer cancels, then it is free (BEFORE_ACCEPTANCE) and the whole authorisation is refunded', async () => {
    const placed = await confirmedOrder('CARD');
    const total = (await system.view(placed.orderId)).totalCents;

    const res = await cancel(placed.orderId, placed.customerToken);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      orderId: placed.orderId,
      status: 'CANCELLED',
      cancellation: { feeCents: 0, policyRule: 'BEFORE_ACCEPTANCE', refundCents: total, reason: 'Changed my mind', by: { role: 'customer', id: placed.customerId } },
      refund: { amountCents: total },
    });
    expect((await system.eventTypes(placed.orderId)).slice(-2)).toEqual(['OrderCancelled', 'RefundInitiated']);
  });

  it('given a cash order being prepared while its driver search waits on an offer, when the customer cancels, then a fee is charged with the policy reason', async () => {
    // The search must not have failed (that makes cancelling free): a driver at a restaurant of its own is offered
    // the order and never answers, so the search waits on it. 300 km from the suite's restaurants, no other search
    // finds it.
    const kitchen = await system.seedRestaurant({ lat: 40 + Math.random() / 10, lng: -120 + Math.random() / 10 });
    const driver = actorAddress('driver', randomId('DRV'));
    const driverSays = async (body: Record<string, unknown>) => {
      const answer = await system.actors.ask(driver, body);
      return answer.ok ? (answer.value as { ok: boolean; status?: string }) : null;
    };
    expect(await driverSays({ type: 'SetStatus', status: 'ONLINE' })).toMatchObject({ ok: true });
    expect(await driverSays({ type: 'Ping', ...kitchen.location, at: new Date().toISOString() })).toMatchObject({ ok: true, status: 'AVAILABLE' });
    const placed = await system.placeOrder({ restaurant: kitchen });
    await system.waitForStatus(placed.orderId, 'CONFIRMED');
    const inKitchen = { token: kitchen.token, restaurantId: kitchen.restaurantId };
    expect((await act(placed.orderId, { action: 'ACCEPT', estimatedReadyTime: inMinutes(20) }, inKitchen)).status).toBe(200);
    await expect.poll(async () => (await driverSays({ type: 'GetCurrentWork' }))?.status, { timeout: 10_000 }).toBe('OFFERED');
    expect((await act(placed.orderId, { action: 'PREPARING' }, inKitchen)).status).toBe(200);

    const res = await cancel(placed.orderId, placed.customerToken);

    expect(res.status).toBe(200);
    const { cancellation } = res.body as { cancellation: { feeCents: number; policyRule: string; policyReason: string; refundCents: number } };
    expect(res.body).toMatchObject({ status: 'CANCELLED' });
    expect(cancellation.policyRule).toBe('PREPARING');
    expect(cancellation.feeCents).toBeGreaterThan(0);
    expect(cancellation.policyReason).toMatch(/\S/);
    expect(cancellation.refundCents).toBe(0);
    expect((await system.view(placed.orderId)).status).toBe('CANCELLED');
    // The cancelled search withdraws the offer; the driver then leaves, so no later search finds it.
    await expect.poll(async () => (await driverSays({ type: 'SetStatus', status: 'OFFLINE' }))?.ok, { timeout: 10_000 }).toBe(true);
  });

  it('given a picked-up order, when the customer cancels, then 409 CANCELLATION_DENIED with the reason and nothing is appended', async () => {
    const driverId = randomId('DRV');
    const placed = await assignedOrder(driverId);
    const driverToken = await system.token('driver', { driverId });
    expect((await act(placed.orderId, { action: 'PREPARING' })).status).toBe(200);
    expect((await act(placed.orderId, { action: 'READY' })).status).toBe(200);
    for (const s of ['EN_ROUTE_TO_RESTAURANT', 'AT_RESTAURANT', 'PICKED_UP']) {
      const res = await system.call('PATCH', `/v1/drivers/${driverId}/orders/${placed.orderId}`, { token: driverToken, body: { status: s, timestamp: new Date().toISOString() } });
      expect(res.status).toBe(204);
    }
    const before = await eventCount(placed.orderId);

    const res = await cancel(placed.orderId, placed.customerToken);

    expect(res.status).toBe(409);
    expect(res.body).toEqual(errorWithDetail(409, 'CANCELLATION_DENIED', /picked up/));
    expect(await eventCount(placed.orderId)).toBe(before);
    expect((await system.view(placed.orderId)).status).toBe('PICKED_UP');
  });

  it('given a cancelled order, when it is cancelled again, then 409 CANCELLATION_DENIED', async () => {
    const placed = await confirmedOrder();
    expect((await cancel(placed.orderId, placed.customerToken)).status).toBe(200);

    const res = await cancel(placed.orderId, placed.customerToken);

    expect(res.status).toBe(409);
    expect(res.body).toEqual(errorWithDetail(409, 'CANCELLATION_DENIED', /already cancelled/));
  });

  it.each([
    ['the restaurant', () => Promise.resolve(restaurant.token)],
    ['a driver', () => system.token('driver', { driverId: randomId('DRV') })],
    ['another customer', () => system.token('customer', { customerId: randomId('CUST') })],
  ])('given %s, when it cancels the order, then 403 FORBIDDEN and the order stands', async (_who, token) => {
    const placed = await confirmedOrder();

    const res = await cancel(placed.orderId, await token());

    expect(res.status).toBe(403);
    expect(res.body).toEqual(errorBody(403, 'FORBIDDEN'));
    expect((await system.view(placed.orderId)).status).toBe('CONFIRMED');
  });

  it('given support, when it cancels a customer’s order, then 200 and the cancellation names support', async () => {
    const placed = await confirmedOrder();

    const res = await cancel(placed.orderId, await system.token('support', { sub: 'agent-7' }), 'Customer called');

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'CANCELLED', cancellation: { by: { role: 'support', id: 'agent-7' }, policyRule: 'BEFORE_ACCEPTANCE', feeCents: 0 } });
  });

  it('given a cancel without a reason, when it is posted, then 400 VALIDATION_FAILED', async () => {
    const placed = await confirmedOrder();

    const res = await system.call('POST', `/v1/orders/${placed.orderId}/cancel`, { token: placed.customerToken, body: {} });

    expect(res.status).toBe(400);
    expect(res.body).toEqual(errorBody(400, 'VALIDATION_FAILED'));
  });
});
