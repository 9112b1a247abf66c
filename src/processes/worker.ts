import type { Redis } from 'ioredis';
import type { HostedBehavior } from '../../actors/behavior.ts';
import type { ActorStore } from '../../actors/store.ts';
import type { HandledMessage } from '../../actors/activation.ts';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { startActorWorker, type ActorWorker } from '../../actors/worker.ts';
import { loadConfig, type Config } from '../config/config.ts';
import type { Logger } from '../observability/logger.ts';
import { systemClock } from '../shared/clock.ts';
import { onShutdown } from './shutdown.ts';

/** Messages a parent process (the `npm start` supervisor, tests, benchmarks) may send a worker over IPC. */
export type WorkerRequest = { type: 'info' };
/** Messages a worker sends its parent over IPC. */
export type WorkerReport =
  | { type: 'ready'; workerId: string; pid: number }
  | { type: 'info'; info: ReturnType<ActorWorker['info']>; stats: ReturnType<ActorWorker['stats']> };

/**
 * The `worker` role: hosts actors of the given kinds until SIGTERM/SIGINT (or, when forked, until its parent is
 * gone), then leaves gracefully (finishes and commits what it read, releases its leases) so the other workers take
 * its shards at once.
 */
export async function runWorker(opts: {
  config: Config & { redisUrl: string };
  behaviors: readonly HostedBehavior[];
  /** Persistence of actor records; the fenced Redis store unless given. */
  store?: (redis: Redis) => ActorStore;
  log: Logger;
  onHandled?: (h: HandledMessage) => void;
  /** Runs after the worker left gracefully (close pools, relays). */
  onStopped?: () => Promise<void>;
}): Promise<ActorWorker> {
  const { config, log } = opts;
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const worker = await startActorWorker({
    metrics,
    config: {
      redisUrl: config.redisUrl,
      namespace: config.namespace,
      shardCount: config.shardCount,
      leaseTtlMs: config.leaseTtlMs,
      heartbeatMs: config.heartbeatMs,
      passivateAfterMs: config.passivateAfterMs,
      inboxReads: config.inboxReads,
      reclaimAfterMs: config.reclaimAfterMs,
    },
    behaviors: opts.behaviors,
    ...(opts.store ? { store: opts.store } : {}),
    clock: systemClock,
    log,
    ...(opts.onHandled ? { onHandled: opts.onHandled } : {}),
  });
  const shutDown = onShutdown(log, async () => {
    await worker.stop();
    await opts.onStopped?.();
  });
  if (process.send) {
    // Forked by `npm start`, a test or a benchmark: when that parent dies (its IPC channel closes), leave the way a
    // SIGTERM does rather than run on, orphaned, holding shard leases.
    process.once('disconnect', () => shutDown('parent gone'));
    process.on('message', (m: WorkerRequest) => {
      if (m.type === 'info') process.send?.({ type: 'info', info: worker.info(), stats: worker.stats() } satisfies WorkerReport);
    });
    process.send({ type: 'ready', workerId: worker.workerId, pid: process.pid } satisfies WorkerReport);
  }
  return worker;
}

/**
 * The configuration of a standalone worker entry point (tests, benchmarks): from the environment, with REDIS_URL
 * required. Prints what is wrong and exits with status 2 otherwise.
 */
export function workerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): Config & { redisUrl: string } {
  const config = loadConfig(env);
  if (!config.ok) {
    console.error(config.error);
    process.exit(2);
  }
  const redisUrl = config.value.redisUrl;
  if (!redisUrl) {
    console.error('REDIS_URL is required');
    process.exit(2);
  }
  return { ...config.value, redisUrl };
}
