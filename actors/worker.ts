import { randomUUID } from 'node:crypto';
import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Clock } from '../src/shared/clock.ts';
import { shardOf, type ActorAddress, type ShardId } from './address.ts';
import type { HandledMessage } from './activation.ts';
import { assignShards, shardsOf } from './assignment.ts';
import { behaviorRegistry, type HostedBehavior } from './behavior.ts';
import { createActorClient, type ActorClient } from './client.ts';
import { redisDeadLetters } from './dead-letters.ts';
import { createEffectRunner } from './effects.ts';
import { runtimeKeys } from './keys.ts';
import { redisLeases, type Lease } from './lease.ts';
import { createRuntimeMetrics } from './metrics.ts';
import { redisWorkerRegistry, type WorkerInfo } from './registry.ts';
import { commitGroupsFor, redisActorStore } from './redis-store.ts';
import { createInboxReader, type InboxReader, type InboxReaderOptions } from './inbox-reader.ts';
import { createShardRunner, type ShardRunner, type ShardRunnerOptions } from './shard-runner.ts';
import type { ActorStore } from './store.ts';
import { bullmqTimers, startTimerDelivery } from './timers.ts';
import { forgetGoneConsumers } from './consumers.ts';
import { trimInbox } from './trim.ts';

export interface ActorWorkerConfig {
  readonly redisUrl: string;
  readonly namespace: string;
  readonly shardCount: number;
  /** Shard lease TTL, ms; a dead worker's shards are taken over after about this long. @default 10_000 */
  readonly leaseTtlMs: number;
  /** Heartbeat, lease renewal and rebalance period, ms. @default 1_000 */
  readonly heartbeatMs: number;
  /** Actors idle this long are dropped from memory (their state is already persisted), ms. @default 300_000 */
  readonly passivateAfterMs: number;
  /** Period of inbox trimming and lag/pending sampling, ms. @default 5_000 */
  readonly maintenanceMs?: number;
  /** One XREADGROUP over all owned inboxes (`combined`, one Redis node), or a reader per shard (Redis Cluster). @default combined */
  readonly inboxReads?: 'combined' | 'per-shard';
  /** Entries pending this long under any consumer are claimed again at maintenance (see `reclaimStale`), ms. @default 30_000 */
  readonly reclaimAfterMs?: number;
}

export interface ActorWorkerDeps {
  readonly config: ActorWorkerConfig;
  readonly behaviors: readonly HostedBehavior[];
  readonly clock: Clock;
  readonly log: Logger;
  readonly workerId?: string;
  /** Where the runtime's metrics go; the worker publishes this registry for the API's `/metrics`. */
  readonly metrics?: Registry;
  /** Persistence of actor records; the fenced Redis store unless given. */
  readonly store?: (redis: Redis) => ActorStore;
  readonly shardOptions?: Partial<ShardRunnerOptions>;
  readonly readerOptions?: Partial<InboxReaderOptions>;
  /** Called for every settled message (benchmarks and tests observe latency through it). */
  readonly onHandled?: (handled: HandledMessage) => void;
}

export interface ActorWorker {
  readonly workerId: string;
  readonly client: ActorClient;
  ownedShards(): ShardId[];
  info(): WorkerInfo;
  /** Counts since start, for the process's parent (tests, benchmarks) — Prometheus has the same as metrics. */
  stats(): WorkerStats;
  /** The live record of an activated actor on this worker, or undefined. */
  inspect(address: ActorAddress): { state: unknown; appliedThrough: string } | undefined;
  /** Graceful: leave the registry, finish and commit what was read, release every lease. */
  stop(): Promise<void>;
}

export interface WorkerStats {
  readonly applied: number;
  readonly duplicates: number;
  readonly deadLetters: number;
  readonly fencedCommits: number;
}

const LEASE_SAFETY = 0.8;

/**
 * A worker process's actor runtime: registers with a heartbeat, keeps the shards assigned to it (acquiring,
 * renewing, releasing leases as workers come and go), runs them, delivers due timers and trims inboxes.
 */
