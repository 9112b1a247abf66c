import { deleteNamespace } from '../../actors/delete-namespace.ts';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { actorAddress, allShards, shardOf } from '../../actors/address.ts';
import { createActorClient, type ActorClient } from '../../actors/client.ts';
import { runtimeKeys, type RuntimeKeys } from '../../actors/keys.ts';
import { leaseOwners, leasesBalanced } from '../../actors/lease.ts';
import type { OrderView } from '../../machines/order/view.ts';
import type { Role } from '../../src/auth/principal.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { forkWorker } from '../../src/processes/fork.ts';
import { startHttpProcess, type HttpProcess } from '../../src/processes/http-server.ts';
import { systemClock } from '../../src/shared/clock.ts';
import { TEST_REDIS_URL, waitFor } from './cluster.ts';
import { freshDatabase } from './database.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const LOG_DIR = fileURLToPath(new URL('../../test-results/logs/', import.meta.url));

/** Virtual shards of a test system. */
/** Shards of a test deployment (few, so every worker owns several). */
export const SHARDS = 16;

export interface SystemOptions {
  /** Worker processes. @default 2 */
  workers?: number;
  /** Environment overrides for the workers and the API (e.g. `PAYMENT_SIM_DECLINE_RATE`). */
  env?: Record<string, string>;
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body; undefined when empty. */
  readonly body: unknown;
}

export interface CallOptions {
  token?: string;
  /** Sent as JSON; a string is sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface SeededRestaurant {
  readonly restaurantId: string;
  readonly location: { lat: number; lng: number };
  /** Its menu, as created through the API. */
  readonly items: readonly { itemId: string; name: string; priceCents: number }[];
  /** A restaurant-role token for it. */
  readonly token: string;
}

export interface OrderRequest {
  restaurant: SeededRestaurant;
  /** Default: a random `CUST-…`. */
  customerId?: string;
  paymentMethod?: 'CARD' | 'CASH_ON_DELIVERY';
  /** Default: one of the first menu item. */
  items?: { itemId: string; quantity: number }[];
  /** Default: a random UUID. */
  idempotencyKey?: string;
}

export interface PlacedOrder {
  readonly orderId: string;
  readonly customerId: string;
  /** A customer token of `customerId`. */
  readonly customerToken: string;
  readonly idempotencyKey: string;
  readonly response: HttpResult;
}

/** A delivery address that passes every check; tests change one field at a time. */
export function validAddress() {
  return { street: '2510 Lagoon Way', city: 'Anytown', state: 'CA', zipCode: '12345', location: { lat: 37.77, lng: -122.41 } };
}

/** A valid POST /v1/orders body for `customerId` at `restaurant` (first menu item, once, cash). */
export function orderBody(restaurant: SeededRestaurant, customerId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const first = restaurant.items[0];
  if (!first) throw new Error('the restaurant has no menu');
  return {
    customerId,
    restaurantId: restaurant.restaurantId,
    items: [{ itemId: first.itemId, quantity: 1 }],
    deliveryAddress: validAddress(),
    paymentMethod: 'CASH_ON_DELIVERY',
    ...overrides,
  };
}

