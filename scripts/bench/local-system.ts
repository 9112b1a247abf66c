import { deleteNamespace } from '../../actors/delete-namespace.ts';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { runtimeKeys } from '../../actors/keys.ts';
import { loadConfig } from '../../src/config/config.ts';
import { migrateUp } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { forkWorker, type ForkedWorker } from '../../src/processes/fork.ts';
import { startHttpProcess, type HttpProcess } from '../../src/processes/http-server.ts';
import { waitForBalancedOwnership } from './ownership.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/**
 * The whole system for a benchmark, on the local Redis and Postgres: a fresh database and key namespace, worker
 * processes and the API in this process. `stop()` removes everything it made.
 */
export async function startLocalSystem(opts: { workers: number; shards?: number; env?: Record<string, string> }): Promise<{
  baseUrl: string;
  databaseUrl: string;
  redisUrl: string;
  http: HttpProcess;
  workers: ForkedWorker[];
  stop(): Promise<void>;
}> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const admin = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const namespace = `bench-${randomUUID().slice(0, 8)}`;
  const shards = opts.shards ?? 64;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const log = createLogger({ name: 'bench', level: 'warn' });
  await migrateUp(databaseUrl, log);

  const env: Record<string, string> = {
    REDIS_URL: redisUrl,
    DATABASE_URL: databaseUrl,
    NAMESPACE: namespace,
    SHARDS: String(shards),
    LOG_LEVEL: 'warn',
    AUTH_DEV_TOKENS: '1',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'fd-bench-')),
    ...opts.env,
  };
  const workers = await Promise.all(Array.from({ length: opts.workers }, () => forkWorker(MAIN, { ...process.env, ...env }, { args: ['worker'] })));
  const config = loadConfig({ ...env, PORT: '0' });
  if (!config.ok) throw new Error(config.error);
  const http = await startHttpProcess({ config: config.value, redisUrl, databaseUrl, serve: { api: true, gateway: false }, log });
  const redis = new Redis(redisUrl);
  const keys = runtimeKeys(namespace);
  await waitForBalancedOwnership(redis, keys, shards, workers.map((w) => w.workerId));

  return {
    baseUrl: `http://127.0.0.1:${http.port}`,
    databaseUrl,
    redisUrl,
    http,
    workers,
    async stop() {
      await http.stop();
      for (const w of workers) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
      await deleteNamespace(redis, keys);
      redis.disconnect();
      const d = new pg.Client({ connectionString: admin });
      await d.connect();
      await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await d.end();
    },
  };
}
