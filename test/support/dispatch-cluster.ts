import { deleteNamespace } from '../../actors/delete-namespace.ts';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { decode } from 'notepack.io';
import { allShards, shardOf, type ActorAddress } from '../../actors/address.ts';
import { createActorClient, type ActorClient } from '../../actors/client.ts';
import { runtimeKeys } from '../../actors/keys.ts';
import { leaseOwners } from '../../actors/lease.ts';
import { redisActorStore } from '../../actors/redis-store.ts';
import type { CellState } from '../../machines/cell/cell.ts';
import type { GeoPoint } from '../../machines/dispatch/geo.ts';
import type { DriverMessage, DriverReply } from '../../machines/dispatch/protocol.ts';
import type { DispatchState } from '../../machines/dispatch/state.ts';
import type { DriverState } from '../../machines/driver/state.ts';
import type { DispatchSettings } from '../../src/dispatch/config.ts';
import { cellAddress, dispatchAddress, driverAddress, orderAddress } from '../../src/dispatch/effects.ts';
import { forkWorker } from '../../src/processes/fork.ts';
import { systemClock } from '../../src/shared/clock.ts';
import { TEST_REDIS_URL, waitFor } from './cluster.ts';
import type { RecordedOrder, RecordedOrderMessage } from './dispatch-order-actor.ts';

const workerEntry = fileURLToPath(new URL('./dispatch-worker-process.ts', import.meta.url));
const logDir = fileURLToPath(new URL('../../test-results/logs/', import.meta.url));

/** One Socket.IO push to a `/driver` room, as a gateway would receive it from the workers' emitter. */
export interface DriverPushSeen {
  readonly driverId: string;
  readonly event: string;
  readonly data: Record<string, unknown>;
  /** When this process received it (performance.now(), ms). */
  readonly receivedAt: number;
}

/**
 * Listens to what the workers push to `/driver` rooms, by subscribing to the Socket.IO Redis channels the
 * emitter publishes on (the same messages the gateways' Redis adapter receives), decoded as the adapter does.
 */
