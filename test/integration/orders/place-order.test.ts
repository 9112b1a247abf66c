import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIssuer } from '../../../src/auth/issuer.ts';
import { loadOrCreateSigningKey } from '../../../src/auth/keys.ts';
import type { Principal } from '../../../src/auth/principal.ts';
import { manualClock } from '../../../src/shared/clock.ts';
import { orderBody, randomId, startTestSystem, validAddress, type SeededRestaurant, type TestSystem } from '../../support/system.ts';
import { errorBody } from './errors.ts';

let system: TestSystem;
let restaurant: SeededRestaurant;

beforeAll(async () => {
  system = await startTestSystem();
  restaurant = await system.seedRestaurant();
});
afterAll(async () => {
  await system?.stop();
});

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** A customer with a token, ready to order. */
async function newCustomer() {
  const customerId = randomId('CUST');
  return { customerId, token: await system.token('customer', { customerId }) };
}

/** POSTs an order; `key` null sends no Idempotency-Key. */
function post(token: string | undefined, body: unknown, key: string | null = randomUUID()) {
  return system.call('POST', '/v1/orders', { ...(token === undefined ? {} : { token }), body, headers: key === null ? {} : { 'idempotency-key': key } });
}

describe('POST /v1/orders: placing', () => {
  it('given a customer and a menu, when a cash order is placed, then 201 with Location and { orderId, status PLACED, createdAt }, and the order is CONFIRMED at once', async () => {
    const { customerId, token } = await newCustomer();

    const res = await post(token, orderBody(restaurant, customerId));

    expect(res.status).toBe(201);
    expect(res.body).toEqual({ orderId: expect.stringMatching(/^ORD-/), status: 'PLACED', createdAt: expect.stringMatching(ISO) });
    const { orderId } = res.body as { orderId: string };
    expect(res.headers.get('location')).toBe(`/v1/orders/${orderId}`);
    // Cash needs no payment step: the first read after 201 already sees CONFIRMED.
    const view = await system.view(orderId);
    expect(view.status).toBe('CONFIRMED');
    expect(view.timeline.map((t) => t.status)).toEqual(['PLACED', 'CONFIRMED']);
    expect(await system.eventTypes(orderId)).toEqual(['OrderPlaced', 'OrderConfirmed']);
  });

  it('given a menu with prices, when items are ordered in quantities, then every line and the total are priced from the catalog', async () => {
    const { customerId, token } = await newCustomer();
    const [pizza, salad, soda] = restaurant.items;
    if (!pizza || !salad || !soda) throw new Error('menu');

    const res = await post(
      token,
      orderBody(restaurant, customerId, {
        items: [
          { itemId: pizza.itemId, quantity: 2 },
          { itemId: soda.itemId, quantity: 3 },
        ],
      }),
    );

    expect(res.status).toBe(201);
    const view = await system.view((res.body as { orderId: string }).orderId);
    expect(view.totalCents).toBe(2 * pizza.priceCents + 3 * soda.priceCents);
    expect(view.currency).toBe('USD');
    expect(view.items).toEqual([
      { itemId: pizza.itemId, name: pizza.name, quantity: 2, unitPriceCents: pizza.priceCents },
      { itemId: soda.itemId, name: soda.name, quantity: 3, unitPriceCents: soda.priceCents },
    ]);
  });

  it('given a client that sends its own prices, when it places the order, then it is refused and nothing is written', async () => {
    const { customerId, token } = await newCustomer();
    const pizza = restaurant.items[0];
    if (!pizza) throw new Error('menu');
    const before = await system.rowCounts();

    const withTotal = await post(token, orderBody(restaurant, customerId, { totalCents: 1 }));
    const withUnitPrice = await post(token, orderBody(restaurant, customerId, { items: [{ itemId: pizza.itemId, quantity: 1, unitPriceCents: 1 }] }));

    expect(withTotal.status).toBe(400);
    expect(withTotal.body).toEqual(errorBody(400, 'VALIDATION_FAILED'));
    expect(withUnitPrice.status).toBe(400);
    expect(withUnitPrice.body).toEqual(errorBody(400, 'VALIDATION_FAILED'));
    expect(await system.rowCounts()).toEqual(before);
  });

  it('given a card order, when it is placed, then the simulated provider authorises it and it reaches CONFIRMED', async () => {
    const placed = await system.placeOrder({ restaurant, paymentMethod: 'CARD' });

    const view = await system.waitForStatus(placed.orderId, 'CONFIRMED');

    expect(view.paymentMethod).toBe('CARD');
    expect(view.timeline.map((t) => t.status)).toEqual(['PLACED', 'PENDING_PAYMENT', 'CONFIRMED']);
    expect(await system.eventTypes(placed.orderId)).toEqual(['OrderPlaced', 'PaymentAuthorizationRequested', 'PaymentAuthorized', 'OrderConfirmed']);
  });
});

