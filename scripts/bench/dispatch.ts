import { deleteNamespace } from '../../actors/delete-namespace.ts';
import { seededRandom } from '../../src/shared/seeded-random.ts';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { shardOf } from '../../actors/address.ts';
import { createActorClient } from '../../actors/client.ts';
import { runtimeKeys } from '../../actors/keys.ts';
import type { GeoPoint } from '../../machines/dispatch/geo.ts';
import type { DriverReply, FindDriver } from '../../machines/dispatch/protocol.ts';
import type { DispatchSettings } from '../../src/dispatch/config.ts';
import { dispatchAddress, driverAddress, orderAddress } from '../../src/dispatch/effects.ts';
import { forkWorker, type ForkedWorker } from '../../src/processes/fork.ts';
import { systemClock } from '../../src/shared/clock.ts';
import { listenDriverPushes } from '../../test/support/dispatch-cluster.ts';
import { cpuPer, cpuSample, type CpuSample } from './cpu.ts';
import { paced } from './pacing.ts';
import { percentile, printTable, progress, round } from './stats.ts';
import { waitForBalancedOwnership } from './ownership.ts';

/**
 * `npm run bench -- dispatch`: orders dispatched per second, and the latency from "restaurant accepted" (the
 * FindDriver message sent to `dispatch:<orderId>`) to "offer sent" (the `offer` push reaching the Socket.IO Redis
 * channel a gateway listens on), through 2 worker processes hosting the driver, cell and dispatch kinds (and the
 * test stand-in for the order kind, which receives AssignDriver).
 *
 * 5 000 simulated drivers spread over a 25 × 22 km city go ONLINE and ping once (asks, as the gateway would); they
 * accept every offer at once (an `ask` AcceptOffer as soon as the push arrives) and finish the trip a second later
 * (TripEnded), so they keep coming back. Orders arrive at a fixed rate at random restaurants of the city; the bench
 * waits until every order is assigned. The first BENCH_WARMUP_SECONDS of orders (sent at the same rate, right before the
 * measured ones) are not counted: they pay for the JIT of the dispatch path and the first activations (their p99 is
 * reported on its own). Everything is real: Redis Streams between actors, state committed per
 * message batch, BullMQ timers for offer and query timeouts, pushes through the Socket.IO emitter.
 *
 * Environment: REDIS_URL, BENCH_DRIVERS (5 000), BENCH_RATE (orders/s, 200: the target), BENCH_SECONDS (15),
 * BENCH_WARMUP_SECONDS (3).
 */
