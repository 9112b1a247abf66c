-- Up Migration
-- The schema's starting point. Later migrations add the event store, outbox, read model and catalog.
CREATE TABLE IF NOT EXISTS schema_info (
  key   text PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO schema_info (key, value) VALUES ('project', 'food-delivery') ON CONFLICT (key) DO NOTHING;

-- Down Migration
DROP TABLE IF EXISTS schema_info;
