import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { cellToBoundary, isValidCell, latLngToCell } from 'h3-js';
import type { Redis } from 'ioredis';
import type { RuntimeKeys } from '../../actors/keys.ts';
import type { WorkerRegistry } from '../../actors/registry.ts';
import { authenticate, requireRole } from '../auth/http.ts';
import type { Verifier } from '../auth/verifier.ts';
import type { Pool } from '../db/pool.ts';
import { appError } from '../errors/app-error.ts';
import { sendError } from '../errors/http.ts';
import { systemClock, type Clock } from '../shared/clock.ts';

const DASHBOARD_DIR = fileURLToPath(new URL('../../gateway/dashboard/', import.meta.url));
const SOCKET_IO_BUNDLE = fileURLToPath(new URL('../../node_modules/socket.io-client/dist/socket.io.min.js', import.meta.url));

/** Statuses an order no longer leaves: never "stuck". */
export const FINAL_STATUSES = ['DELIVERED', 'SETTLED', 'CANCELLED', 'REJECTED'] as const;
/** Driver records read per `GET /v1/ops/drivers` at most (the SCAN stops there; `truncated` says so). */
export const MAX_DRIVERS = 5_000;
/** Open orders drawn on the map at most. */
const MAX_MAP_ORDERS = 1_000;
/** H3 resolution of the cell actors (DEFAULT_DISPATCH_SETTINGS.resolution), for drivers not listed in a cell. */
const CELL_RESOLUTION = 8;
const DEFAULT_STUCK_AFTER_S = 600;

export interface DashboardDeps {
  readonly verifier: Verifier;
  readonly redis: Redis;
  readonly keys: RuntimeKeys;
  readonly pool: Pool;
  readonly workers: WorkerRegistry;
  /** @default systemClock */
  readonly clock?: Clock;
}

export interface OpsOrderRow {
  orderId: string;
  status: string;
  customerId: string;
  restaurantId: string;
  restaurantName: string | null;
  driverId: string | null;
  totalCents: number;
  currency: string;
  createdAt: string;
  updatedAt: string;
  /** ms since placement. */
  ageMs: number;
  /** ms since the last status change (the row's last update). */
  sinceUpdateMs: number;
  final: boolean;
  /** Non-final and unchanged for longer than `stuckAfterMs`. */
  stuck: boolean;
}

export interface OpsDriver {
  driverId: string;
  /** The chart's state: unknown | offline | available | offered | assigned. */
  state: string;
  lat: number;
  lng: number;
  heading: number | null;
  /** Device time of the fix, ISO. */
  at: string | null;
  cell: string;
  /** Whether `cell` is the cell the driver is listed in (else the cell its position falls in). */
  listed: boolean;
  orderId: string | null;
}

interface MetricJson {
  name: string;
  values: { value: number; labels: Record<string, string | number> }[];
}

/**
 * The ops dashboard: the page at `/ops/` (static files of gateway/dashboard, the socket.io client at
 * `/ops/vendor/socket.io.min.js`) and the data it polls, all ops/admin:
 * `GET /v1/ops/orders`, `GET /v1/ops/drivers`, `GET /v1/ops/stats`.
 */
