import type { ActorAddress, ShardId } from './address.ts';

/**
 * Every Redis key and consumer-group name of the actor runtime, and nothing else names one.
 *
 * Keys of one shard share the hash tag `{sN}` so that a Lua script touching a shard's lease, inbox and actor
 * records runs in one Redis Cluster slot. Keys that are not per shard carry their own tag. Every key starts with
 * the deployment's namespace, so several deployments (or test runs) share one Redis.
 */
export interface RuntimeKeys {
  readonly namespace: string;
  /** The consumer group every worker reads a shard inbox with. */
  readonly group: string;
  inbox(shard: ShardId): string;
  lease(shard: ShardId): string;
  /** Monotonic counter; each lease acquisition takes the next value as its epoch (fencing token). */
  epoch(shard: ShardId): string;
  actor(shard: ShardId, address: ActorAddress): string;
  /** SCAN match pattern of every actor record of one kind, across all shards (e.g. the ops dashboard's drivers). */
  actorsOfKind(kind: string): string;
  /** Sorted set: worker id → heartbeat expiry (ms since epoch). */
  workers(): string;
  /** JSON of a worker's self-description (pid, shards, actors per kind), expiring with its heartbeat. */
  workerInfo(workerId: string): string;
  /** Prometheus metrics (JSON) a worker publishes for the API's `/metrics`. */
  workerMetrics(workerId: string): string;
  /** A client's reply stream for `ask`. */
  replies(clientId: string): string;
  deadLetters(): string;
  /** The order read model (CONTRACT.md order view, JSON). */
  orderView(orderId: string): string;
  /** Sorted set of a customer's recent order ids, scored by placement time (ms); expires 24 h after the last. */
  customerOrders(customerId: string): string;
  /** Channel prefix shared by the gateways' Socket.IO Redis adapter and the workers' emitter. */
  socketIoPrefix(): string;
  /** BullMQ prefix for the durable timers queue. */
  timersPrefix(): string;
  /** Match pattern of every key of this namespace (cleanup in tests and tools). */
  pattern(): string;
}

export function runtimeKeys(namespace: string): RuntimeKeys {
  const ns = namespace;
  const shardTag = (shard: ShardId) => `${ns}:{s${shard}}`;
  return {
    namespace: ns,
    group: 'workers',
    inbox: (shard) => `${shardTag(shard)}:inbox`,
    lease: (shard) => `${shardTag(shard)}:lease`,
    epoch: (shard) => `${shardTag(shard)}:epoch`,
    actor: (shard, address) => `${shardTag(shard)}:actor:${address}`,
    actorsOfKind: (kind) => `${ns}:{s*}:actor:${kind}:*`,
    workers: () => `${ns}:{cluster}:workers`,
    workerInfo: (workerId) => `${ns}:{cluster}:worker:${workerId}`,
    workerMetrics: (workerId) => `${ns}:{cluster}:metrics:${workerId}`,
    replies: (clientId) => `${ns}:{reply-${clientId}}:stream`,
    deadLetters: () => `${ns}:{dlq}:stream`,
    orderView: (orderId) => `${ns}:order:{${orderId}}`,
    customerOrders: (customerId) => `${ns}:customer:{${customerId}}:last_orders`,
    timersPrefix: () => `${ns}:{timers}`,
    socketIoPrefix: () => `${ns}:socket.io`,
    pattern: () => `${ns}:*`,
  };
}
