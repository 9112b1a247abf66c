import { randomUUID } from 'node:crypto';
import { createLogger } from '../../src/observability/logger.ts';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { pgEventStore } from '../../src/orders/event-store/index.ts';
import { startLocalSystem } from './local-system.ts';
import { Redis } from 'ioredis';
import { cpuPer, cpuSample } from './cpu.ts';
import { jsonClient } from './http-client.ts';
import { paced } from './pacing.ts';
import { percentile, printTable, progress, round } from './stats.ts';

/**
 * `npm run bench -- orders`: (1) orders/s through the REST API — each order is placed (cash) and accepted by its
 * restaurant, two asks of the order actor and two event appends — with p50/p99 per request and per order;
 * (2) event appends/s into Postgres through the event store (group commit, outbox rows, causation rows), side by side
 * in the same run with a raw batched INSERT of the same rows on the same database (the ceiling).
 * The closed loop of (1) measures capacity: each client waits for its order before the next, so its latencies are
 * the clients' queue (64 clients at 150 orders/s wait about 64 / 150 s per order whatever the system does). (1b)
 * offers orders at a fixed rate instead (an open loop, BENCH_RATE per second for BENCH_PACED_SECONDS), which is the
 * latency a user sees at that load.
 * Environment: BENCH_ORDERS (3 000), BENCH_CLIENTS (64 concurrent clients), BENCH_RATE (100 orders/s),
 * BENCH_PACED_SECONDS (10; 0 skips it), BENCH_APPENDS (20 000 commands of 2 events each), BENCH_APPEND_CALLERS
 * (500 concurrent appenders).
 */
