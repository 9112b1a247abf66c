// The city's restaurants, through the contract: created near the centre with a small menu each (admin token), or
// existing ones (`--restaurant-ids`) with their menus read back.
import { randomPointNear, type LatLng } from './geo.ts';
import type { HttpClient } from './http.ts';
import type { SimOptions } from './options.ts';
import { pick, type Rng } from './rng.ts';

export interface SimRestaurant {
  readonly restaurantId: string;
  readonly name: string;
  readonly location: LatLng;
  readonly items: readonly { readonly itemId: string; readonly priceCents: number }[];
}

export class SetupError extends Error {
  override readonly name = 'SetupError';
}

const KITCHENS = ['Pizza', 'Noodle', 'Taco', 'Curry', 'Burger', 'Sushi', 'Falafel', 'Pho', 'Dumpling', 'Salad'];
const DISHES = ['Special', 'Classic', 'Veggie', 'Spicy', 'Family box', 'Combo', 'Side', 'Drink'];

export async function prepareRestaurants(http: HttpClient, adminToken: string, options: SimOptions, rng: Rng): Promise<SimRestaurant[]> {
  if (options.restaurantIds.length > 0) return Promise.all(options.restaurantIds.map((id) => existing(http, adminToken, id)));
  const run = Math.floor(rng() * 36 ** 4).toString(36).toUpperCase();
  return Promise.all(
    Array.from({ length: options.restaurants }, async (_, i) => {
      const kitchen = pick(rng, KITCHENS);
      const location = randomPointNear(options.center, options.restaurantRadiusKm, options.bounds, rng);
      const dishes = [...DISHES].sort(() => rng() - 0.5).slice(0, 4);
      const prices = dishes.map(() => 500 + Math.floor(rng() * 20) * 50);
      const created = await http.request('POST', '/v1/restaurants', {
        token: adminToken,
        body: { name: `${options.idPrefix} ${kitchen} ${run}-${i + 1}`, location: { lat: round6(location.lat), lng: round6(location.lng) } },
      });
      if (!created.ok) throw new SetupError(`creating restaurant ${i + 1}: ${created.code} ${created.detail}`);
      const restaurantId = (created.body as { restaurantId?: unknown } | null)?.restaurantId;
      if (typeof restaurantId !== 'string') throw new SetupError('POST /v1/restaurants answered without a restaurantId');
      const items = await Promise.all(
        dishes.map(async (dish, j) => {
          const priceCents = prices[j] as number;
          const res = await http.request('POST', `/v1/restaurants/${encodeURIComponent(restaurantId)}/menu/items`, {
            token: adminToken,
            body: { name: `${kitchen} ${dish}`, priceCents, currency: 'USD', available: true },
          });
          if (!res.ok) throw new SetupError(`adding a menu item to ${restaurantId}: ${res.code} ${res.detail}`);
          const itemId = (res.body as { itemId?: unknown } | null)?.itemId;
          if (typeof itemId !== 'string') throw new SetupError('POST …/menu/items answered without an itemId');
          return { itemId, priceCents };
        }),
      );
      return { restaurantId, name: kitchen, location: { lat: round6(location.lat), lng: round6(location.lng) }, items };
    }),
  );
}

async function existing(http: HttpClient, token: string, restaurantId: string): Promise<SimRestaurant> {
  const path = `/v1/restaurants/${encodeURIComponent(restaurantId)}`;
  const [restaurant, menu] = await Promise.all([http.request('GET', path, { token }), http.request('GET', `${path}/menu`, { token })]);
  if (!restaurant.ok) throw new SetupError(`reading restaurant ${restaurantId}: ${restaurant.code} ${restaurant.detail}`);
  if (!menu.ok) throw new SetupError(`reading the menu of ${restaurantId}: ${menu.code} ${menu.detail}`);
  const r = restaurant.body as { name?: unknown; location?: { lat?: unknown; lng?: unknown } } | null;
  const lat = r?.location?.lat;
  const lng = r?.location?.lng;
  if (typeof lat !== 'number' || typeof lng !== 'number') throw new SetupError(`restaurant ${restaurantId} has no location`);
  const raw = (menu.body as { items?: unknown } | null)?.items;
  const items = (Array.isArray(raw) ? raw : [])
    .map((it) => it as { itemId?: unknown; priceCents?: unknown; available?: unknown })
    .filter((it) => typeof it.itemId === 'string' && typeof it.priceCents === 'number' && it.available !== false)
    .map((it) => ({ itemId: it.itemId as string, priceCents: it.priceCents as number }));
  if (items.length === 0) throw new SetupError(`restaurant ${restaurantId} has no available menu items`);
  return { restaurantId, name: typeof r?.name === 'string' ? r.name : restaurantId, location: { lat, lng }, items };
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;
