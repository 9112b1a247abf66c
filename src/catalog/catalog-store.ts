import type { Pool } from '../db/pool.ts';
import type { AppError } from '../errors/app-error.ts';
import { err, ok } from '../shared/result.ts';
import type { Result } from '../shared/result.ts';
import { DISTANCE_TOLERANCE_KM, EARTH_RADIUS_KM, boundingBox } from './geo.ts';
import type {
  Address,
  MenuItem,
  MenuItemInput,
  NearbyRestaurant,
  NewRestaurant,
  OrderLine,
  PricedOrder,
  PricingError,
  Restaurant,
} from './model.ts';
import { checkOrderLines, priceOrderLines } from './pricing.ts';

/**
 * The catalog as its callers need it: the catalog routes (everything) and order placement (`getRestaurant`,
 * `priceItems`). Absence is `undefined`; the failures a caller must handle are `Result`s; only the unexpected
 * (database down, a bug) throws.
 */
export interface CatalogStore {
  /** Err CONFLICT when the id is taken (an id generator collision). */
  createRestaurant(restaurant: NewRestaurant): Promise<Result<Restaurant, AppError & { code: 'CONFLICT' }>>;
  getRestaurant(restaurantId: string): Promise<Restaurant | undefined>;
  /** Newest first, at most `limit`. */
  listRestaurants(limit: number): Promise<Restaurant[]>;
  /** Restaurants within `radiusKm` of (lat, lng) (1 mm of slack), nearest first (ties by id), at most `limit`. */
  nearRestaurants(lat: number, lng: number, radiusKm: number, limit: number): Promise<NearbyRestaurant[]>;
  /** Every item, available or not, ordered by name; undefined when the restaurant does not exist. */
  getMenu(restaurantId: string): Promise<MenuItem[] | undefined>;
  /** Creates or replaces the item; `created` tells which. Err NOT_FOUND when the restaurant does not exist. */
  upsertMenuItem(
    restaurantId: string,
    item: MenuItemInput,
  ): Promise<Result<{ item: MenuItem; created: boolean }, AppError & { code: 'NOT_FOUND' }>>;
  /**
   * Prices order lines from the catalog as it is now (one consistent read). Err NOT_FOUND for an unknown
   * restaurant or items not on its menu; VALIDATION_FAILED for unavailable items, mixed currencies, repeated
   * items or a quantity that is not a whole number from 1 to MAX_QUANTITY_PER_ITEM. Details name the items.
   */
  priceItems(restaurantId: string, lines: readonly OrderLine[]): Promise<Result<PricedOrder, PricingError>>;
}

/** The part of the catalog order placement depends on. */
export type CatalogPricing = Pick<CatalogStore, 'getRestaurant' | 'priceItems'>;

interface RestaurantRow {
  restaurant_id: string;
  name: string;
  lat: number;
  lng: number;
  address: Address | null;
  created_at: Date;
}

interface MenuItemRow {
  restaurant_id: string;
  item_id: string;
  name: string;
  price_cents: number;
  currency: string;
  available: boolean;
  updated_at: Date;
}

const restaurantColumns = 'restaurant_id, name, lat, lng, address, created_at';
const menuItemColumns = 'restaurant_id, item_id, name, price_cents, currency, available, updated_at';

function toRestaurant(row: RestaurantRow): Restaurant {
  return {
    restaurantId: row.restaurant_id,
    name: row.name,
    location: { lat: row.lat, lng: row.lng },
    address: row.address,
    createdAt: row.created_at.toISOString(),
  };
}

function toMenuItem(row: MenuItemRow): MenuItem {
  return {
    restaurantId: row.restaurant_id,
    itemId: row.item_id,
    name: row.name,
    priceCents: row.price_cents,
    currency: row.currency,
    available: row.available,
    updatedAt: row.updated_at.toISOString(),
  };
}

/** The SQLSTATE of a Postgres error (matched structurally, never by message). */
function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}
const uniqueViolation = '23505';
const foreignKeyViolation = '23503';

/** Haversine distance, km, from ($1, $2) to the row's (lat, lng); the same formula as `haversineKm`. */
const distanceSql = `2 * ${EARTH_RADIUS_KM} * asin(least(1, sqrt(
    power(sin(radians(lat - $1) / 2), 2)
    + cos(radians($1)) * cos(radians(lat)) * power(sin(radians(lng - $2) / 2), 2))))`;

