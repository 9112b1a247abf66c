import express from 'express';
import type { Response, Router } from 'express';
import { authenticate, principalOf, requireRole } from '../auth/http.ts';
import type { Principal } from '../auth/principal.ts';
import type { Verifier } from '../auth/verifier.ts';
import { appError } from '../errors/app-error.ts';
import { sendError } from '../errors/http.ts';
import { fromZodError } from '../errors/zod.ts';
import { systemClock } from '../shared/clock.ts';
import type { Clock } from '../shared/clock.ts';
import type { CatalogStore } from './catalog-store.ts';
import { itemIdFrom, restaurantIdFrom } from './ids.ts';
import type { MenuItem, NearbyRestaurant, Restaurant } from './model.ts';
import {
  DEFAULT_LIST_LIMIT,
  DEFAULT_RADIUS_KM,
  catalogIdSchema,
  createRestaurantSchema,
  listRestaurantsQuerySchema,
  menuItemSchema,
} from './schemas.ts';

export interface CatalogRoutesOptions {
  store: CatalogStore;
  verifier: Verifier;
  /** A fresh short id for each new restaurant (`REST-<id>`) and each menu item created without one (`ITEM-<id>`). */
  newId: () => string;
  /** Stamps createdAt / updatedAt. Default: the system clock. */
  clock?: Clock;
}

/** The restaurant as every catalog answer shows it (CONTRACT.md "Catalog"). */
function restaurantView(r: Restaurant) {
  return { restaurantId: r.restaurantId, name: r.name, location: r.location, address: r.address, createdAt: r.createdAt };
}

/** Distances are shown to the metre. */
const roundKm = (km: number) => Math.round(km * 1000) / 1000;

function nearbyView(r: NearbyRestaurant) {
  return { ...restaurantView(r), distanceKm: roundKm(r.distanceKm) };
}

function menuItemView(item: MenuItem) {
  return {
    itemId: item.itemId,
    name: item.name,
    priceCents: item.priceCents,
    currency: item.currency,
    available: item.available,
    updatedAt: item.updatedAt,
  };
}

const restaurantPath = (restaurantId: string) => `/v1/restaurants/${encodeURIComponent(restaurantId)}`;

/** The restaurant id of a path, or a 404 (an id that cannot exist is as unknown as one that does not). */
function restaurantIdParam(res: Response, value: unknown): string | undefined {
  const parsed = catalogIdSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  sendError(res, appError('NOT_FOUND', 'No such restaurant'));
  return undefined;
}

const notFound = (restaurantId: string) => appError('NOT_FOUND', `Restaurant ${restaurantId} does not exist`);

/** Admins manage every menu; a restaurant only its own. */
function mayEditMenu(principal: Principal, restaurantId: unknown): boolean {
  return principal.role === 'admin' || (principal.role === 'restaurant' && principal.restaurantId === restaurantId);
}

/**
 * CONTRACT.md "Catalog". Reads need any valid token (customers browse); creating restaurants needs admin;
 * editing a menu needs admin or that restaurant's token. Expects JSON bodies parsed by the app
 * (`express.json`). Guards are per route, so mounting this router at the root never touches other paths.
 *
 * - `POST /v1/restaurants` `{ name, location: { lat, lng }, address? }` → 201 restaurant, `Location` header
 * - `GET /v1/restaurants?near=lat,lng&radiusKm=&limit=` → `{ restaurants: [restaurant & { distanceKm }] }`,
 *   nearest first; without `near`, `{ restaurants: [restaurant] }` newest first
 * - `GET /v1/restaurants/{restaurantId}` → restaurant
 * - `GET /v1/restaurants/{restaurantId}/menu` → `{ restaurantId, items: [item] }`
 * - `POST /v1/restaurants/{restaurantId}/menu/items` `{ itemId?, name, priceCents, currency, available? }` →
 *   201 (created) or 200 (replaced) `{ restaurantId, …item }`
 *
 * where restaurant = `{ restaurantId, name, location, address, createdAt }` and
 * item = `{ itemId, name, priceCents, currency, available, updatedAt }`.
 */
export function catalogRoutes({ store, verifier, newId, clock = systemClock }: CatalogRoutesOptions): Router {
  const router = express.Router();
  const signedIn = authenticate(verifier);

  router.post('/v1/restaurants', signedIn, requireRole('admin'), async (req, res) => {
    const parsed = createRestaurantSchema.safeParse(req.body);
    if (!parsed.success) {
      sendError(res, fromZodError(parsed.error));
      return;
    }
    const body = parsed.data;
    const created = await store.createRestaurant({
      restaurantId: restaurantIdFrom(newId()),
      name: body.name,
      location: body.location,
      address: body.address ?? null,
      createdAt: clock.now(),
    });
    if (!created.ok) {
      sendError(res, created.error);
      return;
    }
    res.status(201).location(restaurantPath(created.value.restaurantId)).json(restaurantView(created.value));
  });

  router.get('/v1/restaurants', signedIn, async (req, res) => {
    const parsed = listRestaurantsQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      sendError(res, fromZodError(parsed.error));
      return;
    }
    const { near, radiusKm = DEFAULT_RADIUS_KM, limit = DEFAULT_LIST_LIMIT } = parsed.data;
    if (near === undefined) {
      const restaurants = await store.listRestaurants(limit);
      res.json({ restaurants: restaurants.map(restaurantView) });
      return;
    }
    const restaurants = await store.nearRestaurants(near.lat, near.lng, radiusKm, limit);
    res.json({ restaurants: restaurants.map(nearbyView) });
  });

  router.get('/v1/restaurants/:restaurantId', signedIn, async (req, res) => {
    const restaurantId = restaurantIdParam(res, req.params.restaurantId);
    if (restaurantId === undefined) return;
    const restaurant = await store.getRestaurant(restaurantId);
    if (restaurant === undefined) {
      sendError(res, notFound(restaurantId));
      return;
    }
    res.json(restaurantView(restaurant));
  });

  router.get('/v1/restaurants/:restaurantId/menu', signedIn, async (req, res) => {
    const restaurantId = restaurantIdParam(res, req.params.restaurantId);
    if (restaurantId === undefined) return;
    const items = await store.getMenu(restaurantId);
    if (items === undefined) {
      sendError(res, notFound(restaurantId));
      return;
    }
    res.json({ restaurantId, items: items.map(menuItemView) });
  });

  router.post('/v1/restaurants/:restaurantId/menu/items', signedIn, async (req, res) => {
    const principal = principalOf(res);
    const pathId = req.params.restaurantId;
    // Ownership first: another restaurant learns nothing, not even whether the body was valid.
    if (principal === undefined || !mayEditMenu(principal, pathId)) {
      sendError(res, appError('FORBIDDEN', 'Only an admin or this restaurant may edit its menu'));
      return;
    }
    const restaurantId = restaurantIdParam(res, pathId);
    if (restaurantId === undefined) return;
    const parsed = menuItemSchema.safeParse(req.body);
    if (!parsed.success) {
      sendError(res, fromZodError(parsed.error));
      return;
    }
    const body = parsed.data;
    const saved = await store.upsertMenuItem(restaurantId, {
      itemId: body.itemId ?? itemIdFrom(newId()),
      name: body.name,
      priceCents: body.priceCents,
      currency: body.currency,
      ...(body.available === undefined ? {} : { available: body.available }),
      updatedAt: clock.now(),
    });
    if (!saved.ok) {
      sendError(res, saved.error);
      return;
    }
    res.status(saved.value.created ? 201 : 200).json({ restaurantId, ...menuItemView(saved.value.item) });
  });

  return router;
}
