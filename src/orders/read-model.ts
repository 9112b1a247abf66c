import type { Redis } from 'ioredis';
import type { RuntimeKeys } from '../../actors/keys.ts';
import type { OrderView } from '../../machines/order/view.ts';
import type { Pool } from '../db/pool.ts';
import { defineScript } from '../../actors/script.ts';

const cacheViewScript = defineScript(`
-- KEYS[1] order view   ARGV[1] the view's version   ARGV[2] view JSON   ARGV[3] TTL ms
-- Writes the view unless Redis already holds a newer version (a late writer, e.g. a resumed zombie, never rolls
-- the view back). Returns 1 when written.
local current = redis.call('GET', KEYS[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and tonumber(decoded['version']) and tonumber(decoded['version']) > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`);

/** How long the Redis copy of an order view, and a customer's recent-orders list, live after their last change. */
export const READ_MODEL_TTL_MS = 24 * 3600 * 1000;
/** Recent orders kept per customer in Redis. */
const RECENT_ORDERS_KEPT = 50;

/**
 * The order read model: the CONTRACT.md order view in Redis (`order:{id}`, `customer:{id}:last_orders`) for fast
 * reads, with the `orders` table (written in the events' transaction) as the source it falls back to.
 */
export interface OrderReadModel {
  /** Redis side, after the events are committed. */
  cache(view: OrderView): Promise<void>;
  get(orderId: string): Promise<OrderView | null>;
  recentOfCustomer(customerId: string, limit: number): Promise<OrderView[]>;
}

export function orderReadModel(redis: Redis, pool: Pool, keys: RuntimeKeys): OrderReadModel {
  const fromPostgres = async (orderId: string) => {
    const { rows } = await pool.query<{ view: OrderView }>('SELECT view FROM orders WHERE order_id = $1', [orderId]);
    return rows[0]?.view ?? null;
  };
  return {
    async cache(view) {
      const list = keys.customerOrders(view.customerId);
      await Promise.all([
        cacheViewScript.run(redis, [keys.orderView(view.orderId)], [view.version, JSON.stringify(view), READ_MODEL_TTL_MS]),
        redis
          .multi()
          .zadd(list, Date.parse(view.createdAt), view.orderId)
          .zremrangebyrank(list, 0, -RECENT_ORDERS_KEPT - 1)
          .pexpire(list, READ_MODEL_TTL_MS)
          .exec(),
      ]);
    },
    async get(orderId) {
      const cached = await redis.get(keys.orderView(orderId));
      return cached ? (JSON.parse(cached) as OrderView) : fromPostgres(orderId);
    },
    async recentOfCustomer(customerId, limit) {
      const ids = await redis.zrevrange(keys.customerOrders(customerId), 0, limit - 1);
      if (ids.length > 0) {
        const views = await Promise.all(ids.map(async (id) => this.get(id)));
        return views.filter((v): v is OrderView => v !== null);
      }
      const { rows } = await pool.query<{ view: OrderView }>('SELECT view FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT $2', [
        customerId,
        limit,
      ]);
      return rows.map((r) => r.view);
    },
  };
}
