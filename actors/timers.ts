import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Clock } from '../src/shared/clock.ts';
import type { ActorAddress } from './address.ts';
import type { ActorClient } from './client.ts';
import type { RuntimeKeys } from './keys.ts';

const QUEUE = 'timers';
/** Finished jobs are kept this long so that scheduling the same timer id again stays a no-op. */
const KEEP_FINISHED_S = 24 * 3600;

interface TimerJob {
  to: ActorAddress;
  timerId: string;
  body: unknown;
}

/**
 * Deterministic BullMQ job id of an actor's timer: the same actor and timer id always name the same job, which is
 * what makes schedule idempotent and cancel possible. BullMQ forbids `:` in custom ids.
 */
export function timerJobId(address: ActorAddress, timerId: string): string {
  return `${address.replace(':', '/')}/${encodeURIComponent(timerId)}`;
}

/** Durable timers as BullMQ delayed jobs: they live in Redis, so they outlive the worker that scheduled them. */
export interface Timers {
  schedule(timer: { jobId: string; to: ActorAddress; timerId: string; fireAt: number; body: unknown }): Promise<void>;
  /** Removes a timer that has not fired; one that is firing right now still arrives (machines ignore stale timers). */
  cancel(jobId: string): Promise<void>;
  close(): Promise<void>;
}

export function bullmqTimers(connection: Redis, keys: RuntimeKeys, clock: Clock): Timers {
  const queue = new Queue<TimerJob>(QUEUE, { connection, prefix: keys.timersPrefix() });
  return {
    async schedule(t) {
      await queue.add(
        'timer',
        { to: t.to, timerId: t.timerId, body: t.body },
        {
          jobId: t.jobId,
          delay: Math.max(0, t.fireAt - clock.now()),
          attempts: 10,
          backoff: { type: 'exponential', delay: 200 },
          removeOnComplete: { age: KEEP_FINISHED_S },
          removeOnFail: { age: KEEP_FINISHED_S },
        },
      );
    },
    async cancel(jobId) {
      await queue.remove(jobId);
    },
    close: () => queue.close(),
  };
}

/**
 * Runs in every worker: takes due timers and appends them to the target actor's inbox as `timer` messages whose
 * id is derived from the job id, so a timer BullMQ runs twice (stalled job) is still applied once.
 */
export function startTimerDelivery(opts: { connection: Redis; keys: RuntimeKeys; client: ActorClient; clock: Clock; concurrency?: number }): {
  close(): Promise<void>;
} {
  const worker = new Worker<TimerJob>(
    QUEUE,
    async (job) => {
      await opts.client.deliver({
        type: 'timer',
        id: `timer:${job.id ?? ''}`,
        to: job.data.to,
        timerId: job.data.timerId,
        body: job.data.body,
        sentAt: opts.clock.now(),
      });
    },
    {
      connection: opts.connection,
      prefix: opts.keys.timersPrefix(),
      concurrency: opts.concurrency ?? 32,
      // A delivery is one XADD: short locks let another worker take over a timer whose worker died while firing it
      // within ~15 s instead of BullMQ's default 30 s + 30 s.
      lockDuration: 10_000,
      stalledInterval: 5_000,
    },
  );
  worker.on('error', () => undefined);
  return { close: () => worker.close() };
}