export async function startActorWorker(deps: ActorWorkerDeps): Promise<ActorWorker> {
  const { config, clock, log } = deps;
  const workerId = deps.workerId ?? `w-${randomUUID().slice(0, 8)}`;
  const keys = runtimeKeys(config.namespace);
  const redis = new Redis(config.redisUrl, { enableAutoPipelining: true, maxRetriesPerRequest: 3 });
  const bull = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const registry = deps.metrics ?? new Registry();
  registry.setDefaultLabels({ worker: workerId });
  const metrics = createRuntimeMetrics(registry);
  const behaviors = behaviorRegistry(deps.behaviors);
  const store = deps.store ? deps.store(redis) : redisActorStore(redis, keys, { commitGroups: commitGroupsFor(config.inboxReads), shardCount: config.shardCount });
  const leases = redisLeases(redis, keys, workerId, config.leaseTtlMs);
  const workers = redisWorkerRegistry(redis, keys, clock, config.leaseTtlMs);
  const client = createActorClient({ redis, keys, shardCount: config.shardCount, clock, clientId: workerId });
  const timers = bullmqTimers(bull, keys, clock);
  const sockets = new Emitter(redis, { key: keys.socketIoPrefix() });
  const runEffects = createEffectRunner({ redis, keys, client, timers, clock, sockets });
  const deadLetters = redisDeadLetters(redis, keys);
  const timerDelivery = startTimerDelivery({ connection: bull.duplicate(), keys, client, clock });
  const shardOptions: ShardRunnerOptions = { maxInFlight: 512, maxBatch: 64, ...deps.shardOptions };
  const readerOptions: InboxReaderOptions = { readCount: 256, blockMs: 1_000, batchWindowMs: 1, ...deps.readerOptions };
  /** Inbox readers by group: one for all shards (combined), or one per shard. */
  const readers = new Map<string, InboxReader>();
  const readerFor = (shard: ShardId): InboxReader => {
    const group = config.inboxReads === 'per-shard' ? String(shard) : 'all';
    let reader = readers.get(group);
    if (!reader) readers.set(group, (reader = createInboxReader({ redis, keys, consumer: workerId, options: readerOptions, log })));
    return reader;
  };
  const startedAt = new Date(clock.now()).toISOString();

  /** Shards this worker runs, with the local deadline past which it must assume its lease is gone. */
  const owned = new Map<ShardId, { runner: ShardRunner; validUntil: number }>();
  const releasing = new Set<ShardId>();
  let stopping = false;
  let tickTimer: NodeJS.Timeout | null = null;
  let lastMaintenance = 0;
  let maintenance: Promise<void> | null = null;

  const stats = { applied: 0, duplicates: 0, deadLetters: 0, fencedCommits: 0 };
  // Label children resolved once per kind: the hot path then skips prom-client's label lookup by name.
  const kindMetrics = new Map<string, { handled: Record<HandledMessage['outcome'], ReturnType<typeof metrics.handled.labels>>; seconds: ReturnType<typeof metrics.handlingSeconds.labels> }>();
  const onHandled = (h: HandledMessage) => {
    let m = kindMetrics.get(h.kind);
    if (!m) {
      const handled = { applied: metrics.handled.labels(h.kind, 'applied'), duplicate: metrics.handled.labels(h.kind, 'duplicate'), 'dead-letter': metrics.handled.labels(h.kind, 'dead-letter') };
      kindMetrics.set(h.kind, (m = { handled, seconds: metrics.handlingSeconds.labels(h.kind) }));
    }
    m.handled[h.outcome].inc();
    m.seconds.observe((h.committedAt - h.entry.readAt) / 1000);
    if (h.outcome === 'applied') stats.applied++;
    else if (h.outcome === 'duplicate') stats.duplicates++;
    deps.onHandled?.(h);
  };

  const lose = (shard: ShardId, fenced: boolean) => {
    if (fenced) {
      stats.fencedCommits++;
      metrics.fenced.inc();
    }
    const entry = owned.get(shard);
    if (!entry) return;
    owned.delete(shard);
    log.warn({ shard, epoch: entry.runner.lease.epoch }, 'shard lease lost; dropping its actors');
    void entry.runner.abandon();
  };

  const run = async (lease: Lease) => {
    const runner = createShardRunner({
      shard: lease.shard,
      lease,
      workerId,
      shardCount: config.shardCount,
      redis,
      reader: readerFor(lease.shard),
      keys,
      behaviors,
      store,
      runEffects,
      deadLetters,
      clock,
      log,
      options: shardOptions,
      onHandled,
      onDeadLetter: (reason) => {
        stats.deadLetters++;
        metrics.deadLetters.inc({ reason: reasonClass(reason) });
      },
      onLost: (shard) => lose(shard, true),
    });
    owned.set(lease.shard, { runner, validUntil: clock.now() + config.leaseTtlMs * LEASE_SAFETY });
    await runner.start();
    log.info({ shard: lease.shard, epoch: lease.epoch }, 'shard acquired');
  };

  const release = async (shard: ShardId) => {
    const entry = owned.get(shard);
    if (!entry || releasing.has(shard)) return;
    releasing.add(shard);
    try {
      await entry.runner.drain();
      owned.delete(shard);
      await leases.release(entry.runner.lease);
      if (!stopping) await workers.heartbeat(info());
      log.info({ shard }, 'shard released');
    } finally {
      releasing.delete(shard);
    }
  };

  const renewAll = async () => {
    await Promise.all(
      [...owned].map(async ([shard, entry]) => {
        const sentAt = clock.now();
        const renewed = await leases.renew(entry.runner.lease).catch(() => false);
        if (renewed) entry.validUntil = sentAt + config.leaseTtlMs * LEASE_SAFETY;
        else if (owned.get(shard) === entry) lose(shard, false);
      }),
    );
    const now = clock.now();
    for (const [shard, entry] of owned) if (now > entry.validUntil) lose(shard, false);
  };

  const info = (): WorkerInfo => {
    const actors: Record<string, number> = {};
    for (const { runner } of owned.values()) {
      for (const a of runner.activations().values()) actors[a.kind] = (actors[a.kind] ?? 0) + 1;
    }
    return { workerId, pid: process.pid, startedAt, shards: [...owned.keys()].sort((a, b) => a - b), actors };
  };

  const maintain = async () => {
    const live = await workers.live();
    metrics.leases.set(owned.size);
    metrics.actors.reset();
    for (const [kind, n] of Object.entries(info().actors)) metrics.actors.set({ kind }, n);
    // All shards at once: their calls share auto-pipelined writes instead of a round trip after another per shard.
    await Promise.all(
      [...owned].map(async ([shard, { runner }]) => {
        runner.passivateIdle(config.passivateAfterMs);
        const reclaimed = await runner.reclaimStale(config.reclaimAfterMs ?? 30_000);
        if (reclaimed > 0) log.warn({ shard, reclaimed }, 'claimed entries left pending too long');
        const forgotten = await forgetGoneConsumers(redis, keys, shard, [...live, workerId], config.reclaimAfterMs ?? 30_000);
        if (forgotten > 0) log.info({ shard, forgotten }, 'deleted the inbox consumers of workers gone');
        const trimmed = await trimInbox(redis, keys, shard);
        metrics.streamLag.set({ shard: String(shard) }, trimmed.lag);
        metrics.streamPending.set({ shard: String(shard) }, trimmed.pending);
      }),
    );
    await redis.set(keys.workerMetrics(workerId), JSON.stringify(await registry.getMetricsAsJSON()), 'PX', config.leaseTtlMs * 3);
  };

  const tick = async () => {
    await workers.heartbeat(info());
    await renewAll();
    const live = await workers.live();
    if (!live.includes(workerId)) live.push(workerId);
    const desired = shardsOf(assignShards(config.shardCount, live), workerId);
    for (const shard of owned.keys()) if (!desired.has(shard)) void release(shard);
    let acquired = 0;
    for (const shard of desired) {
      if (owned.has(shard) || releasing.has(shard) || stopping) continue;
      const lease = await leases.acquire(shard);
      if (lease) {
        await run(lease);
        acquired++;
      }
    }
    // Publish the new ownership now rather than at the next heartbeat, so the ops view never lags readiness.
    if (acquired > 0) await workers.heartbeat(info());
    if (maintenance === null && !stopping && clock.now() - lastMaintenance >= (config.maintenanceMs ?? 5_000)) {
      lastMaintenance = clock.now();
      // In the background: under load its calls wait behind the traffic, and heartbeats and lease renewals must not.
      maintenance = maintain()
        .catch((e: unknown) => log.error({ err: e }, 'worker maintenance failed'))
        .finally(() => (maintenance = null));
    }
  };

  const loop = async () => {
    if (stopping) return;
    try {
      await tick();
    } catch (e) {
      log.error({ err: e }, 'worker tick failed');
    }
    if (!stopping) tickTimer = setTimeout(() => void loop(), config.heartbeatMs);
  };

  await loop();
  log.info({ workerId, shards: owned.size }, 'actor worker started');

  return {
    workerId,
    client,
    ownedShards: () => [...owned.keys()],
    info,
    stats: () => ({ ...stats }),
    inspect(address) {
      const entry = owned.get(shardOf(address, config.shardCount));
      const record = entry?.runner.activations().get(address)?.record;
      return record ? { state: record.state, appliedThrough: record.appliedThrough } : undefined;
    },
    async stop() {
      stopping = true;
      if (tickTimer) clearTimeout(tickTimer);
      await maintenance;
      await workers.deregister(workerId).catch(() => undefined);
      await Promise.all([...owned.keys()].map((s) => release(s).catch((e: unknown) => log.error({ err: e, shard: s }, 'release failed'))));
      await Promise.all([...readers.values()].map((r) => r.stop()));
      await timerDelivery.close();
      await timers.close();
      await client.close();
      await redis.del(keys.workerMetrics(workerId)).catch(() => undefined);
      redis.disconnect();
      bull.disconnect();
      log.info({ workerId }, 'actor worker stopped');
    },
  };
}

/** Bounded label values for the dead-letter counter (the full reason goes to the log and the stream). */
function reasonClass(reason: string): string {
  if (reason.startsWith('unknown actor kind')) return 'unknown-kind';
  if (reason.startsWith('misrouted')) return 'misrouted';
  if (reason.startsWith('invalid ')) return 'invalid-body';
  if (reason.includes('decide threw')) return 'handler-error';
  return 'malformed-entry';
}