export async function runOrdersBench(): Promise<void> {
  const orders = Number(process.env.BENCH_ORDERS ?? 3_000);
  const clients = Number(process.env.BENCH_CLIENTS ?? 64);
  const appends = Number(process.env.BENCH_APPENDS ?? 20_000);
  const callers = Number(process.env.BENCH_APPEND_CALLERS ?? 500);
  const rate = Number(process.env.BENCH_RATE ?? 100);
  const pacedSeconds = Number(process.env.BENCH_PACED_SECONDS ?? 10);

  progress('starting the system: fresh database, 2 workers, API…');
  const system = await startLocalSystem({ workers: 2 });
  try {
    const api = apiClient(system.baseUrl, clients);
    const admin = await api.token({ role: 'admin' });
    const restaurant = (await api.post('/v1/restaurants', admin, { name: 'Bench Pizza', location: { lat: 37.77, lng: -122.41 } })).body as { restaurantId: string };
    await api.post(`/v1/restaurants/${restaurant.restaurantId}/menu/items`, admin, { itemId: 'PIZZA-1', name: 'Margherita', priceCents: 1250, currency: 'USD' });
    const owner = await api.token({ role: 'restaurant', restaurantId: restaurant.restaurantId });
    const customers = await Promise.all(Array.from({ length: clients }, (_, i) => api.token({ role: 'customer', customerId: `CUST-B${i}` })));

    // Warm-up, not measured: JIT, connection pools and actor activation paths, two orders per client at once.
    progress('warm-up…');
    for (let round = 0; round < 2; round++) {
      await Promise.all(customers.map((token, i) => placeAndAccept(api, token, `CUST-B${i}`, restaurant.restaurantId, owner)));
    }

    const placeMs: number[] = [];
    const acceptMs: number[] = [];
    const orderMs: number[] = [];
    let done = 0;
    let failed = 0;
    const cpuRedis = new Redis(system.redisUrl);
    const workerPids = system.workers.flatMap((w) => (w.child.pid ? [w.child.pid] : []));
    const cpuFrom = await cpuSample(workerPids, cpuRedis);
    const started = performance.now();
    await Promise.all(
      customers.map(async (token, i) => {
        while (done + failed < orders) {
          const r = await placeAndAccept(api, token, `CUST-B${i}`, restaurant.restaurantId, owner);
          if (!r) {
            failed++;
            continue;
          }
          placeMs.push(r.placeMs);
          acceptMs.push(r.acceptMs);
          orderMs.push(r.placeMs + r.acceptMs);
          if (++done % 250 === 0) progress(`orders through REST: ${done}/${orders}`);
        }
      }),
    );
    const restSeconds = (performance.now() - started) / 1000;
    const cpu = cpuPer(cpuFrom, await cpuSample(workerPids, cpuRedis), done);
    cpuRedis.disconnect();
    const ordersPerSec = done / restSeconds;
    progress(`orders through REST: ${Math.round(ordersPerSec)} orders/s\n`);

    const open = pacedSeconds > 0 ? await pacedOrders(api, customers, restaurant.restaurantId, owner, rate, pacedSeconds) : null;
    api.close();
    const pool = createPool(system.databaseUrl, { max: 10 });
    progress(`event store: ${appends} appends from ${callers} callers…`);
    const store = await appendThroughStore(pool, appends, callers);
    progress(`raw batched INSERT of the same rows…`);
    const ceiling = await rawBatchedInsert(pool, appends);
    await pool.end();
    progress('done\n');

    console.log('');
    printTable([
      { path: 'REST place (cash) + accept, per order', 'per s': Math.round(ordersPerSec), 'p50 ms': round(percentile(orderMs, 50)), 'p99 ms': round(percentile(orderMs, 99)) },
      { path: '  POST /v1/orders', 'per s': Math.round(ordersPerSec), 'p50 ms': round(percentile(placeMs, 50)), 'p99 ms': round(percentile(placeMs, 99)) },
      { path: '  POST …/orders/{id} ACCEPT', 'per s': Math.round(ordersPerSec), 'p50 ms': round(percentile(acceptMs, 50)), 'p99 ms': round(percentile(acceptMs, 99)) },
      ...(open
        ? [
            {
              path: `REST place + accept, offered ${rate}/s for ${pacedSeconds} s (open loop)`,
              'per s': Math.round(open.ordersPerSec),
              'p50 ms': round(percentile(open.orderMs, 50)),
              'p99 ms': round(percentile(open.orderMs, 99)),
            },
          ]
        : []),
      { path: 'event store appends (events/s)', 'per s': Math.round(store.eventsPerSec), 'p50 ms': round(percentile(store.latencies, 50)), 'p99 ms': round(percentile(store.latencies, 99)) },
      { path: 'raw batched INSERT, same rows (events/s)', 'per s': Math.round(ceiling.eventsPerSec), 'p50 ms': '', 'p99 ms': '' },
    ]);
    console.log(
      `CPU per order, ms: load generator and API (one process) ${round(cpu.loadAndApi)}, workers ${round(cpu.workers)}, Redis ${round(cpu.redis)}`,
    );
    console.log(`${done} orders by ${clients} clients, ${failed} failed; ${appends} appends of 2 events by ${callers} callers`);
    console.log(
      JSON.stringify({
        bench: 'orders',
        orders: done,
        failed,
        clients,
        ordersPerSec: Math.round(ordersPerSec),
        p50Ms: round(percentile(orderMs, 50)),
        p99Ms: round(percentile(orderMs, 99)),
        placeP99Ms: round(percentile(placeMs, 99)),
        acceptP99Ms: round(percentile(acceptMs, 99)),
        cpuMsPerOrder: { loadAndApi: round(cpu.loadAndApi), workers: round(cpu.workers), redis: round(cpu.redis) },
        ...(open
          ? { pacedRate: rate, pacedOrdersPerSec: round(open.ordersPerSec, 1), pacedFailed: open.failed, pacedP50Ms: round(percentile(open.orderMs, 50)), pacedP99Ms: round(percentile(open.orderMs, 99)) }
          : {}),
        appendsPerSec: Math.round(store.eventsPerSec),
        appendP99Ms: round(percentile(store.latencies, 99)),
        ceilingAppendsPerSec: Math.round(ceiling.eventsPerSec),
        ratio: round(store.eventsPerSec / ceiling.eventsPerSec, 3),
      }),
    );
  } finally {
    await system.stop();
  }
}

/** Orders offered at `rate` per second, each placed and accepted whatever the ones before it are doing. */
async function pacedOrders(
  api: ReturnType<typeof apiClient>,
  customers: readonly string[],
  restaurantId: string,
  owner: string,
  rate: number,
  seconds: number,
): Promise<{ ordersPerSec: number; orderMs: number[]; failed: number }> {
  const orderMs: number[] = [];
  const inFlight: Promise<void>[] = [];
  let failed = 0;
  const total = Math.round(rate * seconds);
  const started = performance.now();
  await paced(
    rate,
    total,
    (i) => {
      const c = i % customers.length;
      inFlight.push(
        placeAndAccept(api, customers[c] as string, `CUST-B${c}`, restaurantId, owner).then((r) => {
          if (r) orderMs.push(r.placeMs + r.acceptMs);
          else failed++;
        }),
      );
    },
    (sent) => `orders offered at ${rate}/s: ${sent}/${total}, done ${orderMs.length}`,
  );
  await Promise.all(inFlight);
  progress(`orders offered at ${rate}/s: done\n`);
  return { ordersPerSec: orderMs.length / ((performance.now() - started) / 1000), orderMs, failed };
}