export function opsDashboardRoutes(deps: DashboardDeps): Router {
  const router = Router();
  const opsOnly = [authenticate(deps.verifier), requireRole('ops', 'admin')];
  const clock = deps.clock ?? systemClock;

  // Express routes are not strict about the trailing slash: only the bare `/ops` is redirected (relative links).
  router.get('/ops', (req, res, next) => (req.originalUrl.split('?')[0] === '/ops' ? res.redirect(301, '/ops/') : next()));
  router.get('/ops/vendor/socket.io.min.js', (_req, res) => {
    res.type('application/javascript').sendFile(SOCKET_IO_BUNDLE);
  });
  router.use('/ops', express.static(DASHBOARD_DIR, { index: 'index.html', fallthrough: true, maxAge: 0 }));

  router.get('/v1/ops/orders', ...opsOnly, async (req, res) => {
    const limit = intParam(req.query.limit, 100, 1, 500);
    const stuckAfterS = intParam(req.query.stuckAfterS, DEFAULT_STUCK_AFTER_S, 1, 86_400);
    if (limit === null || stuckAfterS === null) return sendError(res, appError('VALIDATION_FAILED', 'limit is 1..500 and stuckAfterS 1..86400'));
    const { rows } = await deps.pool.query<{
      order_id: string;
      status: string;
      customer_id: string;
      restaurant_id: string;
      restaurant_name: string | null;
      driver_id: string | null;
      total_cents: number;
      currency: string;
      created_at: Date;
      updated_at: Date;
    }>(
      `SELECT o.order_id, o.status, o.customer_id, o.restaurant_id, r.name AS restaurant_name, o.driver_id, o.total_cents, o.currency,
              o.created_at, o.updated_at
         FROM orders o LEFT JOIN restaurants r ON r.restaurant_id = o.restaurant_id
        ORDER BY o.created_at DESC LIMIT $1`,
      [limit],
    );
    const now = clock.now();
    const stuckAfterMs = stuckAfterS * 1000;
    const orders: OpsOrderRow[] = rows.map((r) => {
      const final = (FINAL_STATUSES as readonly string[]).includes(r.status);
      const sinceUpdateMs = Math.max(0, now - r.updated_at.getTime());
      return {
        orderId: r.order_id,
        status: r.status,
        customerId: r.customer_id,
        restaurantId: r.restaurant_id,
        restaurantName: r.restaurant_name,
        driverId: r.driver_id,
        totalCents: r.total_cents,
        currency: r.currency.trim(),
        createdAt: r.created_at.toISOString(),
        updatedAt: r.updated_at.toISOString(),
        ageMs: Math.max(0, now - r.created_at.getTime()),
        sinceUpdateMs,
        final,
        stuck: !final && sinceUpdateMs > stuckAfterMs,
      };
    });
    const byStatus: Record<string, number> = {};
    for (const o of orders) byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
    res.json({ at: new Date(now).toISOString(), limit, stuckAfterMs, byStatus, orders });
  });

  router.get('/v1/ops/drivers', ...opsOnly, async (_req, res) => {
    const { records, truncated } = await scanRecords(deps.redis, deps.keys.actorsOfKind('driver'), MAX_DRIVERS);
    const drivers: OpsDriver[] = [];
    for (const raw of records) {
      const d = driverOf(raw);
      if (d) drivers.push(d);
    }
    const cellCounts = new Map<string, number>();
    for (const d of drivers) cellCounts.set(d.cell, (cellCounts.get(d.cell) ?? 0) + 1);
    const cells = [...cellCounts].map(([cell, count]) => ({
      cell,
      drivers: count,
      boundary: cellToBoundary(cell).map(([lat, lng]) => [round6(lat), round6(lng)]),
    }));

    const { rows } = await deps.pool.query<{ order_id: string; status: string; restaurant_id: string; driver_id: string | null; view: unknown; lat: number | null; lng: number | null }>(
      `SELECT o.order_id, o.status, o.restaurant_id, o.driver_id, o.view, r.lat, r.lng
         FROM orders o LEFT JOIN restaurants r ON r.restaurant_id = o.restaurant_id
        WHERE o.status <> ALL($1::text[])
        ORDER BY o.created_at DESC LIMIT $2`,
      [[...FINAL_STATUSES], MAX_MAP_ORDERS],
    );
    const openOrders = rows.map((r) => ({
      orderId: r.order_id,
      status: r.status,
      restaurantId: r.restaurant_id,
      driverId: r.driver_id,
      restaurant: r.lat !== null && r.lng !== null ? { lat: r.lat, lng: r.lng } : pointAt(r.view, ['restaurant', 'location']),
      dropoff: pointAt(r.view, ['deliveryAddress', 'location']),
    }));
    res.json({ at: new Date(clock.now()).toISOString(), maxDrivers: MAX_DRIVERS, truncated, drivers, cells, openOrders });
  });

  router.get('/v1/ops/stats', ...opsOnly, async (_req, res) => {
    const live = (await deps.workers.describeLive()).sort((a, b) => a.workerId.localeCompare(b.workerId));
    const ids = live.map((w) => w.workerId);
    // A worker's per-shard gauges keep the last value of shards it has since handed over: only its own count.
    const owns = new Map(live.map((w) => [w.workerId, new Set(w.shards)]));
    const published = await Promise.all(ids.map((id) => deps.redis.get(deps.keys.workerMetrics(id))));
    const workers: { workerId: string; handled: Record<string, number>; handledTotal: number; active: Record<string, number> }[] = [];
    const shards: { shard: number; workerId: string; lag: number; pending: number }[] = [];
    ids.forEach((workerId, i) => {
      const raw = published[i];
      let metrics: MetricJson[] = [];
      try {
        metrics = raw ? (JSON.parse(raw) as MetricJson[]) : [];
      } catch {
        metrics = [];
      }
      const find = (name: string) => metrics.find((m) => m.name === name)?.values ?? [];
      const handled: Record<string, number> = {};
      for (const v of find('actor_messages_handled_total')) {
        const kind = String(v.labels.kind ?? 'unknown');
        handled[kind] = (handled[kind] ?? 0) + v.value;
      }
      const active: Record<string, number> = {};
      for (const v of find('actor_active')) active[String(v.labels.kind ?? 'unknown')] = v.value;
      const perShard = new Map<number, { lag: number; pending: number }>();
      for (const v of find('actor_stream_lag')) perShard.set(Number(v.labels.shard), { lag: v.value, pending: perShard.get(Number(v.labels.shard))?.pending ?? 0 });
      for (const v of find('actor_stream_pending')) perShard.set(Number(v.labels.shard), { lag: perShard.get(Number(v.labels.shard))?.lag ?? 0, pending: v.value });
      for (const [shard, s] of perShard) if (owns.get(workerId)?.has(shard)) shards.push({ shard, workerId, ...s });
      workers.push({ workerId, handled, handledTotal: Object.values(handled).reduce((a, b) => a + b, 0), active });
    });
    shards.sort((a, b) => a.shard - b.shard);
    res.json({ at: new Date(clock.now()).toISOString(), handledTotal: workers.reduce((a, w) => a + w.handledTotal, 0), workers, shards });
  });

  return router;
}

