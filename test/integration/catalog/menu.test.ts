import { beforeEach, describe, expect, it } from 'vitest';
import { T0, admin, customer, driver, errorBody, restaurantPrincipal, useCatalog } from './harness.ts';
import type { Catalog } from './harness.ts';

const currentCatalog = useCatalog();
let catalog: Catalog;
let restaurantId: string;

beforeEach(async () => {
  catalog = currentCatalog();
  const res = await catalog.call('POST', '/v1/restaurants', {
    token: await catalog.token(admin),
    body: { name: 'Luigi', location: { lat: 40.7, lng: -74 } },
  });
  restaurantId = (res.body as { restaurantId: string }).restaurantId;
});

const itemsPath = () => `/v1/restaurants/${restaurantId}/menu/items`;
const pizza = { itemId: 'PIZZA-001', name: 'Margherita', priceCents: 1250, currency: 'USD' };

async function menuRows() {
  const { rows } = await catalog.pool.query('SELECT item_id, name, price_cents, currency, available FROM menu_items ORDER BY item_id');
  return rows;
}

describe('GET /v1/restaurants/{restaurantId}/menu', () => {
  it('given a restaurant without items, when read, then an empty menu', async () => {
    const res = await catalog.call('GET', `/v1/restaurants/${restaurantId}/menu`, { token: await catalog.token(customer) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ restaurantId, items: [] });
  });

  it('given items, when read by a customer, then every item (unavailable ones marked) ordered by name', async () => {
    const token = await catalog.token(admin);
    await catalog.call('POST', itemsPath(), { token, body: { ...pizza, name: 'Zucchini fries', itemId: 'Z-1', available: false } });
    await catalog.call('POST', itemsPath(), { token, body: pizza });
    const res = await catalog.call('GET', `/v1/restaurants/${restaurantId}/menu`, { token: await catalog.token(customer) });
    expect(res.status).toBe(200);
    const updatedAt = new Date(T0).toISOString();
    expect(res.body).toEqual({
      restaurantId,
      items: [
        { itemId: 'PIZZA-001', name: 'Margherita', priceCents: 1250, currency: 'USD', available: true, updatedAt },
        { itemId: 'Z-1', name: 'Zucchini fries', priceCents: 1250, currency: 'USD', available: false, updatedAt },
      ],
    });
  });

  it('given another restaurant’s items, when a menu is read, then they are not on it', async () => {
    const token = await catalog.token(admin);
    const other = await catalog.call('POST', '/v1/restaurants', { token, body: { name: 'Other', location: { lat: 0, lng: 0 } } });
    const otherId = (other.body as { restaurantId: string }).restaurantId;
    await catalog.call('POST', `/v1/restaurants/${otherId}/menu/items`, { token, body: pizza });
    const res = await catalog.call('GET', `/v1/restaurants/${restaurantId}/menu`, { token });
    expect(res.body).toEqual({ restaurantId, items: [] });
  });

  it.each([['REST-NOPE'], ['bad%20id']])('given the unknown restaurant %s, when its menu is read, then 404 NOT_FOUND', async (id) => {
    const res = await catalog.call('GET', `/v1/restaurants/${id}/menu`, { token: await catalog.token(customer) });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(errorBody(404, 'NOT_FOUND'));
  });

  it('given no token, when read, then 401 UNAUTHENTICATED', async () => {
    const res = await catalog.call('GET', `/v1/restaurants/${restaurantId}/menu`);
    expect(res.status).toBe(401);
    expect(res.body).toEqual(errorBody(401, 'UNAUTHENTICATED'));
  });
});

