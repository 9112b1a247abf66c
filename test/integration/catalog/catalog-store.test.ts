import { beforeEach, describe, expect, it } from 'vitest';
import type { CatalogStore } from '../../../src/catalog/catalog-store.ts';
import type { MenuItemInput } from '../../../src/catalog/model.ts';
import { T0, useCatalog } from './harness.ts';
import type { Catalog } from './harness.ts';

const currentCatalog = useCatalog();
let catalog: Catalog;
let store: CatalogStore;

beforeEach(async () => {
  catalog = currentCatalog();
  store = catalog.store;
  const created = await store.createRestaurant({
    restaurantId: 'REST-A',
    name: 'A',
    location: { lat: 1, lng: 1 },
    address: null,
    createdAt: T0,
  });
  expect(created.ok).toBe(true);
  const items: MenuItemInput[] = [
    { itemId: 'PIZZA-001', name: 'Margherita', priceCents: 1250, currency: 'USD', updatedAt: T0 },
    { itemId: 'SODA-001', name: 'Soda', priceCents: 300, currency: 'USD', updatedAt: T0 },
    { itemId: 'GONE-001', name: 'Seasonal', priceCents: 900, currency: 'USD', available: false, updatedAt: T0 },
    { itemId: 'EURO-001', name: 'Imported', priceCents: 500, currency: 'EUR', updatedAt: T0 },
  ];
  for (const item of items) expect((await store.upsertMenuItem('REST-A', item)).ok).toBe(true);
});

describe('priceItems', () => {
  it('given known available items, when priced, then unit prices and the total come from the catalog', async () => {
    const priced = await store.priceItems('REST-A', [
      { itemId: 'PIZZA-001', quantity: 2 },
      { itemId: 'SODA-001', quantity: 3 },
    ]);
    expect(priced).toEqual({
      ok: true,
      value: {
        items: [
          { itemId: 'PIZZA-001', name: 'Margherita', quantity: 2, unitPriceCents: 1250 },
          { itemId: 'SODA-001', name: 'Soda', quantity: 3, unitPriceCents: 300 },
        ],
        totalCents: 2 * 1250 + 3 * 300,
        currency: 'USD',
      },
    });
  });

  it('given a price change, when priced again, then the new price is used', async () => {
    await store.upsertMenuItem('REST-A', { itemId: 'SODA-001', name: 'Soda', priceCents: 350, currency: 'USD', updatedAt: T0 + 1 });
    const priced = await store.priceItems('REST-A', [{ itemId: 'SODA-001', quantity: 1 }]);
    expect(priced.ok && priced.value.totalCents).toBe(350);
  });

  it('given the largest quantity, when priced, then it is accepted', async () => {
    const priced = await store.priceItems('REST-A', [{ itemId: 'SODA-001', quantity: 50 }]);
    expect(priced.ok && priced.value.totalCents).toBe(50 * 300);
  });

  it('given an unknown restaurant, when priced, then NOT_FOUND', async () => {
    const priced = await store.priceItems('REST-NOPE', [{ itemId: 'PIZZA-001', quantity: 1 }]);
    expect(priced).toEqual({ ok: false, error: { code: 'NOT_FOUND', detail: 'Restaurant REST-NOPE does not exist' } });
  });

  it('given items not on the menu, when priced, then NOT_FOUND naming them', async () => {
    const priced = await store.priceItems('REST-A', [
      { itemId: 'PIZZA-001', quantity: 1 },
      { itemId: 'SUSHI-9', quantity: 1 },
      { itemId: 'TACO-3', quantity: 2 },
    ]);
    expect(priced).toEqual({ ok: false, error: { code: 'NOT_FOUND', detail: 'Not on the menu of restaurant REST-A: SUSHI-9, TACO-3' } });
  });

  it('given another restaurant’s item, when priced here, then NOT_FOUND', async () => {
    await store.createRestaurant({ restaurantId: 'REST-B', name: 'B', location: { lat: 2, lng: 2 }, address: null, createdAt: T0 });
    await store.upsertMenuItem('REST-B', { itemId: 'B-ONLY', name: 'B', priceCents: 100, currency: 'USD', updatedAt: T0 });
    const priced = await store.priceItems('REST-A', [{ itemId: 'B-ONLY', quantity: 1 }]);
    expect(priced.ok || priced.error.code).toBe('NOT_FOUND');
  });

  it('given an unavailable item, when priced, then VALIDATION_FAILED naming it', async () => {
    const priced = await store.priceItems('REST-A', [
      { itemId: 'PIZZA-001', quantity: 1 },
      { itemId: 'GONE-001', quantity: 1 },
    ]);
    expect(priced).toEqual({ ok: false, error: { code: 'VALIDATION_FAILED', detail: 'Currently unavailable: GONE-001' } });
  });

  it('given items in different currencies, when priced, then VALIDATION_FAILED', async () => {
    const priced = await store.priceItems('REST-A', [
      { itemId: 'PIZZA-001', quantity: 1 },
      { itemId: 'EURO-001', quantity: 1 },
    ]);
    expect(priced).toEqual({
      ok: false,
      error: { code: 'VALIDATION_FAILED', detail: 'Items are priced in different currencies (USD, EUR)' },
    });
  });

  it.each([[0], [-1], [51], [1.5], [Number.NaN], [Number.POSITIVE_INFINITY], ['2' as unknown as number]])(
    'given the quantity %j, when priced, then VALIDATION_FAILED naming the item',
    async (quantity) => {
      const priced = await store.priceItems('REST-A', [{ itemId: 'PIZZA-001', quantity }]);
      expect(priced).toEqual({
        ok: false,
        error: { code: 'VALIDATION_FAILED', detail: 'Quantity of item PIZZA-001 must be a whole number from 1 to 50' },
      });
    },
  );

  it('given the same item twice, when priced, then VALIDATION_FAILED', async () => {
    const priced = await store.priceItems('REST-A', [
      { itemId: 'SODA-001', quantity: 1 },
      { itemId: 'SODA-001', quantity: 2 },
    ]);
    expect(priced).toEqual({ ok: false, error: { code: 'VALIDATION_FAILED', detail: 'Item SODA-001 is listed more than once' } });
  });

  it('given no items, when priced, then VALIDATION_FAILED', async () => {
    const priced = await store.priceItems('REST-A', []);
    expect(priced).toEqual({ ok: false, error: { code: 'VALIDATION_FAILED', detail: 'An order needs at least one item' } });
  });

  it('given a line without an itemId, when priced, then VALIDATION_FAILED', async () => {
    const priced = await store.priceItems('REST-A', [{ quantity: 1 } as unknown as { itemId: string; quantity: number }]);
    expect(priced).toEqual({ ok: false, error: { code: 'VALIDATION_FAILED', detail: 'Item 1 has no valid itemId' } });
  });
});

