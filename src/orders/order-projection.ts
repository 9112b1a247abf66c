import type { ActorRecord } from '../../actors/store.ts';
import type { OrderView } from '../../machines/order/view.ts';
import type { PgTransaction } from './event-store/index.ts';

/** What an order commit carries into its events' transaction besides the events. */
export interface OrderCommitContext {
  readonly orderId: string;
  readonly version: number;
  readonly appliedThrough: string;
  readonly recentIds: ActorRecord['recentIds'];
  readonly outbox: ActorRecord['outbox'];
  readonly view: OrderView | null;
}

/**
 * The event store's group hook for orders: in the transaction that appends a group's events, upserts every order's
 * runtime bookkeeping (`order_actors`) and read row (`orders`): one statement, a multi-row upsert per table.
 */
export async function projectOrders(tx: PgTransaction, appended: readonly { context: unknown }[]): Promise<void> {
  // Two commands of one order can share a group; the later (higher version) row wins.
  const latest = new Map<string, OrderCommitContext>();
  for (const { context } of appended) {
    const c = context as OrderCommitContext | undefined;
    if (c && (latest.get(c.orderId)?.version ?? -1) < c.version) latest.set(c.orderId, c);
  }
  const rows = [...latest.values()];
  if (rows.length === 0) return;
  const views = rows.flatMap((r) => (r.view ? [r.view] : []));
  await tx.query({
    name: 'orders_project',
    text: PROJECT_SQL,
    values: [
      rows.map((r) => r.orderId),
      rows.map((r) => r.version),
      rows.map((r) => r.appliedThrough),
      rows.map((r) => JSON.stringify(r.recentIds)),
      rows.map((r) => JSON.stringify(r.outbox)),
      views.map((v) => v.orderId),
      views.map((v) => v.customerId),
      views.map((v) => v.restaurantId),
      views.map((v) => v.driverId),
      views.map((v) => v.status),
      views.map((v) => v.totalCents),
      views.map((v) => v.currency),
      views.map((v) => JSON.stringify(v)),
      views.map((v) => v.version),
      views.map((v) => v.createdAt),
    ],
  });
}

// Both upserts in one statement (one round trip); a later writer never rolls a row back (the version guards).
const PROJECT_SQL = `
WITH actors AS (
  INSERT INTO order_actors (order_id, version, applied_through, recent_ids, outbox, updated_at)
  SELECT o, v, a, r, x, now() FROM unnest($1::text[], $2::int[], $3::text[], $4::jsonb[], $5::jsonb[]) AS t(o, v, a, r, x)
  ON CONFLICT (order_id) DO UPDATE SET version = EXCLUDED.version, applied_through = EXCLUDED.applied_through,
    recent_ids = EXCLUDED.recent_ids, outbox = EXCLUDED.outbox, updated_at = now()
  WHERE order_actors.version < EXCLUDED.version
), views AS (
  INSERT INTO orders (order_id, customer_id, restaurant_id, driver_id, status, total_cents, currency, view, version, created_at, updated_at)
  SELECT o, c, r, d, s, t, cur, v, ver, cr, now()
    FROM unnest($6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::int[], $12::text[], $13::jsonb[], $14::int[], $15::timestamptz[])
      AS x(o, c, r, d, s, t, cur, v, ver, cr)
  ON CONFLICT (order_id) DO UPDATE SET driver_id = EXCLUDED.driver_id, status = EXCLUDED.status, view = EXCLUDED.view,
    version = EXCLUDED.version, updated_at = now()
  WHERE orders.version < EXCLUDED.version
)
SELECT 1`;
