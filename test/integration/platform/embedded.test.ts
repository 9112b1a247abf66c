import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveBackingServices } from '../../../src/infra/backing-services.ts';
import { startEmbeddedRedis } from '../../../src/infra/embedded-redis.ts';
import { createLogger } from '../../../src/observability/logger.ts';

const log = createLogger({ name: 'embedded-test', level: 'silent' });

let dataDir: string;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'fd-embedded-'));
  // Under root the embedded Postgres runs as the `postgres` user, which must be able to enter the folder.
  await chmod(dataDir, 0o755);
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Whether anything accepts TCP connections on the URL's port of 127.0.0.1. */
function answers(url: string): Promise<boolean> {
  const port = Number(new URL(url).port);
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function withRedis<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

async function withPg<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function resolveEmbedded() {
  const services = await resolveBackingServices({ dataDir, redisUrl: undefined, databaseUrl: undefined }, log);
  if (!services.ok) throw new Error(services.error);
  cleanups.push(() => services.value.stop());
  return services.value;
}

describe('resolveBackingServices', () => {
  it('given no URLs, when resolved, then embedded Redis and Postgres answer, and stop() shuts both down', async () => {
    const services = await resolveEmbedded();
    expect(services.embedded).toEqual({ redis: true, postgres: true });
    expect(services.redisUrl).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(services.databaseUrl).toMatch(/^postgres:\/\/postgres:postgres@127\.0\.0\.1:\d+\/food_delivery$/);

    expect(await withRedis(services.redisUrl, (redis) => redis.ping())).toBe('PONG');
    const row = await withPg(services.databaseUrl, async (client) => (await client.query('select 1 as one, current_database() as db')).rows[0]);
    expect(row).toEqual({ one: 1, db: 'food_delivery' });

    await services.stop();
    expect(await answers(services.redisUrl)).toBe(false);
    expect(await answers(services.databaseUrl)).toBe(false);
    await services.stop();
  });

  it('given data written, when the embedded services are restarted on the same folder, then the data is still there', async () => {
    const key = `persist-${randomUUID()}`;
    const first = await resolveEmbedded();
    await withRedis(first.redisUrl, (redis) => redis.set(key, 'kept'));
    await withPg(first.databaseUrl, async (client) => {
      await client.query('create table kept (value text)');
      await client.query('insert into kept values ($1)', [key]);
    });
    await first.stop();

    const second = await resolveEmbedded();
    expect(await withRedis(second.redisUrl, (redis) => redis.get(key))).toBe('kept');
    const rows = await withPg(second.databaseUrl, async (client) => (await client.query('select value from kept')).rows);
    expect(rows).toEqual([{ value: key }]);
  });

  it('given both URLs, when resolved, then they are used as they are and nothing is started', async () => {
    const services = await resolveBackingServices(
      { dataDir, redisUrl: 'redis://redis.internal:6379', databaseUrl: 'postgres://u:p@db.internal:5432/fd' },
      log,
    );
    expect(services).toMatchObject({
      ok: true,
      value: { redisUrl: 'redis://redis.internal:6379', databaseUrl: 'postgres://u:p@db.internal:5432/fd', embedded: { redis: false, postgres: false } },
    });
    if (services.ok) await services.value.stop();
  });
});

describe('startEmbeddedRedis', () => {
  it('given a PATH without redis-server, when started, then the error says how to install it or to set REDIS_URL', async () => {
    const emptyBin = await mkdtemp(join(tmpdir(), 'fd-empty-bin-'));
    cleanups.push(() => rm(emptyBin, { recursive: true, force: true }));

    const result = await startEmbeddedRedis({ dataDir, log, searchPath: emptyBin });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toContain('apt-get install redis-server');
    expect(result.error).toContain('brew install redis');
    expect(result.error).toContain('REDIS_URL');
  });

});

describe('two embedded Redis servers on one folder', () => {
  it('given one is running, when a second is started on the same folder, then it is refused', async () => {
    const first = await startEmbeddedRedis({ dataDir, log });
    if (!first.ok) throw new Error(first.error);
    cleanups.push(() => first.value.stop());

    const second = await startEmbeddedRedis({ dataDir, log });
    expect(second.ok).toBe(false);
    if (!second.ok) expect(second.error).toMatch(/Another redis-server \(pid \d+\) is already using/);

    await first.value.stop();
    const third = await startEmbeddedRedis({ dataDir, log });
    expect(third.ok).toBe(true);
    if (third.ok) await third.value.stop();
  });
});

describe('an embedded server whose owner dies', () => {
  it.each(['redis', 'postgres'])('given the process that started %s is killed with SIGKILL, then the server goes down too', async (kind) => {
    const fixture = fileURLToPath(new URL('./fixtures/start-embedded.ts', import.meta.url));
    const owner = spawn(process.execPath, ['--import', 'tsx', fixture, kind, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(async () => {
      owner.kill('SIGKILL');
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      owner.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      owner.once('exit', (code) => reject(new Error(`fixture exited early (${code})`)));
    });
    expect(await answers(url)).toBe(true);

    owner.kill('SIGKILL');
    let up = true;
    for (let i = 0; i < 100 && up; i++) {
      await sleep(100);
      up = await answers(url);
    }
    expect(up).toBe(false);
  });
});
