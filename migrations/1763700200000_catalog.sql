-- Up Migration
-- The catalog: restaurants and their menus. Orders are priced from these rows, never from the client's numbers.

CREATE TABLE restaurants (
  restaurant_id text PRIMARY KEY CHECK (length(restaurant_id) BETWEEN 1 AND 128),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- WGS84 degrees. No PostGIS: "near" queries prefilter on a bounding box (restaurants_lat_lng_idx), then
  -- compute the haversine distance of the few rows left.
  lat           double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  lng           double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
  -- A postal address object (street, city, state?, zipCode), or null when not given.
  address       jsonb NULL CHECK (address IS NULL OR jsonb_typeof(address) = 'object'),
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- The bounding-box prefilter: a range scan on lat, then lng checked from the index entries.
CREATE INDEX restaurants_lat_lng_idx ON restaurants (lat, lng);
-- Listing without a location: newest first.
CREATE INDEX restaurants_created_at_idx ON restaurants (created_at DESC, restaurant_id DESC);

CREATE TABLE menu_items (
  restaurant_id text NOT NULL REFERENCES restaurants (restaurant_id) ON DELETE CASCADE,
  item_id       text NOT NULL CHECK (length(item_id) BETWEEN 1 AND 128),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- Integer minor units (cents) of `currency`.
  price_cents   integer NOT NULL CHECK (price_cents > 0),
  -- ISO 4217 code, e.g. USD.
  currency      char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  available     boolean NOT NULL DEFAULT true,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (restaurant_id, item_id)
);

-- Down Migration
DROP TABLE IF EXISTS menu_items;
DROP TABLE IF EXISTS restaurants;
