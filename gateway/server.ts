import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { Server, type Socket } from 'socket.io';
import type { ActorClient } from '../actors/client.ts';
import { runtimeKeys } from '../actors/keys.ts';
import type { WorkerRegistry } from '../actors/registry.ts';
import type { SocketNamespace } from '../actors/behavior.ts';
import type { Role } from '../src/auth/principal.ts';
import type { Verifier } from '../src/auth/verifier.ts';
import { appError, toErrorBody } from '../src/errors/app-error.ts';
import { createPgCatalogStore } from '../src/catalog/index.ts';
import { createPool } from '../src/db/pool.ts';
import type { Logger } from '../src/observability/logger.ts';
import { pgEventStore } from '../src/orders/event-store/index.ts';
import { createOrderService } from '../src/orders/order-service.ts';
import { orderReadModel } from '../src/orders/read-model.ts';
import { systemClock, type Clock } from '../src/shared/clock.ts';
import { customerEvents } from './customer.ts';
import { driverEvents, replayCurrentWork, type PingHook } from './driver.ts';
import { dispatchEvents, workTracker, type EventContext, type EventTable } from './events.ts';
import { principalOfSocket, requireSocketRole, tokenExpiryOfSocket } from './handshake.ts';
import { opsEvents, opsFeeds } from './ops.ts';
import { defaultRateLimit, tokenBucket, type RateLimit } from './rate-limit.ts';
import { replayOpenOrders, restaurantEvents } from './restaurant.ts';
import { homeRooms } from './rooms.ts';
import { gatewayMetrics } from './metrics.ts';

export type { DriverPing, PingHook } from './driver.ts';
export type { RateLimit } from './rate-limit.ts';

export interface GatewayDeps {
  readonly redisUrl: string;
  /** Orders (subscriptions, restaurant consoles) are read from the read model: Redis, then this Postgres. */
  readonly databaseUrl: string;
  /** Prefix of the adapter's pub/sub channels (the deployment's namespace). */
  readonly namespace: string;
  readonly verifier: Verifier;
  readonly workers: WorkerRegistry;
  readonly actors: ActorClient;
  readonly shardCount: number;
  readonly log: Logger;
  readonly clock?: Clock;
  /** Called after a driver actor applied a location ping (the tracking stream hooks in here). @default no-op */
  readonly onPingAccepted?: PingHook;
  /** Per-socket token bucket over every inbound event. @default 20 events/s, bursts of 40 */
  readonly rateLimit?: RateLimit;
  /** Largest inbound socket message, bytes; a bigger one closes that connection (engine.io's limit). @default 16_384 */
  readonly maxPayloadBytes?: number;
  /** How long an event waits for an actor's answer before its ack is TIMEOUT, ms. @default 5_000 */
  readonly askTimeoutMs?: number;
  /** Orders one `/customer` socket may follow at once. @default 50 */
  readonly maxOrderSubscriptions?: number;
  /** Actors one `/ops` socket may watch at once. @default 10 */
  readonly maxActorWatches?: number;
  /** How often `/ops` sockets get the cluster view, ms. @default 2_000 */
  readonly opsIntervalMs?: number;
  /** How often watched actors are inspected and pushed to their `/ops` watchers, ms. @default 1_000 */
  readonly actorWatchIntervalMs?: number;
  /** On close: longest wait for accepted events to be answered, then for connections to flush and close, ms. @default 10_000 */
  readonly drainTimeoutMs?: number;
  /** Where `gateway_sockets`, `gateway_events_total` and `gateway_event_seconds` go; none when unset. */
  readonly metrics?: Registry;
}

export interface Gateway {
  readonly io: Server;
  /**
   * Graceful stop: refuses new connections and events (UNAVAILABLE), answers every event already accepted, then closes
   * the transports — clients see "transport close" and reconnect, which a load balancer sends to another gateway.
   */
  close(): Promise<void>;
}

interface NamespaceSpec {
  readonly roles: readonly Role[];
  readonly events: EventTable;
  /** Runs once the socket is in its home rooms. */
  readonly onConnect?: (ctx: EventContext) => Promise<void>;
}

/**
 * The Socket.IO gateway on an HTTP server: namespaces `/driver`, `/customer`, `/restaurant` and `/ops`, JWT checked
 * at the handshake, sockets in their principal's rooms, every client event validated, rate-limited and acked, and the
 * Redis adapter so a push from any process reaches a socket held by any gateway.
 */
