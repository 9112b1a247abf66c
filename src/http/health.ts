import { Router } from 'express';
import type { Redis } from 'ioredis';
import { allShards } from '../../actors/address.ts';
import type { RuntimeKeys } from '../../actors/keys.ts';
import { leaseOwners } from '../../actors/lease.ts';
import type { Pool } from '../db/pool.ts';

type Check = { ok: true; detail: string } | { ok: false; detail: string };

const CHECK_TIMEOUT_MS = 2_000;

/** Runs one readiness check with a deadline; a throw or a timeout is a failed check. */
async function check(run: () => Promise<Check>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Check>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([run(), timeout]);
  } catch {
    return { ok: false, detail: 'unreachable' };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET /healthz`: the process is alive. `GET /readyz`: Redis and Postgres answer and every shard has an owner —
 * 200 when all hold, 503 otherwise, with each check's result (never connection strings or errors' text).
 */
export function healthRoutes(deps: { redis: Redis; pool?: Pool; keys: RuntimeKeys; shardCount: number }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'alive' });
  });
  router.get('/readyz', async (_req, res) => {
    const pool = deps.pool;
    const [redis, postgres, shards] = await Promise.all([
      check(async () => ({ ok: (await deps.redis.ping()) === 'PONG', detail: 'ok' })),
      pool ? check(async () => ({ ok: (await pool.query('SELECT 1')).rowCount === 1, detail: 'ok' })) : { ok: true as const, detail: 'not used by this role' },
      check(async () => {
        const owners = await leaseOwners(deps.redis, deps.keys, allShards(deps.shardCount));
        const owned = owners.filter((o) => o !== null).length;
        return { ok: owned === deps.shardCount, detail: `${owned}/${deps.shardCount} owned` };
      }),
    ]);
    const ready = redis.ok && postgres.ok && shards.ok;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: { redis, postgres, shards } });
  });
  return router;
}