describe('POST /v1/restaurants/{restaurantId}/menu/items', () => {
  it('given an admin and no itemId, when posted, then 201 with a generated ITEM- id, available by default', async () => {
    const res = await catalog.call('POST', itemsPath(), {
      token: await catalog.token(admin),
      body: { name: 'Tiramisu', priceCents: 650, currency: 'USD' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      restaurantId,
      itemId: 'ITEM-T2',
      name: 'Tiramisu',
      priceCents: 650,
      currency: 'USD',
      available: true,
      updatedAt: new Date(T0).toISOString(),
    });
    expect(await menuRows()).toEqual([{ item_id: 'ITEM-T2', name: 'Tiramisu', price_cents: 650, currency: 'USD', available: true }]);
  });

  it('given that restaurant’s own token, when an item is posted, then 201', async () => {
    const res = await catalog.call('POST', itemsPath(), { token: await catalog.token(restaurantPrincipal(restaurantId)), body: pizza });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ restaurantId, ...pizza, available: true });
  });

  it('given an existing itemId, when posted again, then 200 and the item is replaced (availability kept unless sent)', async () => {
    const token = await catalog.token(restaurantPrincipal(restaurantId));
    expect((await catalog.call('POST', itemsPath(), { token, body: { ...pizza, available: false } })).status).toBe(201);
    catalog.clock.advance(60_000);

    const renamed = await catalog.call('POST', itemsPath(), { token, body: { ...pizza, name: 'Margherita DOP', priceCents: 1400 } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toEqual({
      restaurantId,
      itemId: 'PIZZA-001',
      name: 'Margherita DOP',
      priceCents: 1400,
      currency: 'USD',
      available: false,
      updatedAt: new Date(T0 + 60_000).toISOString(),
    });

    const back = await catalog.call('POST', itemsPath(), { token, body: { ...pizza, available: true } });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ name: 'Margherita', priceCents: 1250, available: true });
    expect(await menuRows()).toEqual([{ item_id: 'PIZZA-001', name: 'Margherita', price_cents: 1250, currency: 'USD', available: true }]);
  });

  it('given the same itemId at two restaurants, when posted, then each has its own item', async () => {
    const token = await catalog.token(admin);
    const other = await catalog.call('POST', '/v1/restaurants', { token, body: { name: 'Other', location: { lat: 0, lng: 0 } } });
    const otherId = (other.body as { restaurantId: string }).restaurantId;
    expect((await catalog.call('POST', itemsPath(), { token, body: pizza })).status).toBe(201);
    expect((await catalog.call('POST', `/v1/restaurants/${otherId}/menu/items`, { token, body: pizza })).status).toBe(201);
    expect(await catalog.count('menu_items')).toBe(2);
  });

  const badBodies: Array<[string, unknown]> = [
    ['no name', { itemId: 'X', priceCents: 100, currency: 'USD' }],
    ['no priceCents', { name: 'x', currency: 'USD' }],
    ['no currency', { name: 'x', priceCents: 100 }],
    ['a zero price', { ...pizza, priceCents: 0 }],
    ['a negative price', { ...pizza, priceCents: -5 }],
    ['a fractional price', { ...pizza, priceCents: 12.5 }],
    ['a string price', { ...pizza, priceCents: '1250' }],
    ['a price beyond the maximum', { ...pizza, priceCents: 10_000_001 }],
    ['a lower-case currency', { ...pizza, currency: 'usd' }],
    ['a two-letter currency', { ...pizza, currency: 'US' }],
    ['a four-letter currency', { ...pizza, currency: 'USDT' }],
    ['a string availability', { ...pizza, available: 'yes' }],
    ['an empty itemId', { ...pizza, itemId: '' }],
    ['an itemId with spaces', { ...pizza, itemId: 'PIZZA 1' }],
    ['a numeric itemId', { ...pizza, itemId: 7 }],
    ['an empty name', { ...pizza, name: '' }],
    ['an unknown field', { ...pizza, description: 'cheesy' }],
    ['a client-sent updatedAt', { ...pizza, updatedAt: '2020-01-01T00:00:00Z' }],
    ['an array body', [pizza]],
    ['malformed JSON', '{"name": "x",'],
  ];
  it.each(badBodies)('given %s, when posted, then 400 VALIDATION_FAILED and nothing is written', async (_label, body) => {
    const res = await catalog.call('POST', itemsPath(), { token: await catalog.token(admin), body });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(errorBody(400, 'VALIDATION_FAILED'));
    expect(await catalog.count('menu_items')).toBe(0);
  });

  it('given an existing item and a bad update, when posted, then 400 and the item is unchanged', async () => {
    const token = await catalog.token(admin);
    await catalog.call('POST', itemsPath(), { token, body: pizza });
    const res = await catalog.call('POST', itemsPath(), { token, body: { ...pizza, priceCents: -1 } });
    expect(res.status).toBe(400);
    expect(await menuRows()).toEqual([{ item_id: 'PIZZA-001', name: 'Margherita', price_cents: 1250, currency: 'USD', available: true }]);
  });

  it('given an admin and an unknown restaurant, when an item is posted, then 404 NOT_FOUND and nothing is written', async () => {
    const res = await catalog.call('POST', '/v1/restaurants/REST-NOPE/menu/items', { token: await catalog.token(admin), body: pizza });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(errorBody(404, 'NOT_FOUND'));
    expect(await catalog.count('menu_items')).toBe(0);
  });

  it('given a restaurant token for a restaurant that does not exist, when it posts to it, then 404 NOT_FOUND', async () => {
    const res = await catalog.call('POST', '/v1/restaurants/REST-GHOST/menu/items', {
      token: await catalog.token(restaurantPrincipal('REST-GHOST')),
      body: pizza,
    });
    expect(res.status).toBe(404);
    expect(await catalog.count('menu_items')).toBe(0);
  });

  it('given another restaurant’s token, when posted, then 403 FORBIDDEN and nothing is written', async () => {
    const res = await catalog.call('POST', itemsPath(), { token: await catalog.token(restaurantPrincipal('REST-OTHER')), body: pizza });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(errorBody(403, 'FORBIDDEN'));
    expect(await catalog.count('menu_items')).toBe(0);
  });

  it('given another restaurant’s token and a bad body, when posted, then 403 (ownership is checked first)', async () => {
    const res = await catalog.call('POST', itemsPath(), { token: await catalog.token(restaurantPrincipal('REST-OTHER')), body: { x: 1 } });
    expect(res.status).toBe(403);
  });

  it.each([
    ['customer', customer],
    ['driver', driver],
    ['support', { sub: 'sup-1', role: 'support' as const }],
    ['ops', { sub: 'ops-1', role: 'ops' as const }],
  ])('given a %s token, when posted, then 403 FORBIDDEN and nothing is written', async (_role, principal) => {
    const res = await catalog.call('POST', itemsPath(), { token: await catalog.token(principal), body: pizza });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(errorBody(403, 'FORBIDDEN'));
    expect(await catalog.count('menu_items')).toBe(0);
  });

  it('given no token, when posted, then 401 UNAUTHENTICATED and nothing is written', async () => {
    const res = await catalog.call('POST', itemsPath(), { body: pizza });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(errorBody(401, 'UNAUTHENTICATED'));
    expect(await catalog.count('menu_items')).toBe(0);
  });

  it('given an expired token, when posted, then 401 UNAUTHENTICATED and nothing is written', async () => {
    const token = await catalog.token(admin);
    catalog.clock.advance(13 * 60 * 60 * 1000);
    const res = await catalog.call('POST', itemsPath(), { token, body: pizza });
    expect(res.status).toBe(401);
    expect(await catalog.count('menu_items')).toBe(0);
  });
});
