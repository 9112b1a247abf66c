import { deleteNamespace } from '../../../actors/delete-namespace.ts';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as tcpConnect, createServer as createTcpServer, type Socket as TcpSocket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { allShards } from '../../../actors/address.ts';
import { runtimeKeys, type RuntimeKeys } from '../../../actors/keys.ts';
import { leaseOwners } from '../../../actors/lease.ts';
import type { OrderView } from '../../../machines/order/view.ts';
import { createIssuer, type Issuer } from '../../../src/auth/issuer.ts';
import { loadOrCreateSigningKey } from '../../../src/auth/keys.ts';
import type { Principal } from '../../../src/auth/principal.ts';
import { loadConfig, type Config } from '../../../src/config/config.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { forkWorker } from '../../../src/processes/fork.ts';
import { startHttpProcess, type HttpProcess } from '../../../src/processes/http-server.ts';
import { systemClock } from '../../../src/shared/clock.ts';
import { TEST_REDIS_URL, waitFor } from '../../support/cluster.ts';
import { SHARDS, testSystemEnv } from '../../support/system.ts';
import { freshDatabase } from '../../support/database.ts';

const MAIN = fileURLToPath(new URL('../../../src/main.ts', import.meta.url));
const LOG_DIR = fileURLToPath(new URL('../../../test-results/logs/', import.meta.url));
export { SHARDS } from '../../support/system.ts';

