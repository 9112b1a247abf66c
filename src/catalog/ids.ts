import { randomBytes } from 'node:crypto';

/** Crockford's base32 alphabet: no I, L, O or U, so ids read aloud and retype without confusion. */
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A random id of `length` characters (default 12, i.e. 60 bits: a collision is unlikely before ~10^9 ids and
 * is then refused as CONFLICT, never overwritten). The default `newId` for the catalog routes.
 */
export function randomShortId(length = 12): string {
  const bytes = randomBytes(length);
  let id = '';
  for (const byte of bytes) id += alphabet[byte & 31] ?? '0';
  return id;
}

/** `REST-<short id>`. */
export const restaurantIdFrom = (shortId: string): string => `REST-${shortId}`;
/** `ITEM-<short id>`, for menu items created without an itemId. */
export const itemIdFrom = (shortId: string): string => `ITEM-${shortId}`;
