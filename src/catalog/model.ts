import type { AppError } from '../errors/app-error.ts';
import type { Location } from './geo.ts';

export type { Location } from './geo.ts';

/** A restaurant's postal address, as given when it was created. */
export interface Address {
  street: string;
  city: string;
  state?: string;
  zipCode: string;
}

export interface Restaurant {
  /** `REST-<short id>`. */
  restaurantId: string;
  name: string;
  location: Location;
  address: Address | null;
  /** ISO-8601 UTC. */
  createdAt: string;
}

export interface NearbyRestaurant extends Restaurant {
  /** Great-circle distance from the searched point, km. */
  distanceKm: number;
}

export interface MenuItem {
  restaurantId: string;
  itemId: string;
  name: string;
  /** Integer minor units of `currency`, > 0. */
  priceCents: number;
  /** ISO 4217, three upper-case letters. */
  currency: string;
  /** Unavailable items stay on the menu but cannot be ordered. */
  available: boolean;
  /** ISO-8601 UTC. */
  updatedAt: string;
}

/** What `createRestaurant` stores; the id and time are chosen by the caller (injected `newId` and clock). */
export interface NewRestaurant {
  restaurantId: string;
  name: string;
  location: Location;
  address: Address | null;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
}

/** What `upsertMenuItem` stores under (restaurantId, itemId). */
export interface MenuItemInput {
  itemId: string;
  name: string;
  priceCents: number;
  currency: string;
  /** Omitted: true for a new item, unchanged for an existing one. */
  available?: boolean;
  /** Milliseconds since the Unix epoch. */
  updatedAt: number;
}

/** One line of an order as the client sends it: which item, how many. Prices never come from the client. */
export interface OrderLine {
  itemId: string;
  quantity: number;
}

export interface PricedLine {
  itemId: string;
  name: string;
  quantity: number;
  /** From the catalog at pricing time. */
  unitPriceCents: number;
}

export interface PricedOrder {
  items: PricedLine[];
  /** Σ unitPriceCents × quantity. */
  totalCents: number;
  currency: string;
}

/** Why a set of order lines cannot be priced: the restaurant is unknown (NOT_FOUND), or a line is not orderable. */
export interface PricingError extends AppError {
  readonly code: 'NOT_FOUND' | 'VALIDATION_FAILED';
}

/** Most of one item in one order. */
export const MAX_QUANTITY_PER_ITEM = 50;
/** Most distinct items in one order. */
export const MAX_ORDER_LINES = 100;
