import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createActorClient } from '../../actors/client.ts';
import { runtimeKeys } from '../../actors/keys.ts';
import { redisWorkerRegistry } from '../../actors/registry.ts';
import { attachGateway, type Gateway } from '../../gateway/server.ts';
import { createAuth } from '../auth/setup.ts';
import type { Config } from '../config/config.ts';
import { createPool, type Pool } from '../db/pool.ts';
import { createHttpApp } from '../http/app.ts';
import { healthRoutes } from '../http/health.ts';
import { localMetricsRoutes, metricsRoutes } from '../http/metrics.ts';
import { opsRoutes } from '../http/ops.ts';
import { opsDashboardRoutes } from '../http/ops-dashboard.ts';
import { catalogRoutes, createPgCatalogStore, randomShortId } from '../catalog/index.ts';
import { pgEventStore } from '../orders/event-store/index.ts';
import { createOrderService } from '../orders/order-service.ts';
import { registerOutboxBacklogGauge } from '../orders/outbox/index.ts';
import { orderReadModel } from '../orders/read-model.ts';
import { orderRoutes } from '../orders/routes.ts';
import { discardingTrackingSink, trackingSinkFor } from '../tracking/index.ts';
import type { Logger } from '../observability/logger.ts';
import { systemClock } from '../shared/clock.ts';

export interface HttpProcess {
  readonly server: Server;
  readonly port: number;
  /** Stops accepting, tells socket clients to reconnect elsewhere, closes connections. */
  stop(): Promise<void>;
}

/**
 * The HTTP side of a process: the REST API (`api`), the Socket.IO gateway (`gateway`) or both on one port
 * (`npm start`). Health and readiness are served by either.
 */
export async function startHttpProcess(opts: {
  config: Config;
  redisUrl: string;
  databaseUrl?: string;
  serve: { api: boolean; gateway: boolean };
  log: Logger;
}): Promise<HttpProcess> {
  const { config, log } = opts;
  const keys = runtimeKeys(config.namespace);
  const redis = new Redis(opts.redisUrl, { enableAutoPipelining: true });
  const pool: Pool | undefined = opts.databaseUrl ? createPool(opts.databaseUrl, { applicationName: 'food-delivery-api', log }) : undefined;
  const workers = redisWorkerRegistry(redis, keys, systemClock, config.leaseTtlMs);
  const actors = createActorClient({ redis, keys, shardCount: config.shardCount, clock: systemClock });
  const auth = await createAuth(config, { clock: systemClock, log });
  const registry = new Registry();
  registry.setDefaultLabels({ worker: `http-${process.pid}` });
  collectDefaultMetrics({ register: registry });

  const routes = [healthRoutes({ redis, keys, shardCount: config.shardCount, ...(pool ? { pool } : {}) })];
  if (opts.serve.api) {
    if (!pool) throw new Error('the api role needs a database');
    const catalog = createPgCatalogStore(pool);
    const events = pgEventStore(pool, { log });
    const readModel = orderReadModel(redis, pool, keys);
    registerOutboxBacklogGauge(registry, pool, log);
    routes.push(
      metricsRoutes({ redis, keys, workers, registry }),
      auth.routes,
      opsRoutes({ verifier: auth.verifier, workers, shardCount: config.shardCount, actors }),
      opsDashboardRoutes({ verifier: auth.verifier, redis, keys, pool, workers }),
      catalogRoutes({ store: catalog, verifier: auth.verifier, newId: () => randomShortId() }),
      orderRoutes({ service: createOrderService({ actors, readModel, catalog, events }), verifier: auth.verifier }),
    );
  }
  // A gateway without the API serves its own metrics; the API's `/metrics` has its process's and the workers'.
  if (!opts.serve.api) routes.push(localMetricsRoutes(registry));
  const tracking = opts.serve.gateway ? trackingSinkFor(config, log) : discardingTrackingSink();
  const app = createHttpApp(routes, log);
  const server = createServer(app);
  if (opts.serve.gateway && !opts.databaseUrl) throw new Error('the gateway role needs a database (order subscriptions and restaurant consoles read orders)');
  const gateway: Gateway | null =
    opts.serve.gateway && opts.databaseUrl
      ? attachGateway(server, {
          redisUrl: opts.redisUrl,
          databaseUrl: opts.databaseUrl,
          namespace: config.namespace,
          verifier: auth.verifier,
          workers,
          actors,
          shardCount: config.shardCount,
          log,
          metrics: registry,
          askTimeoutMs: config.gatewayAskTimeoutMs,
          rateLimit: { eventsPerSecond: config.gatewayEventsPerSecond, burst: config.gatewayEventBurst },
          maxPayloadBytes: config.gatewayMaxPayloadBytes,
          // Applied pings also feed the analytics stream (Kafka `tracking.update`), batched, off the ack's path.
          onPingAccepted: (driverId, ping) =>
            tracking.record({
              driverId,
              lat: ping.lat,
              lng: ping.lng,
              heading: ping.heading ?? null,
              speedKph: ping.speedKph ?? null,
              at: ping.at,
              receivedAt: new Date(systemClock.now()).toISOString(),
            }),
        })
      : null;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ port, api: opts.serve.api, gateway: opts.serve.gateway }, 'http listening');

  return {
    server,
    port,
    async stop() {
      if (gateway) await gateway.close();
      await tracking.close();
      // In-flight requests get a moment to finish; idle keep-alive connections are closed at once.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), 5_000);
      await closed;
      clearTimeout(force);
      await actors.close();
      await pool?.end();
      redis.disconnect();
    },
  };
}
