import { ACTOR_ROLES, PAYMENT_METHODS, type Actor, type DeliveryAddress, type GeoPoint, type LineItem } from './types.ts';

/**
 * Checks of command fields that no type can express (non-empty, integer cents, ranges, ISO times). Each returns
 * the problem as a sentence, or null when the value is fine.
 */
export type Problem = string | null;

/** Free text (reasons, instructions) is capped so that one event stays a small Kafka message. */
export const MAX_TEXT_LENGTH = 1_000;
/** Beyond this, `new Date(ms)` is invalid. */
const MAX_EPOCH_MS = 8.64e15;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const CURRENCY = /^[A-Z]{3}$/;

export function epochMs(value: number, field: string): Problem {
  return Number.isInteger(value) && Math.abs(value) <= MAX_EPOCH_MS ? null : `${field} must be whole milliseconds since the Unix epoch`;
}

export function text(value: string, field: string): Problem {
  if (typeof value !== 'string' || value.trim() === '') return `${field} must not be empty`;
  return value.length > MAX_TEXT_LENGTH ? `${field} must be at most ${MAX_TEXT_LENGTH} characters` : null;
}

/** The ISO-8601 UTC form of an ISO-8601 time with a zone, or null when it is not one. */
export function isoTime(value: string): string | null {
  if (typeof value !== 'string' || !ISO_TIME.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

export function cents(value: number, field: string, { positive = false } = {}): Problem {
  if (!Number.isSafeInteger(value) || value < (positive ? 1 : 0)) {
    return `${field} must be a ${positive ? 'positive' : 'non-negative'} whole number of cents`;
  }
  return null;
}

export function geoPoint(value: GeoPoint, field: string): Problem {
  // Commands come from the wire: defend against a missing object even though the type says otherwise.
  const lat: unknown = value?.lat;
  const lng: unknown = value?.lng;
  const ok = typeof lat === 'number' && typeof lng === 'number' && Math.abs(lat) <= 90 && Math.abs(lng) <= 180;
  return ok ? null : `${field} must have lat in [-90, 90] and lng in [-180, 180]`;
}

export function address(value: DeliveryAddress, field: string): Problem {
  if (value === null || typeof value !== 'object') return `${field} is missing`;
  return (
    text(value.street, `${field}.street`) ??
    text(value.city, `${field}.city`) ??
    text(value.state, `${field}.state`) ??
    text(value.zipCode, `${field}.zipCode`) ??
    geoPoint(value.location, `${field}.location`)
  );
}

export function lineItems(items: readonly LineItem[]): Problem {
  if (!Array.isArray(items) || items.length === 0) return 'items must not be empty';
  for (const [i, item] of items.entries()) {
    const problem =
      text(item.itemId, `items[${i}].itemId`) ??
      text(item.name, `items[${i}].name`) ??
      (Number.isSafeInteger(item.quantity) && item.quantity > 0 ? null : `items[${i}].quantity must be a positive whole number`) ??
      cents(item.unitPriceCents, `items[${i}].unitPriceCents`);
    if (problem !== null) return problem;
  }
  return null;
}

export function currency(value: string): Problem {
  return typeof value === 'string' && CURRENCY.test(value) ? null : 'currency must be an ISO 4217 code such as USD';
}

export function paymentMethod(value: string): Problem {
  return (PAYMENT_METHODS as readonly string[]).includes(value) ? null : `paymentMethod must be one of ${PAYMENT_METHODS.join(', ')}`;
}

export function actor(value: Actor, field: string): Problem {
  if (value === null || typeof value !== 'object' || !(ACTOR_ROLES as readonly string[]).includes(value.role)) {
    return `${field}.role must be one of ${ACTOR_ROLES.join(', ')}`;
  }
  return text(value.id, `${field}.id`);
}