async function placeAndAccept(
  api: ReturnType<typeof apiClient>,
  token: string,
  customerId: string,
  restaurantId: string,
  owner: string,
): Promise<{ placeMs: number; acceptMs: number } | null> {
  const t0 = performance.now();
  const placed = await api.post(
    '/v1/orders',
    token,
    {
      customerId,
      restaurantId,
      items: [{ itemId: 'PIZZA-1', quantity: 1 }],
      deliveryAddress: { street: '1 Main St', city: 'Anytown', state: 'CA', zipCode: '12345', location: { lat: 37.78, lng: -122.42 } },
      paymentMethod: 'CASH_ON_DELIVERY',
    },
    { 'Idempotency-Key': randomUUID() },
  );
  const t1 = performance.now();
  if (placed.status !== 201) return null;
  const { orderId } = placed.body as { orderId: string };
  const accepted = await api.post(`/v1/restaurants/${restaurantId}/orders/${orderId}`, owner, { action: 'ACCEPT', estimatedReadyTime: new Date(Date.now() + 1_200_000).toISOString() });
  const t2 = performance.now();
  return accepted.status === 200 ? { placeMs: t1 - t0, acceptMs: t2 - t1 } : null;
}

function apiClient(baseUrl: string, connections: number) {
  const http = jsonClient(baseUrl, { connections });
  return {
    ...http,
    async token(body: Record<string, string>): Promise<string> {
      return ((await http.post('/v1/auth/dev-tokens', null, body)).body as { token: string }).token;
    },
  };
}

/** Two events per command, shaped like a placed and confirmed order. */
function commandEvents(streamId: string) {
  const at = new Date().toISOString();
  return [
    {
      eventId: randomUUID(),
      type: 'OrderPlaced',
      occurredAt: at,
      data: { orderId: streamId, customerId: 'CUST-1', restaurantId: 'REST-1', items: [{ itemId: 'PIZZA-1', name: 'Margherita', quantity: 1, unitPriceCents: 1250 }], totalCents: 1250, currency: 'USD' },
    },
    { eventId: randomUUID(), type: 'OrderConfirmed', occurredAt: at, data: { paymentMethod: 'CASH_ON_DELIVERY' } },
  ];
}

async function appendThroughStore(pool: Pool, total: number, callers: number): Promise<{ eventsPerSec: number; latencies: number[] }> {
  const store = pgEventStore(pool, { log: createLogger({ name: 'bench', level: 'warn' }) });
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < total) {
        const streamId = `BENCH-S-${next++}`;
        const t0 = performance.now();
        const r = await store.append(streamId, { expectedVersion: 0, causationId: randomUUID(), events: commandEvents(streamId) });
        if (!r.ok) throw new Error(`append failed: ${r.error.code}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { eventsPerSec: (total * 2) / ((performance.now() - started) / 1000), latencies };
}

/** The ceiling: the same rows (events, outbox, commands) as multi-row INSERTs, 500 commands per transaction. */
async function rawBatchedInsert(pool: Pool, total: number): Promise<{ eventsPerSec: number }> {
  const batch = 500;
  const started = performance.now();
  for (let from = 0; from < total; from += batch) {
    const streams = Array.from({ length: Math.min(batch, total - from) }, (_, i) => `BENCH-R-${from + i}`);
    const rows = streams.flatMap((s) => commandEvents(s).map((e, i) => ({ s, seq: i + 1, e, causation: `${s}-c` })));
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO order_events (order_id, seq, event_id, event_type, data, causation_id, occurred_at)
         SELECT * FROM unnest($1::text[], $2::int[], $3::uuid[], $4::text[], $5::jsonb[], $6::text[], $7::timestamptz[])`,
        [rows.map((r) => r.s), rows.map((r) => r.seq), rows.map((r) => r.e.eventId), rows.map((r) => r.e.type), rows.map((r) => JSON.stringify(r.e.data)), rows.map((r) => r.causation), rows.map((r) => r.e.occurredAt)],
      );
      await client.query(
        `INSERT INTO outbox (event_id, topic, message_key, payload, headers)
         SELECT e, 'order_events', k, p, h FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::jsonb[]) AS t(e, k, p, h)`,
        [
          rows.map((r) => r.e.eventId),
          rows.map((r) => r.s),
          rows.map((r) => JSON.stringify({ eventId: r.e.eventId, eventType: r.e.type, orderId: r.s, seq: r.seq, occurredAt: r.e.occurredAt, data: r.e.data })),
          rows.map((r) => JSON.stringify({ eventType: r.e.type })),
        ],
      );
      await client.query(`INSERT INTO order_commands (order_id, causation_id, version) SELECT * FROM unnest($1::text[], $2::text[], $3::int[])`, [
        streams,
        streams.map((s) => `${s}-c`),
        streams.map(() => 2),
      ]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  }
  return { eventsPerSec: (total * 2) / ((performance.now() - started) / 1000) };
}
