-- Up Migration
-- The order actor's runtime bookkeeping, written in the same transaction as its events: which inbox entry it applied
-- last, the message ids it applied recently, and the effects of its last command (replayed on activation).
CREATE TABLE order_actors (
  order_id        text PRIMARY KEY,
  version         integer NOT NULL,
  applied_through text NOT NULL,
  recent_ids      jsonb NOT NULL DEFAULT '[]'::jsonb,
  outbox          jsonb NOT NULL DEFAULT '[]'::jsonb,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- The order read model (the CONTRACT.md order view), kept in step with the events in their transaction; Redis holds
-- a copy for fast reads and this table is the fallback.
CREATE TABLE orders (
  order_id      text PRIMARY KEY,
  customer_id   text NOT NULL,
  restaurant_id text NOT NULL,
  driver_id     text,
  status        text NOT NULL,
  total_cents   integer NOT NULL,
  currency      char(3) NOT NULL,
  view          jsonb NOT NULL,
  version       integer NOT NULL,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL
);
CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at DESC);
CREATE INDEX orders_restaurant_status_idx ON orders (restaurant_id, status);
CREATE INDEX orders_driver_idx ON orders (driver_id) WHERE driver_id IS NOT NULL;

-- Down Migration
DROP TABLE IF EXISTS orders;
DROP TABLE IF EXISTS order_actors;
