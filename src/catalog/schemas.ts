import { z } from 'zod';

/** Ids of restaurants and menu items: letters, digits and `_ . : -`, starting with a letter or digit, ≤ 128. */
export const catalogIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/);

/** WGS84 degrees; JSON numbers only (no strings, no NaN). */
export const locationSchema = z.strictObject({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
});

const text = (max: number) => z.string().trim().min(1).max(max);

export const addressSchema = z.strictObject({
  street: text(200),
  city: text(100),
  state: text(100).optional(),
  zipCode: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9 -]{1,10}[A-Za-z0-9]$/),
});

/** `POST /v1/restaurants` body. `address` may be omitted or null. */
export const createRestaurantSchema = z.strictObject({
  name: text(200),
  location: locationSchema,
  address: addressSchema.nullable().optional(),
});

/** Largest accepted price, cents (100 000.00 in the currency's major unit). */
export const MAX_PRICE_CENTS = 10_000_000;

/**
 * `POST /v1/restaurants/{restaurantId}/menu/items` body. Without `itemId` a new item is created; with one, that
 * item is created or replaced. `available` omitted: true for a new item, unchanged for an existing one.
 */
export const menuItemSchema = z.strictObject({
  itemId: catalogIdSchema.optional(),
  name: text(200),
  priceCents: z.int().positive().max(MAX_PRICE_CENTS),
  currency: z.string().regex(/^[A-Z]{3}$/),
  available: z.boolean().optional(),
});

/** Search radius, km: default and most. */
export const DEFAULT_RADIUS_KM = 5;
export const MAX_RADIUS_KM = 50;
/** Restaurants per list answer: default and most. */
export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

const decimal = /^-?\d{1,3}(\.\d{1,15})?$/;

/** `lat,lng` in decimal degrees, e.g. `37.7749,-122.4194` (a space after the comma is allowed). */
const nearSchema = z
  .string()
  .regex(/^-?\d{1,3}(\.\d{1,15})?, ?-?\d{1,3}(\.\d{1,15})?$/)
  .transform((value) => {
    const [lat = '', lng = ''] = value.split(',');
    return { lat: Number(lat.trim()), lng: Number(lng.trim()) };
  })
  .pipe(locationSchema);

/**
 * `GET /v1/restaurants` query. With `near`: restaurants within `radiusKm` (default 5, most 50), nearest first.
 * Without: the newest restaurants. `limit` (default 20, most 100) caps either. Repeated or unknown parameters
 * are refused.
 */
export const listRestaurantsQuerySchema = z
  .strictObject({
    near: nearSchema.optional(),
    radiusKm: z
      .string()
      .regex(decimal)
      .transform(Number)
      .pipe(z.number().gt(0).max(MAX_RADIUS_KM))
      .optional(),
    limit: z
      .string()
      .regex(/^\d{1,3}$/)
      .transform(Number)
      .pipe(z.int().min(1).max(MAX_LIST_LIMIT))
      .optional(),
  })
  .refine((query) => query.radiusKm === undefined || query.near !== undefined, {
    path: ['radiusKm'],
    message: 'radiusKm needs near',
  });
