import pg from 'pg';

/** A connection pool for the given database; size per process (workers, API) from `max`. */
export function createPool(databaseUrl: string, options: { max?: number; applicationName?: string } = {}): pg.Pool {
  return new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'food-delivery',
    idleTimeoutMillis: 30_000,
  });
}

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