export function createPgCatalogStore(pool: Pool): CatalogStore {
  /**
   * The restaurant's menu items (only `itemIds` when given), ordered by name; undefined when the restaurant
   * does not exist. One statement, so "unknown restaurant" and "no such items" are read from the same snapshot:
   * the LEFT JOIN yields one row with null item columns for a restaurant without (matching) items.
   */
  async function readMenu(restaurantId: string, itemIds: readonly string[] | undefined): Promise<MenuItem[] | undefined> {
    const { rows } = await pool.query<{ [K in keyof MenuItemRow]: MenuItemRow[K] | null }>(
      `SELECT r.restaurant_id, m.item_id, m.name, m.price_cents, m.currency, m.available, m.updated_at
       FROM restaurants r
       LEFT JOIN menu_items m
         ON m.restaurant_id = r.restaurant_id AND ($2::text[] IS NULL OR m.item_id = ANY($2::text[]))
       WHERE r.restaurant_id = $1
       ORDER BY m.name, m.item_id`,
      [restaurantId, itemIds ?? null],
    );
    if (rows.length === 0) return undefined;
    const items: MenuItem[] = [];
    for (const { restaurant_id, item_id, name, price_cents, currency, available, updated_at } of rows) {
      if (
        restaurant_id === null || item_id === null || name === null || price_cents === null ||
        currency === null || available === null || updated_at === null
      ) {
        continue; // the restaurant's row when it has no (matching) items
      }
      items.push(toMenuItem({ restaurant_id, item_id, name, price_cents, currency, available, updated_at }));
    }
    return items;
  }

  async function getRestaurant(restaurantId: string): Promise<Restaurant | undefined> {
    const { rows } = await pool.query<RestaurantRow>(
      `SELECT ${restaurantColumns} FROM restaurants WHERE restaurant_id = $1`,
      [restaurantId],
    );
    const row = rows[0];
    return row === undefined ? undefined : toRestaurant(row);
  }

  return {
    async createRestaurant(r) {
      try {
        const { rows } = await pool.query<RestaurantRow>(
          `INSERT INTO restaurants (restaurant_id, name, lat, lng, address, created_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           RETURNING ${restaurantColumns}`,
          [r.restaurantId, r.name, r.location.lat, r.location.lng, r.address === null ? null : JSON.stringify(r.address), new Date(r.createdAt)],
        );
        const row = rows[0];
        if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
        return ok(toRestaurant(row));
      } catch (e) {
        if (sqlState(e) === uniqueViolation) {
          return err({ code: 'CONFLICT', detail: `Restaurant ${r.restaurantId} already exists` });
        }
        throw e;
      }
    },

    getRestaurant,

    async listRestaurants(limit) {
      const { rows } = await pool.query<RestaurantRow>(
        `SELECT ${restaurantColumns} FROM restaurants ORDER BY created_at DESC, restaurant_id DESC LIMIT $1`,
        [limit],
      );
      return rows.map(toRestaurant);
    },

    async nearRestaurants(lat, lng, radiusKm, limit) {
      // The bounding box is a range scan on restaurants_lat_lng_idx; only rows inside it get the haversine.
      const box = boundingBox({ lat, lng }, radiusKm);
      const [first, second = first] = box.lngRanges;
      const { rows } = await pool.query<RestaurantRow & { distance_km: number }>(
        `SELECT ${restaurantColumns}, distance_km FROM (
           SELECT ${restaurantColumns}, ${distanceSql} AS distance_km
           FROM restaurants
           WHERE lat BETWEEN $3 AND $4
             AND (lng BETWEEN $5 AND $6 OR lng BETWEEN $7 AND $8)
         ) AS candidates
         WHERE distance_km <= $9
         ORDER BY distance_km, restaurant_id
         LIMIT $10`,
        [lat, lng, box.minLat, box.maxLat, first[0], first[1], second[0], second[1], radiusKm + DISTANCE_TOLERANCE_KM, limit],
      );
      return rows.map((row) => ({ ...toRestaurant(row), distanceKm: row.distance_km }));
    },

    async getMenu(restaurantId) {
      return readMenu(restaurantId, undefined);
    },

    async upsertMenuItem(restaurantId, item) {
      try {
        // `xmax = 0` holds only for a freshly inserted row version, so it tells an insert from an update.
        const { rows } = await pool.query<MenuItemRow & { inserted: boolean }>(
          `INSERT INTO menu_items (restaurant_id, item_id, name, price_cents, currency, available, updated_at)
           VALUES ($1, $2, $3, $4, $5, COALESCE($6::boolean, true), $7)
           ON CONFLICT (restaurant_id, item_id) DO UPDATE
             SET name = EXCLUDED.name,
                 price_cents = EXCLUDED.price_cents,
                 currency = EXCLUDED.currency,
                 available = COALESCE($6::boolean, menu_items.available),
                 updated_at = EXCLUDED.updated_at
           RETURNING ${menuItemColumns}, (xmax = 0) AS inserted`,
          [restaurantId, item.itemId, item.name, item.priceCents, item.currency, item.available ?? null, new Date(item.updatedAt)],
        );
        const row = rows[0];
        if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
        return ok({ item: toMenuItem(row), created: row.inserted });
      } catch (e) {
        if (sqlState(e) === foreignKeyViolation) {
          return err({ code: 'NOT_FOUND', detail: `Restaurant ${restaurantId} does not exist` });
        }
        throw e;
      }
    },

    async priceItems(restaurantId, lines) {
      const checked = checkOrderLines(lines);
      if (!checked.ok) return checked;
      const menu = await readMenu(restaurantId, lines.map((line) => line.itemId));
      if (menu === undefined) return err({ code: 'NOT_FOUND', detail: `Restaurant ${restaurantId} does not exist` });
      return priceOrderLines(restaurantId, lines, new Map(menu.map((item) => [item.itemId, item])));
    },
  };
}
