export { createPgCatalogStore } from './catalog-store.ts';
export type { CatalogStore, CatalogPricing } from './catalog-store.ts';
export { catalogRoutes } from './routes.ts';
export type { CatalogRoutesOptions } from './routes.ts';
export { DISTANCE_TOLERANCE_KM, EARTH_RADIUS_KM, boundingBox, haversineKm } from './geo.ts';
export type { BoundingBox } from './geo.ts';
export { MAX_ORDER_LINES, MAX_QUANTITY_PER_ITEM } from './model.ts';
export type {
  Address,
  Location,
  MenuItem,
  MenuItemInput,
  NearbyRestaurant,
  NewRestaurant,
  OrderLine,
  PricedLine,
  PricedOrder,
  PricingError,
  Restaurant,
} from './model.ts';
export { checkOrderLines, priceOrderLines } from './pricing.ts';
export { itemIdFrom, randomShortId, restaurantIdFrom } from './ids.ts';
export {
  addressSchema,
  catalogIdSchema,
  createRestaurantSchema,
  listRestaurantsQuerySchema,
  locationSchema,
  menuItemSchema,
  DEFAULT_LIST_LIMIT,
  DEFAULT_RADIUS_KM,
  MAX_LIST_LIMIT,
  MAX_PRICE_CENTS,
  MAX_RADIUS_KM,
} from './schemas.ts';