export function attachGateway(server: HttpServer, deps: GatewayDeps): Gateway {
  const { log } = deps;
  const clock = deps.clock ?? systemClock;
  const keys = runtimeKeys(deps.namespace);
  const pub = new Redis(deps.redisUrl);
  const sub = pub.duplicate();
  const redis = new Redis(deps.redisUrl, { enableAutoPipelining: true });
  const pool = createPool(deps.databaseUrl, { applicationName: 'food-delivery-gateway', max: 5 });
  const orders = createOrderService({
    actors: deps.actors,
    readModel: orderReadModel(redis, pool, keys),
    catalog: createPgCatalogStore(pool),
    events: pgEventStore(pool, { log }),
  });
  const work = workTracker();
  const drainTimeoutMs = deps.drainTimeoutMs ?? 10_000;
  const askTimeoutMs = deps.askTimeoutMs ?? 5_000;
  const rateLimit = deps.rateLimit ?? defaultRateLimit;

  const io = new Server(server, {
    maxHttpBufferSize: deps.maxPayloadBytes ?? 16_384,
    adapter: createAdapter(pub, sub, { key: keys.socketIoPrefix() }),
    serveClient: false,
    // A stopping gateway takes no new connections, so reconnecting clients land on another one.
    allowRequest: (_req, callback) => callback(work.draining ? 'This gateway is shutting down' : null, !work.draining),
  });

  const ops = {
    actors: deps.actors,
    workers: deps.workers,
    shardCount: deps.shardCount,
    log,
    inspectTimeoutMs: 3_000,
    maxWatches: deps.maxActorWatches ?? 10,
  };
  const feeds = opsFeeds(io.of('/ops'), ops, { clusterIntervalMs: deps.opsIntervalMs ?? 2_000, watchIntervalMs: deps.actorWatchIntervalMs ?? 1_000 });

  const namespaces: Record<SocketNamespace, NamespaceSpec> = {
    '/driver': {
      roles: ['driver'],
      events: driverEvents({ actors: deps.actors, askTimeoutMs, onPingAccepted: deps.onPingAccepted ?? (() => {}), log }),
      onConnect: (ctx) => replayCurrentWork({ actors: deps.actors, askTimeoutMs, log, orders }, ctx),
    },
    '/customer': { roles: ['customer'], events: customerEvents({ orders, maxSubscriptions: deps.maxOrderSubscriptions ?? 50 }) },
    '/restaurant': { roles: ['restaurant'], events: restaurantEvents({ orders }), onConnect: (ctx) => replayOpenOrders(pool, ctx) },
    '/ops': { roles: ['ops', 'admin'], events: opsEvents(ops), onConnect: (ctx) => feeds.onConnect(ctx) },
  };

  const metrics = deps.metrics ? gatewayMetrics(deps.metrics, Object.keys(namespaces).map((name) => io.of(name))) : undefined;
  for (const [name, spec] of Object.entries(namespaces)) {
    const nsp = io.of(name);
    const observe = metrics ? (event: string, outcome: string, seconds: number) => metrics.event(name, event, outcome, seconds) : undefined;
    nsp.use(requireSocketRole(deps.verifier, spec.roles));
    nsp.on('connection', (socket) => {
      const ctx: EventContext = { socket, principal: principalOfSocket(socket) };
      disconnectAtExpiry(socket, tokenExpiryOfSocket(socket), clock);
      dispatchEvents(ctx, { namespace: name, events: spec.events, bucket: tokenBucket(rateLimit, clock), work, log, ...(observe ? { observe } : {}) });
      const joined = Promise.resolve(socket.join(homeRooms(ctx.principal)));
      void work.track(joined.then(() => spec.onConnect?.(ctx))).catch((e: unknown) => {
        // The socket would miss what the connect replay carries: make it reconnect (and so try again).
        log.warn({ err: e, nsp: name, sub: ctx.principal.sub }, 'socket connect replay failed; closing the connection');
        socket.conn.close();
      });
      log.debug({ nsp: name, sub: ctx.principal.sub, role: ctx.principal.role }, 'socket connected');
    });
  }

  return {
    io,
    async close() {
      feeds.stop();
      if (!(await within(work.drain(), drainTimeoutMs))) log.warn({ drainTimeoutMs }, 'gateway stopped with socket events still unanswered');
      // A graceful engine close flushes what is queued (the last acks) before the transport closes, and sends no
      // DISCONNECT packet: clients see "transport close" and reconnect on their own.
      const conns = new Set(Object.keys(namespaces).flatMap((name) => [...io.of(name).sockets.values()].map((socket) => socket.conn)));
      for (const conn of conns) conn.close();
      const deadline = clock.now() + drainTimeoutMs;
      while ([...conns].some((conn) => conn.readyState !== 'closed') && clock.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // Closes what is left and stops listening; the HTTP server's own close (the caller's) waits for its connections.
      await within(io.close(), 1_000);
      pub.disconnect();
      sub.disconnect();
      redis.disconnect();
      await pool.end();
    },
  };
}

/** Longest delay setTimeout takes (about 24.8 days); a longer-lived token is re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A token is checked at the handshake only, so the socket must not outlive it: at `exp` the gateway tells the app
 * (`auth:expired`, the CONTRACT.md error body) and disconnects it from the server side, which Socket.IO clients do not
 * retry on their own — the app reconnects with a fresh token.
 */
function disconnectAtExpiry(socket: Socket, expiresAt: number, clock: Clock): void {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = expiresAt - clock.now();
    timer = setTimeout(() => {
      if (expiresAt - clock.now() > 0) return arm();
      socket.emit('auth:expired', toErrorBody(appError('UNAUTHENTICATED', 'Token has expired; reconnect with a new token')));
      socket.disconnect(true);
    }, Math.min(Math.max(0, left), MAX_TIMER_MS));
  };
  arm();
  socket.once('disconnect', () => clearTimeout(timer));
}

/** Whether `work` settled within `ms`. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
