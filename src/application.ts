import type { Redis } from 'ioredis';
import { hosted, type HostedBehavior } from '../actors/behavior.ts';
import { runtimeKeys } from '../actors/keys.ts';
import { commitGroupsFor, redisActorStore } from '../actors/redis-store.ts';
import { storeByKind } from '../actors/routed-store.ts';
import type { ActorStore } from '../actors/store.ts';
import type { Config } from './config/config.ts';
import { dispatchBehaviors } from './dispatch/index.ts';
import { createPool } from './db/pool.ts';
import type { Logger } from './observability/logger.ts';
import { pgEventStore } from './orders/event-store/index.ts';
import { orderBehavior } from './orders/order-actor.ts';
import { projectOrders } from './orders/order-projection.ts';
import { orderActorStore } from './orders/order-store.ts';
import { kafkaSink, startOutboxRelay } from './orders/outbox/index.ts';
import { simulatedPaymentBehavior } from './orders/payment-actor.ts';
import { orderReadModel } from './orders/read-model.ts';

/** What a worker process hosts: the actor kinds, where each persists, and the background jobs that go with them. */
export interface Application {
  readonly behaviors: HostedBehavior[];
  readonly store: (redis: Redis) => ActorStore;
  stop(): Promise<void>;
}

/**
 * The system's actor kinds: `order` (event-sourced in Postgres), `payment` (the simulated card provider) and the
 * dispatch kinds `driver`, `cell` and `dispatch`, these in Redis. With KAFKA_BROKERS set, every worker also runs an outbox relay (one publishes at a time; the others stand by).
 */
export function createApplication(config: Config, databaseUrl: string, log: Logger): Application {
  const pool = createPool(databaseUrl, { applicationName: 'food-delivery-worker', log });
  const events = pgEventStore(pool, { log, beforeCommitGroup: projectOrders });
  const keys = runtimeKeys(config.namespace);
  const sink = config.kafkaBrokers.length > 0 ? kafkaSink(config.kafkaBrokers, log) : null;
  const relay = sink ? startOutboxRelay({ pool, sink, log }) : null;
  if (!sink) log.info('no KAFKA_BROKERS: order events wait in the outbox (see outbox_backlog in /metrics)');

  const behaviors = [
    hosted(
      orderBehavior({ paymentTimeoutMs: config.paymentTimeoutMs, dispatchRetryMs: config.dispatchRetryMs, dispatchMaxAttempts: config.dispatchMaxAttempts }),
    ),
    hosted(simulatedPaymentBehavior({ delayMs: config.paymentSimDelayMs, declineRate: config.paymentSimDeclineRate })),
    ...dispatchBehaviors(config.dispatch),
  ];
  return {
    behaviors,
    store: (redis) =>
      storeByKind({ order: orderActorStore({ pool, events, redis, keys, readModel: orderReadModel(redis, pool, keys) }) }, redisActorStore(redis, keys, { commitGroups: commitGroupsFor(config.inboxReads), shardCount: config.shardCount })),
    async stop() {
      await relay?.stop();
      await sink?.close();
      await pool.end();
    },
  };
}
