import { deleteNamespace } from '../../actors/delete-namespace.ts';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { actorAddress, allShards, type ActorAddress } from '../../actors/address.ts';
import { createActorClient, type ActorClient } from '../../actors/client.ts';
import { runtimeKeys, type RuntimeKeys } from '../../actors/keys.ts';
import { leaseOwners, leasesBalanced } from '../../actors/lease.ts';
import { redisActorStore } from '../../actors/redis-store.ts';
import { shardOf } from '../../actors/address.ts';
import type { ActorRecord } from '../../actors/store.ts';
import type { CounterState } from './counter-actor.ts';
import type { WorkerRecord } from './worker-record.ts';
import { systemClock } from '../../src/shared/clock.ts';
import type { WorkerReport, WorkerRequest } from '../../src/processes/worker.ts';
import { forkWorker } from '../../src/processes/fork.ts';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const workerEntry = fileURLToPath(new URL('./worker-process.ts', import.meta.url));
const logDir = fileURLToPath(new URL('../../test-results/logs/', import.meta.url));

export interface ClusterOptions {
  shards?: number;
  leaseTtlMs?: number;
  heartbeatMs?: number;
  passivateAfterMs?: number;
  /** RECLAIM_AFTER_MS of the workers. */
  reclaimAfterMs?: number;
  /** INBOX_READS of the workers. */
  inboxReads?: 'combined' | 'per-shard';
  /** How late the counter actors may write what `touch` changes, ms. */
  counterDeferMs?: number;
}

/**
 * Real worker processes on the real Redis, in a namespace of their own, so suites can share one Redis.
 * `close()` kills what is left and deletes every key of the namespace.
 */
export function testCluster(options: ClusterOptions = {}) {
  const namespace = `t-${randomUUID().slice(0, 8)}`;
  const shards = options.shards ?? 16;
  const leaseTtlMs = options.leaseTtlMs ?? 3_000;
  const heartbeatMs = options.heartbeatMs ?? 250;
  const keys: RuntimeKeys = runtimeKeys(namespace);
  const redis = new Redis(TEST_REDIS_URL, { enableAutoPipelining: true });
  const client: ActorClient = createActorClient({ redis, keys, shardCount: shards, clock: systemClock });
  const store = redisActorStore(redis, keys);
  const children = new Set<ChildProcess>();
  mkdirSync(logDir, { recursive: true });

  const spawnWorker = async (): Promise<WorkerRecord> => {
    const { child, workerId, exited } = await forkWorker(
      workerEntry,
      {
        ...process.env,
        REDIS_URL: TEST_REDIS_URL,
        NAMESPACE: namespace,
        SHARDS: String(shards),
        LEASE_TTL_MS: String(leaseTtlMs),
        HEARTBEAT_MS: String(heartbeatMs),
        PASSIVATE_AFTER_MS: String(options.passivateAfterMs ?? 300_000),
        RECLAIM_AFTER_MS: String(options.reclaimAfterMs ?? 30_000),
        INBOX_READS: options.inboxReads ?? 'combined',
        COUNTER_DEFER_MS: String(options.counterDeferMs ?? 1_000),
        LOG_LEVEL: process.env.TEST_WORKER_LOG_LEVEL ?? 'warn',
      },
      { stdio: 'pipe' },
    );
    children.add(child);
    const log = createWriteStream(`${logDir}${namespace}-${child.pid}.log`);
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return {
      workerId,
      pid: child.pid ?? -1,
      report: () =>
        new Promise((resolve) => {
          const onMessage = (m: WorkerReport) => {
            if (m.type !== 'info') return;
            child.off('message', onMessage);
            resolve({ info: m.info, stats: m.stats });
          };
          child.on('message', onMessage);
          child.send({ type: 'info' } satisfies WorkerRequest);
        }),
      signal: (signal) => child.kill(signal),
      async stop() {
        child.kill('SIGTERM');
        const code = await exited;
        children.delete(child);
        return code;
      },
      async kill() {
        child.kill('SIGKILL');
        await exited;
        children.delete(child);
      },
    };
  };

  return {
    namespace,
    shards,
    leaseTtlMs,
    keys,
    redis,
    client,
    spawnWorker,
    address: (id: string): ActorAddress => actorAddress('counter', id),
    record: (address: ActorAddress): Promise<ActorRecord | null> => store.load(shardOf(address, shards), address),
    /** What counter `id` answers from memory (an ask behind everything already in its mailbox). */
    async live(id: string): Promise<CounterState> {
      const answer = await client.ask(actorAddress('counter', id), { type: 'get' });
      if (!answer.ok) throw new Error(`get ${id}: ${answer.error.code}`);
      return answer.value as CounterState;
    },
    /** True when every shard is owned, only by `workerIds`, each holding floor(S/n) or ceil(S/n). */
    async balancedAmong(workerIds: readonly string[]): Promise<boolean> {
      return leasesBalanced(redis, keys, shards, workerIds);
    },
    /** Lease holder per shard (null = unowned). */
    owners: () => leaseOwners(redis, keys, allShards(shards)),
    async close() {
      for (const child of children) child.kill('SIGKILL');
      await client.close();
      await deleteNamespace(redis, keys);
      redis.disconnect();
    },
  };
}

export type TestCluster = ReturnType<typeof testCluster>;

/** Polls an outcome until it holds (no fixed sleeps): resolves with the value, or throws after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | false | null | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