function intParam(value: unknown, fallback: number, min: number, max: number): number | null {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d{1,6}$/.test(value)) return null;
  const n = Number(value);
  return n >= min && n <= max ? n : null;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

async function scanRecords(redis: Redis, pattern: string, max: number): Promise<{ records: string[]; truncated: boolean }> {
  const keys: string[] = [];
  let cursor = '0';
  let truncated = false;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    for (const k of found) {
      if (keys.length >= max) {
        truncated = true;
        break;
      }
      keys.push(k);
    }
  } while (cursor !== '0' && !truncated);
  const records: string[] = [];
  for (let i = 0; i < keys.length; i += 500) {
    const batch = keys.slice(i, i + 500);
    // One at a time per key (keys of different shards live in different Cluster slots): auto-pipelined by ioredis.
    const values = await Promise.all(batch.map((k) => redis.get(k)));
    for (const v of values) if (v !== null) records.push(v);
  }
  return { records, truncated };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pointAt(root: unknown, path: readonly string[]): { lat: number; lng: number } | null {
  let at: unknown = root;
  for (const p of path) at = isRecord(at) ? at[p] : undefined;
  if (!isRecord(at) || typeof at.lat !== 'number' || typeof at.lng !== 'number') return null;
  return { lat: at.lat, lng: at.lng };
}

/** A driver (with a position) from its persisted actor record `{ state: { value, context }, … }`; else null. */
function driverOf(raw: string): OpsDriver | null {
  let record: unknown;
  try {
    record = JSON.parse(raw);
  } catch {
    return null;
  }
  const state = isRecord(record) ? record.state : undefined;
  if (!isRecord(state) || typeof state.value !== 'string' || !isRecord(state.context)) return null;
  const c = state.context;
  const pos = c.position;
  if (typeof c.driverId !== 'string' || !isRecord(pos) || typeof pos.lat !== 'number' || typeof pos.lng !== 'number') return null;
  const listed = typeof c.cell === 'string' && isValidCell(c.cell);
  const tripOrder = isRecord(c.trip) && typeof c.trip.orderId === 'string' ? c.trip.orderId : null;
  const offerOrder = isRecord(c.offer) && typeof c.offer.orderId === 'string' ? c.offer.orderId : null;
  return {
    driverId: c.driverId,
    state: state.value,
    lat: pos.lat,
    lng: pos.lng,
    heading: typeof pos.heading === 'number' ? pos.heading : null,
    at: typeof pos.at === 'number' ? new Date(pos.at).toISOString() : null,
    cell: listed ? (c.cell as string) : latLngToCell(pos.lat, pos.lng, CELL_RESOLUTION),
    listed,
    orderId: tripOrder ?? offerOrder,
  };
}