describe('POST /v1/orders: idempotency', () => {
  it('given no Idempotency-Key header, when an order is posted, then 400 VALIDATION_FAILED and nothing is written', async () => {
    const { customerId, token } = await newCustomer();
    const before = await system.rowCounts();

    const res = await post(token, orderBody(restaurant, customerId), null);

    expect(res.status).toBe(400);
    expect(res.body).toEqual(errorBody(400, 'VALIDATION_FAILED'));
    expect(await system.rowCounts()).toEqual(before);
  });

  it('given an Idempotency-Key that is not a UUID, when an order is posted, then 400 VALIDATION_FAILED and nothing is written', async () => {
    const { customerId, token } = await newCustomer();
    const before = await system.rowCounts();

    const res = await post(token, orderBody(restaurant, customerId), 'order-1');

    expect(res.status).toBe(400);
    expect(res.body).toEqual(errorBody(400, 'VALIDATION_FAILED'));
    expect(await system.rowCounts()).toEqual(before);
  });

  it('given a placed order, when the same key and body are posted again, then the first response comes back and nothing new is written', async () => {
    const { customerId, token } = await newCustomer();
    const key = randomUUID();
    const body = orderBody(restaurant, customerId);
    const first = await post(token, body, key);
    const before = await system.rowCounts();

    const again = await post(token, body, key);

    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(await system.rowCounts()).toEqual(before);
  });

  it('given a placed order, when the same key comes with a different body, then 422 IDEMPOTENCY_KEY_REUSED and nothing new is written', async () => {
    const { customerId, token } = await newCustomer();
    const key = randomUUID();
    expect((await post(token, orderBody(restaurant, customerId), key)).status).toBe(201);
    const before = await system.rowCounts();

    const res = await post(token, orderBody(restaurant, customerId, { specialInstructions: 'Extra cheese' }), key);

    expect(res.status).toBe(422);
    expect(res.body).toEqual(errorBody(422, 'IDEMPOTENCY_KEY_REUSED'));
    expect(await system.rowCounts()).toEqual(before);
  });

  it('given 20 concurrent POSTs with one key, when they all land, then all are 201 with the same orderId and exactly one OrderPlaced is stored', async () => {
    const { customerId, token } = await newCustomer();
    const key = randomUUID();
    const body = orderBody(restaurant, customerId, { paymentMethod: 'CARD' });

    const responses = await Promise.all(Array.from({ length: 20 }, () => post(token, body, key)));

    expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 201));
    const orderIds = new Set(responses.map((r) => (r.body as { orderId: string }).orderId));
    expect(orderIds.size).toBe(1);
    const [orderId] = [...orderIds];
    const { rows } = await system.pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM order_events WHERE order_id = $1 AND event_type = 'OrderPlaced'`, [orderId]);
    expect(rows[0]?.n).toBe(1);
    const { rows: orders } = await system.pg.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE customer_id = $1', [customerId]);
    expect(orders[0]?.n).toBe(1);
    // Let the card authorisation finish so later "nothing written" checks see a quiet system.
    await system.waitForStatus(orderId ?? '', 'CONFIRMED');
  });
});

describe('POST /v1/orders: bad input writes nothing', () => {
  type Case = [name: string, change: (body: Record<string, unknown>) => unknown, status: number, code: string];
  const address = (patch: Record<string, unknown>, drop?: string) => (b: Record<string, unknown>) => {
    const a: Record<string, unknown> = { ...validAddress(), ...patch };
    if (drop) delete a[drop];
    return { ...b, deliveryAddress: a };
  };
  const without = (field: string) => (b: Record<string, unknown>) => {
    const copy = { ...b };
    delete copy[field];
    return copy;
  };
  const firstItem = () => restaurant.items[0]?.itemId ?? '';

  const cases: Case[] = [
    ['customerId is missing', without('customerId'), 400, 'VALIDATION_FAILED'],
    ['restaurantId is missing', without('restaurantId'), 400, 'VALIDATION_FAILED'],
    ['items are missing', without('items'), 400, 'VALIDATION_FAILED'],
    ['paymentMethod is missing', without('paymentMethod'), 400, 'VALIDATION_FAILED'],
    ['an unknown field is present', (b) => ({ ...b, coupon: 'FREE' }), 400, 'VALIDATION_FAILED'],
    ['quantity is a string', (b) => ({ ...b, items: [{ itemId: firstItem(), quantity: '2' }] }), 400, 'VALIDATION_FAILED'],
    ['items is an object', (b) => ({ ...b, items: { itemId: firstItem(), quantity: 1 } }), 400, 'VALIDATION_FAILED'],
    ['paymentMethod is unknown', (b) => ({ ...b, paymentMethod: 'BITCOIN' }), 400, 'VALIDATION_FAILED'],
    ['customerId is a number', (b) => ({ ...b, customerId: 42 }), 400, 'VALIDATION_FAILED'],
    ['items are empty', (b) => ({ ...b, items: [] }), 400, 'VALIDATION_FAILED'],
    ['a quantity is 0', (b) => ({ ...b, items: [{ itemId: firstItem(), quantity: 0 }] }), 400, 'VALIDATION_FAILED'],
    ['the body is an array', () => [], 400, 'VALIDATION_FAILED'],
    ['the restaurant does not exist', (b) => ({ ...b, restaurantId: randomId('REST') }), 404, 'NOT_FOUND'],
    ['an item is not on the menu', (b) => ({ ...b, items: [{ itemId: randomId('GHOST'), quantity: 1 }] }), 404, 'NOT_FOUND'],
    ['the zip code is missing', address({}, 'zipCode'), 400, 'INVALID_ADDRESS'],
    ['the zip code is malformed', address({ zipCode: '!!' }), 400, 'INVALID_ADDRESS'],
    ['the location is missing', address({}, 'location'), 400, 'INVALID_ADDRESS'],
    ['lat is 91', address({ location: { lat: 91, lng: -122.41 } }), 400, 'INVALID_ADDRESS'],
    ['lng is a string', address({ location: { lat: 37.77, lng: '-122.41' } }), 400, 'INVALID_ADDRESS'],
    ['the street is missing', address({}, 'street'), 400, 'INVALID_ADDRESS'],
    ['the street is blank', address({ street: '   ' }), 400, 'INVALID_ADDRESS'],
    ['the address is missing', without('deliveryAddress'), 400, 'INVALID_ADDRESS'],
  ];

  it.each(cases)('given a body where %s, when it is posted, then the right error and no rows', async (_name, change, status, code) => {
    const { customerId, token } = await newCustomer();
    const before = await system.rowCounts();

    const res = await post(token, change(orderBody(restaurant, customerId)));

    expect(res.status).toBe(status);
    expect(res.body).toEqual(errorBody(status, code));
    expect(await system.rowCounts()).toEqual(before);
  });

  it('given a body over 64 KiB, when it is posted, then 413 PAYLOAD_TOO_LARGE and no rows', async () => {
    const { customerId, token } = await newCustomer();
    const before = await system.rowCounts();

    const res = await post(token, orderBody(restaurant, customerId, { specialInstructions: 'x'.repeat(65 * 1024) }));

    expect(res.status).toBe(413);
    expect(res.body).toEqual(errorBody(413, 'PAYLOAD_TOO_LARGE'));
    expect(await system.rowCounts()).toEqual(before);
  });

  it('given malformed JSON, when it is posted, then 400 VALIDATION_FAILED and no rows', async () => {
    const { token } = await newCustomer();
    const before = await system.rowCounts();

    const res = await post(token, '{"customerId": "CUST-1", "items": [');

    expect(res.status).toBe(400);
    expect(res.body).toEqual(errorBody(400, 'VALIDATION_FAILED'));
    expect(await system.rowCounts()).toEqual(before);
  });
});

describe('POST /v1/orders: who may place', () => {
  it("given a customer token, when the body names another customer, then 403 FORBIDDEN and no rows", async () => {
    const { token } = await newCustomer();
    const before = await system.rowCounts();

    const res = await post(token, orderBody(restaurant, randomId('CUST')));

    expect(res.status).toBe(403);
    expect(res.body).toEqual(errorBody(403, 'FORBIDDEN'));
    expect(await system.rowCounts()).toEqual(before);
  });

  it.each([
    ['restaurant', { restaurantId: 'REST-X' }],
    ['driver', { driverId: 'DRV-X' }],
    ['admin', {}],
  ] as const)('given a %s token, when it places an order, then 403 FORBIDDEN and no rows', async (role, ids) => {
    const token = await system.token(role, ids);
    const before = await system.rowCounts();

    const res = await post(token, orderBody(restaurant, randomId('CUST')));

    expect(res.status).toBe(403);
    expect(res.body).toEqual(errorBody(403, 'FORBIDDEN'));
    expect(await system.rowCounts()).toEqual(before);
  });

  describe('unauthenticated', () => {
    const customerId = randomId('CUST');
    const principal: Principal = { sub: customerId, role: 'customer', customerId };
    let otherKeyDir: string;
    beforeAll(async () => {
      otherKeyDir = await mkdtemp(join(tmpdir(), 'fd-other-key-'));
    });
    afterAll(async () => {
      await rm(otherKeyDir, { recursive: true, force: true });
    });

    const tokens: [string, () => Promise<string | undefined>][] = [
      ['no token', async () => undefined],
      [
        'an expired token',
        async () => {
          // Signed by the system's own key, 13 hours ago (tokens live 12 hours).
          const key = await loadOrCreateSigningKey(system.dataDir);
          const clock = manualClock(Date.now() - 13 * 3600 * 1000);
          return createIssuer({ key, issuer: 'food-delivery-embedded', audience: 'food-delivery', clock }).mint(principal);
        },
      ],
      [
        'a token signed by another key',
        async () => {
          const key = await loadOrCreateSigningKey(otherKeyDir);
          return createIssuer({ key, issuer: 'food-delivery-embedded', audience: 'food-delivery', clock: { now: () => Date.now() } }).mint(principal);
        },
      ],
      [
        'an alg "none" token',
        async () =>
          new UnsecuredJWT({ role: 'customer', customer_id: customerId })
            .setSubject(customerId)
            .setIssuer('food-delivery-embedded')
            .setAudience('food-delivery')
            .setIssuedAt()
            .setExpirationTime('1h')
            .encode(),
      ],
      ['a garbage token', async () => 'not.a.jwt'],
    ];

    it.each(tokens)('given %s, when an order is posted, then 401 UNAUTHENTICATED and no rows', async (_name, makeToken) => {
      const token = await makeToken();
      const before = await system.rowCounts();

      const res = await post(token, orderBody(restaurant, customerId));

      expect(res.status).toBe(401);
      expect(res.body).toEqual(errorBody(401, 'UNAUTHENTICATED'));
      expect(await system.rowCounts()).toEqual(before);
    });
  });
});