export async function listenDriverPushes(redisUrl: string, namespace: string) {
  const keys = runtimeKeys(namespace);
  const sub = new Redis(redisUrl);
  const seen: DriverPushSeen[] = [];
  const listeners = new Set<(push: DriverPushSeen) => void>();
  const prefix = `${keys.socketIoPrefix()}#/driver#`;
  sub.on('pmessageBuffer', (_pattern: Buffer, _channel: Buffer, message: Buffer) => {
    const [, packet, opts] = decode(message) as [string, { data: [string, Record<string, unknown>] }, { rooms: string[] }];
    const receivedAt = performance.now();
    for (const room of opts.rooms) {
      if (!room.startsWith('driver:')) continue;
      const push = { driverId: room.slice('driver:'.length), event: packet.data[0], data: packet.data[1], receivedAt };
      seen.push(push);
      for (const listener of listeners) listener(push);
    }
  });
  await sub.psubscribe(`${prefix}*`);
  return {
    seen,
    of: (driverId: string, event?: string) => seen.filter((p) => p.driverId === driverId && (event === undefined || p.event === event)),
    /** Calls `listener` for every later push; returns the unsubscribe. */
    on(listener: (push: DriverPushSeen) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => sub.quit().then(() => undefined),
  };
}

export type DriverPushes = Awaited<ReturnType<typeof listenDriverPushes>>;

export interface DispatchClusterOptions {
  shards?: number;
  leaseTtlMs?: number;
  heartbeatMs?: number;
  settings?: Partial<DispatchSettings>;
}

/**
 * Real worker processes hosting the dispatch kinds on the real Redis, in a namespace of their own (see
 * test/support/cluster.ts for the runtime's version), with helpers to play driver apps and orders.
 */
export function dispatchCluster(options: DispatchClusterOptions = {}) {
  const namespace = `td-${randomUUID().slice(0, 8)}`;
  const shards = options.shards ?? 8;
  const keys = runtimeKeys(namespace);
  const redis = new Redis(TEST_REDIS_URL, { enableAutoPipelining: true });
  const client: ActorClient = createActorClient({ redis, keys, shardCount: shards, clock: systemClock, askTimeoutMs: 10_000 });
  const store = redisActorStore(redis, keys);
  const children = new Map<string, ChildProcess>();
  let pushes: DriverPushes | null = null;
  mkdirSync(logDir, { recursive: true });

  const state = async <S>(address: ActorAddress): Promise<S | undefined> => (await store.load(shardOf(address, shards), address))?.state as S | undefined;

  const cluster = {
    namespace,
    shards,
    keys,
    redis,
    client,
    async spawnWorker() {
      const { child, workerId, exited } = await forkWorker(
        workerEntry,
        {
          ...process.env,
          REDIS_URL: TEST_REDIS_URL,
          NAMESPACE: namespace,
          SHARDS: String(shards),
          LEASE_TTL_MS: String(options.leaseTtlMs ?? 3_000),
          HEARTBEAT_MS: String(options.heartbeatMs ?? 250),
          LOG_LEVEL: process.env.TEST_WORKER_LOG_LEVEL ?? 'warn',
          DISPATCH_SETTINGS: JSON.stringify(options.settings ?? {}),
        },
        { stdio: 'pipe' },
      );
      children.set(workerId, child);
      const log = createWriteStream(`${logDir}${namespace}-${child.pid}.log`);
      child.stdout?.pipe(log);
      child.stderr?.pipe(log);
      return {
        workerId,
        async kill() {
          child.kill('SIGKILL');
          await exited;
          children.delete(workerId);
        },
      };
    },
    /** Starts `n` workers and waits until every shard is owned and the shards are spread evenly (no rebalancing). */
    async start(n = 2) {
      const workers = await Promise.all(Array.from({ length: n }, () => cluster.spawnWorker()));
      await waitFor(
        async () => {
          const owners = await leaseOwners(redis, keys, allShards(shards));
          if (owners.includes(null)) return false;
          return workers.every((w) => owners.filter((o) => o === w.workerId).length >= Math.floor(shards / n));
        },
        20_000,
        'every shard owned, evenly',
      );
      pushes = await listenDriverPushes(TEST_REDIS_URL, namespace);
      return workers;
    },
    /** Lease holder of the shard an address lives on. */
    async ownerOf(address: ActorAddress): Promise<string | null> {
      return (await leaseOwners(redis, keys, allShards(shards)))[shardOf(address, shards)] ?? null;
    },
    get pushes(): DriverPushes {
      if (!pushes) throw new Error('start() the cluster first');
      return pushes;
    },
    /** What the driver app would do: ask its driver actor; the reply is the socket ack. */
    async ask(driverId: string, body: DriverMessage): Promise<DriverReply> {
      const answer = await client.ask(driverAddress(driverId), body);
      if (!answer.ok) throw new Error(`ask ${driverId} ${body.type}: ${answer.error.code} ${answer.error.detail}`);
      return answer.value as DriverReply;
    },
    async online(driverId: string, at: GeoPoint, extra: { heading?: number; speedKph?: number } = {}): Promise<DriverReply> {
      await cluster.ask(driverId, { type: 'SetStatus', status: 'ONLINE' });
      return cluster.ping(driverId, at, extra);
    },
    async ping(driverId: string, at: GeoPoint, extra: { heading?: number; speedKph?: number } = {}): Promise<DriverReply> {
      const reply = await cluster.ask(driverId, { type: 'Ping', lat: at.lat, lng: at.lng, ...extra, at: new Date().toISOString() });
      if (!reply.ok) throw new Error(`ping ${driverId} refused: ${reply.error.detail}`);
      return reply;
    },
    /** Plays the order actor: it sends FindDriver to `dispatch:<orderId>`. */
    async startOrder(orderId: string, pickup: GeoPoint, dropoff: GeoPoint = pickup, attempt = 1): Promise<void> {
      const body: RecordedOrderMessage = { type: 'Start', restaurantId: `REST-${orderId}`, attempt, pickup, dropoff };
      await client.tell(orderAddress(orderId), body);
    },
    async cancelOrder(orderId: string): Promise<void> {
      await client.tell(orderAddress(orderId), { type: 'Cancel' } satisfies RecordedOrderMessage);
    },
    order: (orderId: string) => state<RecordedOrder>(orderAddress(orderId)),
    /** Waits for the order's first outcome. */
    outcome: (orderId: string, timeoutMs = 20_000) =>
      waitFor(
        async () => {
          const o = await state<RecordedOrder>(orderAddress(orderId));
          return o && (o.assigned.length > 0 || o.failed.length > 0) ? o : null;
        },
        timeoutMs,
        `an outcome for ${orderId}`,
      ),
    driver: (driverId: string) => state<DriverState>(driverAddress(driverId)),
    cell: (cell: string) => state<CellState>(cellAddress(cell)),
    dispatch: (orderId: string) => state<DispatchState>(dispatchAddress(orderId)),
    /** Waits for the n-th (1-based) push of `event` to a driver. */
    nthPush: (driverId: string, event: string, n = 1, timeoutMs = 15_000) =>
      waitFor(async () => cluster.pushes.of(driverId, event)[n - 1], timeoutMs, `push #${n} "${event}" to ${driverId}`),
    async close() {
      for (const child of children.values()) child.kill('SIGKILL');
      await pushes?.close();
      await client.close();
      await deleteNamespace(redis, keys);
      redis.disconnect();
    },
  };
  return cluster;
}

export type DispatchCluster = ReturnType<typeof dispatchCluster>;
