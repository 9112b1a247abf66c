import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { createIssuer } from '../../../src/auth/issuer.ts';
import type { Issuer } from '../../../src/auth/issuer.ts';
import { loadOrCreateSigningKey } from '../../../src/auth/keys.ts';
import type { Principal } from '../../../src/auth/principal.ts';
import { createVerifier } from '../../../src/auth/verifier.ts';
import { createPgCatalogStore } from '../../../src/catalog/catalog-store.ts';
import type { CatalogStore } from '../../../src/catalog/catalog-store.ts';
import { catalogRoutes } from '../../../src/catalog/routes.ts';
import { createPool } from '../../../src/db/pool.ts';
import type { Pool } from '../../../src/db/pool.ts';
import { errorMiddleware, notFoundHandler } from '../../../src/errors/http.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { manualClock } from '../../../src/shared/clock.ts';
import { freshDatabase } from '../../support/database.ts';
import { listen } from '../platform/listen.ts';

const log = createLogger({ name: 'catalog-test', level: 'silent' });

/** The test clock's start: 2025-01-15T12:00:00Z. */
export const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

export interface Catalog {
  url: string;
  pool: Pool;
  store: CatalogStore;
  clock: ReturnType<typeof manualClock>;
  /** A signed token for `principal` from the issuer the app trusts. */
  token(principal: Principal): Promise<string>;
  /** Calls the app: `body` is sent as JSON (a string is sent as is); `token` as a bearer token. */
  call(method: string, path: string, options?: { token?: string; body?: unknown }): Promise<{ status: number; headers: Headers; body: unknown }>;
  /** Rows in a table now. */
  count(table: 'restaurants' | 'menu_items'): Promise<number>;
}

export const admin: Principal = { sub: 'admin-1', role: 'admin' };
export const customer: Principal = { sub: 'CUST-1', role: 'customer', customerId: 'CUST-1' };
export const driver: Principal = { sub: 'DRV-1', role: 'driver', driverId: 'DRV-1' };
export const restaurantPrincipal = (restaurantId: string): Principal => ({ sub: restaurantId, role: 'restaurant', restaurantId });

/**
 * Registers vitest hooks giving each test a clean catalog: one fresh database per test file (emptied before each
 * test), and per test a new clock at T0, a real issuer and verifier, and an express app with the catalog routes
 * (JSON bodies up to 16 kb, 404 and error mappers) on a free port. Ids are `T1`, `T2`, … so tests can predict
 * them. Call at the top of a test file; read the catalog with the returned function inside tests.
 */
export function useCatalog(): () => Catalog {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: Pool;
  let dataDir: string;
  let key: Awaited<ReturnType<typeof loadOrCreateSigningKey>>;
  // pool.end() resolves before its connections have closed; the database is dropped only once they have, so the
  // drop never terminates a live backend (which would surface as an unhandled 57P01 on the client).
  const connectionsClosed: Array<Promise<void>> = [];
  let current: (Catalog & { stop(): Promise<void> }) | undefined;

  beforeAll(async () => {
    db = await freshDatabase();
    pool = createPool(db.url, { max: 4, applicationName: 'catalog-test' });
    pool.on('connect', (client) => {
      connectionsClosed.push(new Promise((resolve) => client.once('end', () => resolve())));
    });
    dataDir = await mkdtemp(join(tmpdir(), 'fd-catalog-'));
    key = await loadOrCreateSigningKey(dataDir);
  });
  afterAll(async () => {
    await pool.end();
    await Promise.all(connectionsClosed);
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    // CASCADE: later migrations may add tables that reference restaurants.
    await pool.query('TRUNCATE menu_items, restaurants CASCADE');
    const clock = manualClock(T0);
    const issuer: Issuer = createIssuer({ key, issuer: 'food-delivery-test', audience: 'food-delivery', clock });
    const verifier = createVerifier({ jwks: issuer.jwks(), issuer: issuer.issuer, audience: issuer.audience, clock });
    const store = createPgCatalogStore(pool);
    let next = 0;
    const newId = () => `T${++next}`;

    const app = express();
    app.use(express.json({ limit: '16kb' }));
    app.use(catalogRoutes({ store, verifier, newId, clock }));
    app.use(notFoundHandler);
    app.use(errorMiddleware(log));
    const server = await listen(app);

    current = {
      url: server.url,
      pool,
      store,
      clock,
      token: (principal) => issuer.mint(principal),
      async call(method, path, { token, body } = {}) {
        const headers: Record<string, string> = {};
        if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
        if (body !== undefined) headers['content-type'] = 'application/json';
        const res = await fetch(`${server.url}${path}`, {
          method,
          headers,
          ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
        });
        const text = await res.text();
        return { status: res.status, headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
      },
      async count(table) {
        const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
        return rows[0]?.n ?? -1;
      },
      stop: () => server.close(),
    };
  });
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });

  return () => {
    if (current === undefined) throw new Error('useCatalog(): the catalog exists only inside a test');
    return current;
  };
}

/** The CONTRACT.md error body with one error of `code` (and its status); any non-empty detail. */
export function errorBody(status: number, code: string) {
  return { errors: [{ status: String(status), code, detail: expect.stringMatching(/\S/) }] };
}
