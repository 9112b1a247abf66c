import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { migrateUp } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/observability/logger.ts';

/** The Postgres server tests create their databases on (trust auth on this machine). */
export const TEST_DATABASE_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A fresh database with every migration applied, so tests share the server but never each other's rows.
 * `drop()` removes it.
 */
export async function freshDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `t_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_ADMIN_URL);
  url.pathname = `/${name}`;
  await migrateUp(url.toString(), createLogger({ name: 'migrate', level: 'warn' }));
  return {
    url: url.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