export const randomId = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 12)}`;

/** The CONTRACT.md error body, as acks and `connect_error.data` carry it. */
export interface ErrorBody {
  errors: { status: string; code: string; detail: string }[];
}
export type Ack = ({ ok: true } & Record<string, unknown>) | ErrorBody;

export const codeOf = (ack: unknown): string | undefined => (ack as Partial<ErrorBody>).errors?.[0]?.code;

/**
 * The realtime side of the system for gateway tests: a fresh database and Redis namespace, real worker processes
 * (`src/main.ts worker`), the REST API (setup) and `gateways` Socket.IO gateways, each an HTTP process of its own on
 * its own port, sharing Redis — the same wiring as `src/main.ts api|gateway`.
 */
export async function startGatewaySystem(options: { workers?: number; gateways?: number; env?: Record<string, string> } = {}) {
  const namespace = `t-${randomUUID().slice(0, 8)}`;
  const keys: RuntimeKeys = runtimeKeys(namespace);
  mkdirSync(LOG_DIR, { recursive: true });
  const [db, dataDir] = await Promise.all([freshDatabase(), mkdtemp(join(tmpdir(), 'fd-gateway-'))]);
  // One signing key for the API, the gateways and the tokens the tests mint.
  const issuer = createIssuer({ key: await loadOrCreateSigningKey(dataDir), issuer: 'food-delivery-embedded', audience: 'food-delivery', clock: systemClock });
  const env = testSystemEnv({ namespace, databaseUrl: db.url, dataDir });
  const loaded = loadConfig({ ...env, PORT: '0', AUTH_DEV_TOKENS: '1', ...options.env });
  if (!loaded.ok) throw new Error(loaded.error);
  const config: Config = loaded.value;

  const children: ChildProcess[] = [];
  const exits: Promise<number | null>[] = [];
  const logs: WriteStream[] = [];
  const https: HttpProcess[] = [];
  const redis = new Redis(TEST_REDIS_URL);
  const logFor = (name: string) => {
    const file = createWriteStream(join(LOG_DIR, `${namespace}-${name}.log`));
    logs.push(file);
    return createLogger({ name, level: config.logLevel, destination: file });
  };
  const startHttp = (serve: { api: boolean; gateway: boolean }, name: string) =>
    startHttpProcess({ config, redisUrl: TEST_REDIS_URL, databaseUrl: db.url, serve, log: logFor(name) }).then((h) => {
      https.push(h);
      return h;
    });

  const stopped = new Set<HttpProcess>();
  const stop = async () => {
    for (const h of https) if (!stopped.has(h)) await h.stop();
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(exits);
    await deleteNamespace(redis, keys);
    redis.disconnect();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
    for (const l of logs) l.end();
  };

  let api: HttpProcess;
  const gateways: HttpProcess[] = [];
  try {
    await Promise.all(
      Array.from({ length: options.workers ?? 2 }, async (_, slot) => {
        const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, ...options.env };
        delete childEnv.KAFKA_BROKERS;
        const { child, exited } = await forkWorker(MAIN, childEnv, { args: ['worker'], stdio: 'pipe' });
        const file = createWriteStream(join(LOG_DIR, `${namespace}-worker${slot}-${child.pid}.log`));
        logs.push(file);
        child.stdout?.pipe(file);
        child.stderr?.pipe(file);
        children.push(child);
        exits.push(exited);
      }),
    );
    api = await startHttp({ api: true, gateway: false }, 'api');
    for (let i = 0; i < (options.gateways ?? 2); i++) gateways.push(await startHttp({ api: false, gateway: true }, `gateway${i}`));
    await waitFor(async () => (await leaseOwners(redis, keys, allShards(SHARDS))).every((o) => o !== null), 20_000, 'every shard to be owned');
  } catch (e) {
    await stop();
    throw e;
  }
  const apiUrl = `http://127.0.0.1:${api.port}`;

  const call = async (method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${apiUrl}${path}`, { method, headers, ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }) });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
  const token = (p: Principal, ttlSeconds?: number) => issuer.mint(p, ttlSeconds);
  const adminToken = await token({ sub: 'admin-1', role: 'admin' });

  return {
    namespace,
    keys,
    redis,
    dataDir,
    databaseUrl: db.url,
    config,
    issuer: issuer as Issuer,
    /** Base URL of gateway `i`. */
    gatewayUrl: (i: number) => `http://127.0.0.1:${gateways[i]?.port ?? 0}`,
    gatewayPort: (i: number) => gateways[i]?.port ?? 0,
    /** Stops gateway `i` gracefully (what SIGTERM does). */
    async stopGateway(i: number): Promise<void> {
      const g = gateways[i];
      if (!g || stopped.has(g)) return;
      stopped.add(g);
      await g.stop();
    },
    /** Sends a signal to every worker process (SIGSTOP/SIGCONT pause and resume the actors). */
    signalWorkers(signal: NodeJS.Signals): void {
      for (const child of children) child.kill(signal);
    },
    call,
    token,
    customer: (customerId = randomId('CUST')) => ({ customerId, token: token({ sub: customerId, role: 'customer', customerId }) }),

    /** An admin creates a restaurant with one menu item; returns it with a restaurant token. */
    async seedRestaurant(): Promise<{ restaurantId: string; itemId: string; token: string }> {
      const created = await call('POST', '/v1/restaurants', { token: adminToken, body: { name: `Gateway Diner ${randomUUID().slice(0, 6)}`, location: { lat: 37.77, lng: -122.42 } } });
      if (created.status !== 201) throw new Error(`seed restaurant: ${created.status} ${JSON.stringify(created.body)}`);
      const restaurantId = (created.body as { restaurantId: string }).restaurantId;
      const itemId = randomId('PIZZA');
      const item = await call('POST', `/v1/restaurants/${restaurantId}/menu/items`, { token: adminToken, body: { itemId, name: 'Margherita', priceCents: 1250, currency: 'USD' } });
      if (item.status !== 201) throw new Error(`seed item: ${item.status} ${JSON.stringify(item.body)}`);
      return { restaurantId, itemId, token: await token({ sub: restaurantId, role: 'restaurant', restaurantId }) };
    },

    /** A cash order (confirmed at once) by `customerId`; resolves once the API reports it CONFIRMED. */
    async placeConfirmedOrder(restaurant: { restaurantId: string; itemId: string }, customerId = randomId('CUST')): Promise<{ orderId: string; customerId: string; token: string }> {
      const customerToken = await token({ sub: customerId, role: 'customer', customerId });
      const placed = await call('POST', '/v1/orders', {
        token: customerToken,
        headers: { 'idempotency-key': randomUUID() },
        body: {
          customerId,
          restaurantId: restaurant.restaurantId,
          items: [{ itemId: restaurant.itemId, quantity: 1 }],
          deliveryAddress: { street: '2510 Lagoon Way', city: 'Anytown', state: 'CA', zipCode: '12345', location: { lat: 37.77, lng: -122.41 } },
          paymentMethod: 'CASH_ON_DELIVERY',
        },
      });
      if (placed.status !== 201) throw new Error(`place order: ${placed.status} ${JSON.stringify(placed.body)}`);
      const orderId = (placed.body as { orderId: string }).orderId;
      await this.waitForStatus(orderId, 'CONFIRMED');
      return { orderId, customerId, token: customerToken };
    },

    /** A driver ONLINE about 20 m from every seeded restaurant (37.77, -122.42), its socket on gateway `gateway`. */
    async onlineDriverNextToRestaurant(gateway = 0): Promise<{ driverId: string; token: string; socket: Socket }> {
      const driverId = randomId('DRV');
      const driverToken = await token({ sub: driverId, role: 'driver', driverId });
      const socket = await connect(this.gatewayUrl(gateway), '/driver', driverToken);
      if (!('ok' in (await ask(socket, 'driver:status', { status: 'ONLINE' })))) throw new Error(`driver ${driverId} could not go ONLINE`);
      if (!('ok' in (await ask(socket, 'driver:location', { lat: 37.7701, lng: -122.4201, at: new Date().toISOString() })))) {
        throw new Error(`driver ${driverId}: first ping refused`);
      }
      return { driverId, token: driverToken, socket };
    },

    /** The restaurant accepts the order over REST (which starts the driver search). */
    async acceptOrder(restaurant: { restaurantId: string; token: string }, orderId: string): Promise<void> {
      const res = await call('POST', `/v1/restaurants/${restaurant.restaurantId}/orders/${orderId}`, {
        token: restaurant.token,
        body: { action: 'ACCEPT', estimatedReadyTime: new Date(Date.now() + 20 * 60_000).toISOString() },
      });
      if (res.status !== 200) throw new Error(`accept order: ${res.status} ${JSON.stringify(res.body)}`);
    },

    async view(orderId: string): Promise<OrderView> {
      const res = await call('GET', `/v1/orders/${orderId}`, { token: adminToken });
      if (res.status !== 200) throw new Error(`GET order: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as OrderView;
    },

    waitForStatus(orderId: string, status: string): Promise<OrderView> {
      return waitFor(async () => {
        const v = await this.view(orderId).catch(() => null);
        return v?.status === status ? v : null;
      }, 10_000, `order ${orderId} to be ${status}`);
    },

    stop,
  };
}

export type GatewaySystem = Awaited<ReturnType<typeof startGatewaySystem>>;

const openSockets = new Set<Socket>();

/** A Socket.IO client on `nsp` (websocket only, its own connection, quick reconnects). Close it with `closeAll()`. */
export function client(url: string, nsp: string, token: string | undefined, options: Partial<ManagerOptions & SocketOptions> = {}): Socket {
  const socket = io(`${url}${nsp}`, {
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 300,
    auth: token === undefined ? {} : { token },
    ...options,
  });
  openSockets.add(socket);
  return socket;
}

export function closeAll(): void {
  for (const s of openSockets) s.close();
  openSockets.clear();
}

/** Resolves once connected; rejects with the `connect_error` of a refused handshake. */
export function connected(socket: Socket, timeoutMs = 10_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve(socket);
    const timer = setTimeout(() => reject(new Error('not connected in time')), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', (e) => {
      if (socket.active) return; // a transport error: the client retries
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Connects and resolves with the socket, failing the test on a refusal. */
export const connect = (url: string, nsp: string, token: string, options: Partial<ManagerOptions & SocketOptions> = {}) =>
  connected(client(url, nsp, token, options));

/** Emits with an ack and resolves with the ack body (rejects after `timeoutMs` without one). */
export function ask(socket: Socket, event: string, payload: unknown, timeoutMs = 10_000): Promise<Ack> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<Ack>;
}

/** Every payload of `event` the socket receives from now on, in order. */
export function record<T = unknown>(socket: Socket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event, (payload: T) => seen.push(payload));
  return seen;
}

/** The first payload of `event` (from now on) that satisfies `match`. */
export function nextEvent<T = unknown>(socket: Socket, event: string, match: (payload: T) => boolean = () => true, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no matching "${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: T) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    };
    socket.on(event, listener);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A TCP load balancer in front of gateways: each new connection goes to the next backend in turn, skipping one that
 * refuses (as a stopped gateway does). `connections` lists the backend port each connection went to.
 */
export async function roundRobinBalancer(backends: readonly number[]) {
  let next = 0;
  const connections: number[] = [];
  const pairs = new Set<TcpSocket>();
  const server = createTcpServer((downstream) => {
    pairs.add(downstream);
    downstream.on('error', () => downstream.destroy());
    downstream.on('close', () => pairs.delete(downstream));
    const attempt = (tries: number) => {
      if (tries >= backends.length || downstream.destroyed) return downstream.destroy();
      const port = backends[next++ % backends.length] ?? 0;
      const upstream = tcpConnect(port, '127.0.0.1');
      let established = false;
      upstream.once('connect', () => {
        established = true;
        connections.push(port);
        downstream.on('close', () => upstream.destroy());
        upstream.on('close', () => downstream.destroy());
        downstream.pipe(upstream).pipe(downstream);
      });
      upstream.on('error', () => {
        if (established) downstream.destroy();
        else attempt(tries + 1);
      });
    };
    attempt(0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections,
    async close() {
      for (const s of pairs) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