export const randomId = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 12)}`;

/**
 * The real system for API tests: a fresh database, a random Redis namespace, N real worker processes
 * (`src/main.ts worker`) and the REST API in this process on a free port. Stop it with `stop()`: everything down,
 * the database dropped, the namespace's keys deleted.
 */
export async function startTestSystem(options: SystemOptions = {}) {
  const workerCount = options.workers ?? 2;
  const namespace = `t-${randomUUID().slice(0, 8)}`;
  const keys: RuntimeKeys = runtimeKeys(namespace);
  mkdirSync(LOG_DIR, { recursive: true });
  const [db, dataDir] = await Promise.all([freshDatabase(), mkdtemp(join(tmpdir(), 'fd-orders-'))]);

  const env: Record<string, string> = { ...testSystemEnv({ namespace, databaseUrl: db.url, dataDir }), ...options.env };

  const children: ChildProcess[] = [];
  const workerIds: string[] = [];
  const exits: Promise<number | null>[] = [];
  const logs: WriteStream[] = [];
  const startWorker = async (slot: number) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    delete childEnv.KAFKA_BROKERS;
    const { child, exited, workerId } = await forkWorker(MAIN, childEnv, { args: ['worker'], stdio: 'pipe' });
    const log = createWriteStream(join(LOG_DIR, `${namespace}-worker${slot}-${child.pid}.log`));
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    children[slot] = child;
    workerIds[slot] = workerId;
    exits[slot] = exited;
    logs.push(log);
  };

  const apiLogFile = createWriteStream(join(LOG_DIR, `${namespace}-api.log`));
  logs.push(apiLogFile);
  const loaded = loadConfig({ ...env, PORT: '0', AUTH_DEV_TOKENS: '1', KAFKA_BROKERS: undefined });
  if (!loaded.ok) throw new Error(loaded.error);

  let http: HttpProcess | undefined;
  const redis = new Redis(TEST_REDIS_URL, { enableAutoPipelining: true });
  const actors: ActorClient = createActorClient({ redis, keys, shardCount: SHARDS, clock: systemClock });
  const pool = new pg.Pool({ connectionString: db.url, max: 4, application_name: 'orders-test' });
  // pool.end() resolves before its connections have closed; drop the database only once they have.
  const connectionsClosed: Promise<void>[] = [];
  pool.on('connect', (client) => {
    connectionsClosed.push(new Promise((resolve) => client.once('end', () => resolve())));
  });

  const stop = async () => {
    await http?.stop();
    for (const child of children) if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(exits);
    await actors.close();
    await pool.end();
    await Promise.all(connectionsClosed);
    await deleteNamespace(redis, keys);
    redis.disconnect();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
    for (const l of logs) l.end();
  };

  try {
    await Promise.all(Array.from({ length: workerCount }, (_, slot) => startWorker(slot)));
    http = await startHttpProcess({
      config: loaded.value,
      redisUrl: TEST_REDIS_URL,
      databaseUrl: db.url,
      serve: { api: true, gateway: false },
      log: createLogger({ name: 'api', level: loaded.value.logLevel, destination: apiLogFile }),
    });
  } catch (e) {
    await stop();
    throw e;
  }
  const baseUrl = `http://127.0.0.1:${http.port}`;

  const call = async (method: string, path: string, opts: CallOptions = {}): Promise<HttpResult> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(opts.body === undefined ? {} : { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }),
    });
    const text = await res.text();
    let body: unknown = undefined;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: res.status, headers: res.headers, body };
  };

  const token = async (role: Role, ids: { customerId?: string; restaurantId?: string; driverId?: string; sub?: string } = {}): Promise<string> => {
    const res = await call('POST', '/v1/auth/dev-tokens', { body: { role, ...ids } });
    if (res.status !== 200) throw new Error(`dev token for ${role}: ${res.status} ${JSON.stringify(res.body)}`);
    return (res.body as { token: string }).token;
  };

  let adminToken: string;
  try {
    adminToken = await token('admin');
    // Every shard owned, spread evenly over the workers: asks are handled at once, and a killed worker takes its share.
    await waitFor(async () => (await call('GET', '/readyz')).status === 200, 20_000, 'every shard to be owned');
    await waitFor(
      () => leasesBalanced(redis, keys, SHARDS, workerIds),
      20_000,
      'the shards to be balanced over the workers',
    );
  } catch (e) {
    await stop();
    throw e;
  }

  const system = {
    namespace,
    keys,
    baseUrl,
    dataDir,
    /** Assertions on the rows: order_events, order_commands, outbox, orders, order_actors. */
    pg: pool,
    redis,
    /** Plays the parts not wired yet (dispatch): `actors.tell(actorAddress('order', id), { type: 'AssignDriver', driverId })`. */
    actors,
    adminToken,
    call,
    token,

    /** An admin creates a restaurant (somewhere in a 10 km box unless told where) and a menu of three items through the API. */
    async seedRestaurant(at?: { lat: number; lng: number }): Promise<SeededRestaurant> {
      const location = at ?? { lat: 37.7 + Math.random() / 10, lng: -122.4 + Math.random() / 10 };
      const created = await call('POST', '/v1/restaurants', { token: adminToken, body: { name: `Trattoria ${randomUUID().slice(0, 6)}`, location } });
      if (created.status !== 201) throw new Error(`seed restaurant: ${created.status} ${JSON.stringify(created.body)}`);
      const restaurantId = (created.body as { restaurantId: string }).restaurantId;
      const menu = [
        { itemId: randomId('PIZZA'), name: 'Margherita', priceCents: 1250 },
        { itemId: randomId('SALAD'), name: 'Caesar salad', priceCents: 875 },
        { itemId: randomId('SODA'), name: 'Lemon soda', priceCents: 299 },
      ];
      for (const item of menu) {
        const res = await call('POST', `/v1/restaurants/${restaurantId}/menu/items`, { token: adminToken, body: { ...item, currency: 'USD' } });
        if (res.status !== 201) throw new Error(`seed menu item: ${res.status} ${JSON.stringify(res.body)}`);
      }
      return { restaurantId, location, items: menu, token: await token('restaurant', { restaurantId }) };
    },

    /** POST /v1/orders as the customer; throws unless 201. */
    async placeOrder(request: OrderRequest): Promise<PlacedOrder> {
      const customerId = request.customerId ?? randomId('CUST');
      const idempotencyKey = request.idempotencyKey ?? randomUUID();
      const customerToken = await token('customer', { customerId });
      const body = orderBody(request.restaurant, customerId, {
        paymentMethod: request.paymentMethod ?? 'CASH_ON_DELIVERY',
        ...(request.items ? { items: request.items } : {}),
      });
      const response = await call('POST', '/v1/orders', { token: customerToken, body, headers: { 'idempotency-key': idempotencyKey } });
      if (response.status !== 201) throw new Error(`place order: ${response.status} ${JSON.stringify(response.body)}`);
      return { orderId: (response.body as { orderId: string }).orderId, customerId, customerToken, idempotencyKey, response };
    },

    /** The order view as staff sees it. */
    async view(orderId: string): Promise<OrderView> {
      const res = await call('GET', `/v1/orders/${orderId}`, { token: adminToken });
      if (res.status !== 200) throw new Error(`GET order ${orderId}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as OrderView;
    },

    /** Polls GET /v1/orders/{id} until the order reports `status`; resolves with that view. */
    async waitForStatus(orderId: string, status: string, timeoutMs = 10_000): Promise<OrderView> {
      let last = 'none';
      try {
        return await waitFor(
          async () => {
            const res = await call('GET', `/v1/orders/${orderId}`, { token: adminToken });
            const v = res.status === 200 ? (res.body as OrderView) : null;
            last = v ? v.status : `HTTP ${res.status}`;
            return v?.status === status ? v : null;
          },
          timeoutMs,
          `order ${orderId} to be ${status}`,
        );
      } catch (e) {
        throw new Error(`${(e as Error).message} (last seen: ${last})`, { cause: e });
      }
    },

    /** Event types of an order, in seq order, straight from order_events. */
    async eventTypes(orderId: string): Promise<string[]> {
      const { rows } = await pool.query<{ event_type: string }>('SELECT event_type FROM order_events WHERE order_id = $1 ORDER BY seq', [orderId]);
      return rows.map((r) => r.event_type);
    },

    /** Rows now in the order tables: the "nothing was written" check. */
    async rowCounts(): Promise<{ events: number; orders: number; commands: number; outbox: number }> {
      const { rows } = await pool.query<{ events: number; orders: number; commands: number; outbox: number }>(
        `SELECT (SELECT count(*)::int FROM order_events) AS events, (SELECT count(*)::int FROM orders) AS orders,
                (SELECT count(*)::int FROM order_commands) AS commands, (SELECT count(*)::int FROM outbox) AS outbox`,
      );
      const counts = rows[0];
      if (!counts) throw new Error('no counts');
      return counts;
    },

    /** The runtime's worker id of each worker slot. */
    workerIds: workerIds as readonly string[],
    /** The shard an order's actor lives on. */
    shardOfOrder: (orderId: string): number => shardOf(actorAddress('order', orderId), SHARDS),
    /** The lease holder (worker id) of every shard, by shard; null = unowned. */
    shardOwners: (): Promise<(string | null)[]> => leaseOwners(redis, keys, allShards(SHARDS)),

    /** SIGKILL worker `i` and wait for it to be gone. */
    async killWorker(i: number): Promise<void> {
      const child = children[i];
      if (!child) throw new Error(`no worker ${i}`);
      child.kill('SIGKILL');
      await exits[i];
    },

    stop,
  };
  return system;
}

export type TestSystem = Awaited<ReturnType<typeof startTestSystem>>;

/**
 * The environment of a test deployment's processes: the shared test Redis, its own database, namespace and data
 * folder, short leases so failovers fit in a test, and a fast simulated card provider.
 */
export function testSystemEnv(o: { namespace: string; databaseUrl: string; dataDir: string }): Record<string, string> {
  return {
    REDIS_URL: TEST_REDIS_URL,
    DATABASE_URL: o.databaseUrl,
    NAMESPACE: o.namespace,
    SHARDS: String(SHARDS),
    LEASE_TTL_MS: '3000',
    HEARTBEAT_MS: '250',
    PAYMENT_SIM_DELAY_MS: '50',
    LOG_LEVEL: process.env.TEST_WORKER_LOG_LEVEL ?? 'warn',
    DATA_DIR: o.dataDir,
  };
}
