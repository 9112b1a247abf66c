import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../../src/db/pool.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { freshDatabase } from '../../support/database.ts';

describe('the Postgres pool', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: Pool;
  let admin: Pool;
  const warnings: string[] = [];
  beforeAll(async () => {
    db = await freshDatabase();
    const log = createLogger({ name: 'pool-test', level: 'silent' });
    log.warn = ((_obj: unknown, msg?: string) => void warnings.push(msg ?? '')) as typeof log.warn;
    pool = createPool(db.url, { max: 2, applicationName: 'pool-test', log });
    admin = createPool(db.url, { max: 1, applicationName: 'pool-test-admin' });
  });
  afterAll(async () => {
    await pool?.end();
    await admin?.end();
    await db?.drop();
  });

  it('given an idle connection the server terminates, when that happens, then the process goes on (the loss is logged) and the next query gets a new connection', async () => {
    const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = rows[0]?.pid;
    expect(pid).toBeTypeOf('number');

    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await expect.poll(() => warnings.length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(warnings[0]).toContain('idle Postgres connection lost');

    const again = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    expect(again.rows[0]?.pid).not.toBe(pid);
  });
});
