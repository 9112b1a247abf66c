-- Up Migration
-- The order event store (the source of truth for orders), command de-duplication, optional snapshots, and the
-- transactional outbox the relay publishes to Kafka. Written by src/orders/event-store and src/orders/outbox.

-- One row per domain event. Optimistic concurrency is the primary key: seq runs 1, 2, 3, … per order and an
-- append must continue at exactly the version its command was decided on.
CREATE TABLE order_events (
  order_id     text        NOT NULL,
  seq          integer     NOT NULL CHECK (seq > 0),
  event_id     uuid        NOT NULL UNIQUE,
  event_type   text        NOT NULL,
  data         jsonb       NOT NULL,
  causation_id text        NOT NULL,
  occurred_at  timestamptz NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, seq)
);

-- One row per applied command (message id), written in the transaction of its events. One command may emit
-- several events (or none), so the uniqueness of a causation id per order lives here rather than on
-- order_events: a redelivered command finds its row and appends nothing. `version` is the order's version
-- right after that command.
CREATE TABLE order_commands (
  order_id     text        NOT NULL,
  causation_id text        NOT NULL,
  version      integer     NOT NULL CHECK (version >= 0),
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, causation_id)
);

-- Optional: an actor host may upsert its state here in the append's transaction (beforeCommit) to shorten
-- rebuilds. State can always be rebuilt from order_events alone.
CREATE TABLE order_snapshots (
  order_id   text        PRIMARY KEY,
  version    integer     NOT NULL CHECK (version >= 0),
  state      jsonb       NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Messages to publish, written in the transaction of the events they carry. Rows of one key are inserted
-- (and so numbered) in publish order; the relay publishes in id order and stamps published_at.
CREATE TABLE outbox (
  id           bigserial   PRIMARY KEY,
  event_id     uuid        NOT NULL,
  topic        text        NOT NULL,
  message_key  text        NOT NULL,
  payload      jsonb       NOT NULL,
  headers      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);

-- The relay's work queue and the backlog gauge read only this (small) index.
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;

-- Down Migration
DROP TABLE IF EXISTS outbox;
DROP TABLE IF EXISTS order_snapshots;
DROP TABLE IF EXISTS order_commands;
DROP TABLE IF EXISTS order_events;