export async function runDispatchBench(): Promise<void> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const driverCount = Number(process.env.BENCH_DRIVERS ?? 5_000);
  const rate = Number(process.env.BENCH_RATE ?? 200);
  const seconds = Number(process.env.BENCH_SECONDS ?? 15);
  const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
  const tripMs = 1_000;
  // Benchmarks on a shared 2-core machine move with whatever else runs: the load average goes into the report.
  const loadAtStart = loadavg()[0] ?? 0;

  const namespace = `bench-dispatch-${randomUUID().slice(0, 8)}`;
  const shards = 64;
  const keys = runtimeKeys(namespace);
  const redis = new Redis(redisUrl, { enableAutoPipelining: true });
  const client = createActorClient({ redis, keys, shardCount: shards, clock: systemClock, askTimeoutMs: 30_000 });
  // Drivers ping once and then only answer offers: they must not fall silent during the run.
  const overrides: Partial<DispatchSettings> = { silenceMs: 3_600_000, driverStateTtlMs: 3_600_000, cellStateTtlMs: 3_600_000 };
  const entry = fileURLToPath(new URL('../../test/support/dispatch-worker-process.ts', import.meta.url));
  const env = { ...process.env, REDIS_URL: redisUrl, NAMESPACE: namespace, SHARDS: String(shards), LOG_LEVEL: 'warn', DISPATCH_SETTINGS: JSON.stringify(overrides) };
  const workers: ForkedWorker[] = [];
  /** Drivers on a trip: the timer that ends it (TripEnded). */
  const trips = new Set<NodeJS.Timeout>();
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  let pushes: Awaited<ReturnType<typeof listenDriverPushes>> | null = null;

  const rnd = seededRandom(7);
  const city = { lat: 37.76, lng: -122.44, dLat: 0.1, dLng: 0.14 };
  const somewhere = (): GeoPoint => ({ lat: city.lat + (rnd() * 2 - 1) * city.dLat, lng: city.lng + (rnd() * 2 - 1) * city.dLng });

  try {
    progress('starting 2 worker processes…');
    workers.push(...(await Promise.all([forkWorker(entry, env), forkWorker(entry, env)])));
    await waitForBalancedOwnership(redis, keys, shards, workers.map((w) => w.workerId));

    const ask = async (driverId: string, body: unknown): Promise<DriverReply> => {
      const answer = await client.ask(driverAddress(driverId), body);
      if (!answer.ok) throw new Error(`${driverId}: ${answer.error.code} ${answer.error.detail}`);
      return answer.value as DriverReply;
    };
    const driverIds = Array.from({ length: driverCount }, (_, i) => `DRV-${i}`);
    for (let i = 0; i < driverIds.length; i += 250) {
      await Promise.all(
        driverIds.slice(i, i + 250).map(async (id) => {
          await ask(id, { type: 'SetStatus', status: 'ONLINE' });
          const at = somewhere();
          await ask(id, { type: 'Ping', lat: at.lat, lng: at.lng, at: new Date().toISOString() });
        }),
      );
      progress(`drivers online: ${Math.min(i + 250, driverCount)}/${driverCount}`);
    }
    progress('drivers online: done\n');

    // The driver apps: accept every offer at once, end the trip a second after the assignment.
    const sentAt = new Map<string, number>();
    const offerLatencies: number[] = [];
    const warmupLatencies: number[] = [];
    const offered = new Set<string>();
    const assigned = new Set<string>();
    let measuredAssigned = 0;
    let lastAssignedAt = 0;
    let acceptFailures = 0;
    const answering: Promise<unknown>[] = [];
    pushes = await listenDriverPushes(redisUrl, namespace);
    pushes.on((push) => {
      const orderId = push.data.orderId as string;
      if (push.event === 'offer') {
        const t0 = sentAt.get(orderId);
        if (t0 !== undefined && !offered.has(orderId)) {
          offered.add(orderId);
          (measured.has(orderId) ? offerLatencies : warmupLatencies).push(push.receivedAt - t0);
        }
        answering.push(
          ask(push.driverId, { type: 'AcceptOffer', offerId: push.data.offerId }).then((reply) => {
            if (!reply.ok) acceptFailures++;
          }),
        );
      } else if (push.event === 'assignment') {
        assigned.add(orderId);
        if (measured.has(orderId)) measuredAssigned++;
        lastAssignedAt = performance.now();
        const trip = setTimeout(() => {
          trips.delete(trip);
          void client.tell(driverAddress(push.driverId), { type: 'TripEnded', orderId });
        }, tripMs);
        trips.add(trip);
      }
    });

    const warmup = Math.round(rate * warmupSeconds);
    const measuredCount = Math.round(rate * seconds);
    const total = warmup + measuredCount;
    const orderIds = Array.from({ length: total }, (_, i) => (i < warmup ? `WARM-${i}` : `ORD-${i - warmup}`));
    const measured = new Set(orderIds.slice(warmup));
    const workerPids = () => workers.flatMap((w) => (w.child.pid ? [w.child.pid] : []));
    let cpuFrom: CpuSample | null = null;
    loopDelay.enable();
    let started = performance.now();
    const status = (sent: number) =>
      `orders at ${rate}/s${sent < warmup ? ' (warm-up)' : ''}: sent ${sent}/${total}, offered ${offered.size}, assigned ${assigned.size}`;
    await paced(
      rate,
      total,
      (i) => {
        const orderId = orderIds[i] as string;
        if (i === warmup) {
          started = performance.now();
          loopDelay.reset();
          void cpuSample(workerPids(), redis).then((sample) => (cpuFrom = sample));
        }
        const pickup = somewhere();
        const dropoff = somewhere();
        const body: FindDriver = { type: 'FindDriver', orderId, restaurantId: `REST-${i % 500}`, attempt: 1, pickup, dropoff, requestedAt: new Date().toISOString() };
        sentAt.set(orderId, performance.now());
        void client.tell(dispatchAddress(orderId), body, { from: orderAddress(orderId) });
      },
      status,
    );
    const deadline = performance.now() + 60_000;
    while (assigned.size < total && performance.now() < deadline) {
      await sleep(50);
      progress(status(total));
    }
    const elapsedS = ((lastAssignedAt || performance.now()) - started) / 1000;
    const cpu = cpuFrom ? cpuPer(cpuFrom, await cpuSample(workerPids(), redis), measuredCount) : null;
    await Promise.all(answering);
    progress(`orders at ${rate}/s: done\n`);

    // Every order's outcome, as the order stand-ins recorded it.
    const outcomes = await Promise.all(
      orderIds.map(async (id) => {
        const raw = await redis.get(keys.actor(shardOf(orderAddress(id), shards), orderAddress(id)));
        const state = raw ? (JSON.parse(raw) as { state: { assigned: unknown[]; failed: { reason: string }[] } }).state : null;
        return state === null ? 'none' : state.assigned.length === 1 && state.failed.length === 0 ? 'assigned' : state.failed.length > 0 ? 'failed' : 'none';
      }),
    );
    const failed = outcomes.filter((o) => o === 'failed').length;
    const ordersPerSec = measuredAssigned / elapsedS;

    console.log('');
    printTable([
      {
        path: `dispatch, 2 workers, ${driverCount} drivers, offered ${rate} orders/s for ${seconds} s (after ${warmupSeconds} s of warm-up)`,
        'orders/s': round(ordersPerSec, 1),
        assigned: measuredAssigned,
        failed,
        'p50 offer ms': round(percentile(offerLatencies, 50)),
        'p99 offer ms': round(percentile(offerLatencies, 99)),
        'max offer ms': round(Math.max(...offerLatencies)),
      },
    ]);
    console.log(
      `orders: ${measuredCount} measured, ${warmup} warm-up (offer p99 ${round(percentile(warmupLatencies, 99))} ms); offers pushed to drivers: ${offered.size} orders; accepts refused: ${acceptFailures}; bench process loop delay p99 ` +
        `${round(loopDelay.percentile(99) / 1e6)} ms; machine load average (1 min) ${round(loadAtStart, 1)} at start, ${round(loadavg()[0] ?? 0, 1)} at the end (2 cores)`,
    );
    if (cpu) console.log(`CPU per measured order, ms: workers ${round(cpu.workers)}, Redis ${round(cpu.redis)}, this process (drivers and order stand-ins) ${round(cpu.loadAndApi)}`);
    console.log(
      JSON.stringify({
        bench: 'dispatch',
        workers: 2,
        drivers: driverCount,
        offeredOrdersPerSec: rate,
        orders: measuredCount,
        warmupSeconds,
        ordersPerSec: round(ordersPerSec, 1),
        assigned: measuredAssigned,
        failed,
        p50OfferMs: round(percentile(offerLatencies, 50)),
        p99OfferMs: round(percentile(offerLatencies, 99)),
        maxOfferMs: round(Math.max(...offerLatencies)),
        warmupP99OfferMs: round(percentile(warmupLatencies, 99)),
        loadAvgAtStart: round(loadAtStart, 1),
        ...(cpu ? { cpuMsPerOrder: { workers: round(cpu.workers), redis: round(cpu.redis), benchProcess: round(cpu.loadAndApi) } } : {}),
      }),
    );
  } finally {
    // Trips still running would end after the namespace is deleted, and their messages would create it again.
    for (const trip of trips) clearTimeout(trip);
    loopDelay.disable();
    await pushes?.close();
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await client.close();
    await deleteNamespace(redis, keys);
    redis.disconnect();
  }
}



const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