describe('the store', () => {
  it('given a taken restaurant id, when created again, then CONFLICT and the first is kept', async () => {
    const again = await store.createRestaurant({ restaurantId: 'REST-A', name: 'Imposter', location: { lat: 0, lng: 0 }, address: null, createdAt: T0 });
    expect(again).toEqual({ ok: false, error: { code: 'CONFLICT', detail: 'Restaurant REST-A already exists' } });
    expect((await store.getRestaurant('REST-A'))?.name).toBe('A');
  });

  it('given an unknown restaurant, when an item is upserted, then NOT_FOUND and nothing is written', async () => {
    const before = await catalog.count('menu_items');
    const saved = await store.upsertMenuItem('REST-NOPE', { itemId: 'X', name: 'X', priceCents: 1, currency: 'USD', updatedAt: T0 });
    expect(saved).toEqual({ ok: false, error: { code: 'NOT_FOUND', detail: 'Restaurant REST-NOPE does not exist' } });
    expect(await catalog.count('menu_items')).toBe(before);
  });

  it('given an address, when stored and read back, then it round-trips', async () => {
    const address = { street: '1 Main St', city: 'Springfield', zipCode: '12345' };
    await store.createRestaurant({ restaurantId: 'REST-ADDR', name: 'Addr', location: { lat: -12.5, lng: 130.25 }, address, createdAt: T0 });
    expect(await store.getRestaurant('REST-ADDR')).toEqual({
      restaurantId: 'REST-ADDR',
      name: 'Addr',
      location: { lat: -12.5, lng: 130.25 },
      address,
      createdAt: new Date(T0).toISOString(),
    });
  });

  it('given an unknown id, when read, then undefined (restaurant and menu)', async () => {
    expect(await store.getRestaurant('REST-NOPE')).toBeUndefined();
    expect(await store.getMenu('REST-NOPE')).toBeUndefined();
  });

  it('given many restaurants, when searched near a point, then the bounding box index can be used', async () => {
    for (let i = 0; i < 200; i++) {
      await store.createRestaurant({
        restaurantId: `REST-N${i}`,
        name: `N${i}`,
        location: { lat: -60 + (i % 20) * 6, lng: -170 + Math.floor(i / 20) * 34 },
        address: null,
        createdAt: T0,
      });
    }
    await catalog.pool.query('ANALYZE restaurants');
    // A table this small would be scanned anyway; forbid that (for this transaction only) to see the index is usable.
    const client = await catalog.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT restaurant_id FROM restaurants
         WHERE lat BETWEEN $1 AND $2 AND (lng BETWEEN $3 AND $4 OR lng BETWEEN $5 AND $6)`,
        [1, 2, 3, 4, 3, 4],
      );
      expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('restaurants_lat_lng_idx');
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
