-- Up Migration
-- One round trip for the first half of a group commit (src/orders/event-store/pg-event-store.ts): lock the group's
-- streams, then read their versions and which of the group's commands they already applied.
--
-- The reads must see the commit of the writer the locks waited for. Under READ COMMITTED a plain statement reads
-- from a snapshot taken when it starts, before its locks are granted, so the two used to be separate statements. A
-- VOLATILE PL/pgSQL function takes a fresh snapshot for each statement it runs: the RETURN QUERY below starts after
-- PERFORM has every lock.
--
-- Locks: transaction-scoped advisory locks (lock_class, hashtext(order id)), taken in hash order so two groups never
-- deadlock; lock_class is ORDER_STREAM_LOCK_CLASS of pg-event-store.ts, the one place that number is written.
-- Rows: one per stream with causation_id NULL and the stream's version (0 when new); one per given
-- (order id, causation id) already applied, with the version it left. Every row carries the transaction's now().
CREATE FUNCTION order_events_lock_and_read(lock_class integer, stream_ids text[], command_order_ids text[], command_causation_ids text[])
RETURNS TABLE (order_id text, causation_id text, version integer, now timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(lock_class, k)
  FROM (SELECT DISTINCT hashtext(id) AS k FROM unnest(stream_ids) AS u(id) ORDER BY k) AS keys;

  RETURN QUERY
  SELECT s.id, NULL::text, COALESCE((SELECT max(e.seq) FROM order_events e WHERE e.order_id = s.id), 0)::integer, now()
  FROM unnest(stream_ids) AS s(id)
  UNION ALL
  SELECT c.order_id, c.causation_id, c.version, now()
  FROM unnest(command_order_ids, command_causation_ids) AS q(order_id, causation_id)
  JOIN order_commands c ON c.order_id = q.order_id AND c.causation_id = q.causation_id;
END
$$;

-- Down Migration
DROP FUNCTION IF EXISTS order_events_lock_and_read(integer, text[], text[], text[]);
