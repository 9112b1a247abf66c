import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { allShards } from '../../../actors/address.ts';
import { deleteNamespace } from '../../../actors/delete-namespace.ts';
import { runtimeKeys } from '../../../actors/keys.ts';
import { leaseOwners } from '../../../actors/lease.ts';
import { TEST_REDIS_URL, waitFor } from '../../support/cluster.ts';

const PARENT = fileURLToPath(new URL('../../support/forking-parent.ts', import.meta.url));
const SHARDS = 4;
const LEASE_TTL_MS = 20_000;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('a forked worker whose parent dies', () => {
  it('given a worker owning every shard, when its parent is killed, then it leaves on its own and releases its leases (long before they would expire)', async () => {
    const namespace = `t-${randomUUID().slice(0, 8)}`;
    const keys = runtimeKeys(namespace);
    const redis = new Redis(TEST_REDIS_URL);
    const parent = spawn(process.execPath, ['--import', 'tsx', PARENT], {
      env: { ...process.env, REDIS_URL: TEST_REDIS_URL, NAMESPACE: namespace, SHARDS: String(SHARDS), LEASE_TTL_MS: String(LEASE_TTL_MS), HEARTBEAT_MS: '250', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let workerPid = -1;
    cleanups.push(async () => {
      parent.kill('SIGKILL');
      if (workerPid > 0 && alive(workerPid)) process.kill(workerPid, 'SIGKILL');
      await deleteNamespace(redis, keys);
      redis.disconnect();
    });
    const [line] = (await once(parent.stdout, 'data')) as [Buffer];
    const { pid, workerId } = JSON.parse(line.toString().trim()) as { pid: number; workerId: string };
    workerPid = pid;
    await waitFor(async () => (await leaseOwners(redis, keys, allShards(SHARDS))).every((o) => o === workerId), 10_000, 'the worker to own every shard');

    const killedAt = Date.now();
    parent.kill('SIGKILL');
    await waitFor(async () => !alive(pid), 10_000, 'the orphaned worker to exit');
    expect(await leaseOwners(redis, keys, allShards(SHARDS))).toEqual(Array.from({ length: SHARDS }, () => null));
    expect(Date.now() - killedAt).toBeLessThan(LEASE_TTL_MS);
  });
});
