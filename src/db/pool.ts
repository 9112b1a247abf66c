import pg from 'pg';
import type { Logger } from '../observability/logger.ts';

/**
 * A connection pool for the given database; size per process (workers, API) from `max`.
 *
 * An idle connection the server drops (a restart, `pg_terminate_backend`, a failover) is reported as the pool's
 * `error` event; unhandled, that event would end the process. It is logged instead: the pool opens a new
 * connection on the next query, and a query in flight fails on its own.
 */
export function createPool(databaseUrl: string, options: { max?: number; applicationName?: string; log?: Logger } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'food-delivery',
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (error) => options.log?.warn({ err: error }, 'idle Postgres connection lost; the pool will reconnect'));
  return pool;
}

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
