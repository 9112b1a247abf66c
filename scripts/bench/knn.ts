import { deleteNamespace } from '../../actors/delete-namespace.ts';
import { seededRandom } from '../../src/shared/seeded-random.ts';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createActorClient, type ActorClient } from '../../actors/client.ts';
import { runtimeKeys } from '../../actors/keys.ts';
import { decideCell, initialCellState, nearest, type CellState } from '../../machines/cell/cell.ts';
import { cellOf, distanceKm, type GeoPoint } from '../../machines/dispatch/geo.ts';
import type { Candidates, DriverEntered, FindCandidates } from '../../machines/dispatch/protocol.ts';
import type { ScoreParams } from '../../machines/dispatch/score.ts';
import { knnStep, receive, revisit, startRound, widen, type SearchRound } from '../../machines/dispatch/search.ts';
import { dispatchSettings, type DispatchSettings } from '../../src/dispatch/config.ts';
import { cellAddress } from '../../src/dispatch/effects.ts';
import { forkWorker, type ForkedWorker } from '../../src/processes/fork.ts';
import { systemClock } from '../../src/shared/clock.ts';
import { fastest, percentile, printTable, progress, round } from './stats.ts';
import { waitForBalancedOwnership } from './ownership.ts';

/**
 * `npm run bench -- knn`: k-nearest (k = 10) queries/s over 100k drivers spread over a 25 × 22 km city, three ways,
 * in one run, over the same drivers in the same Redis:
 *
 * 1. the cell index in process — what a cell actor does for a query, without the transport: the cells' states are
 *    built with the cell decider from DriverEntered messages, and a query runs the dispatcher's ring-by-ring waves
 *    (pickup cell, then rings until the 10th best is provably the 10th nearest) calling the cells' query function
 *    directly. This is the "answered from memory" number (`queriesPerSec`).
 * 2. the cell actors through the runtime — what a dispatcher sees end to end: the same waves as `ask`s to the
 *    `cell:<h3>` actors of 2 worker processes (Redis Streams in and out, each cell's state persisted per batch).
 *    (`askQueriesPerSec`, with p50/p99 per query.)
 * 3. Redis GEOSEARCH over a GEOADD of the same drivers: `FROMLONLAT … BYRADIUS r km ASC COUNT 10`, widening r ×2
 *    until 10 come back (so it is exact too), from the fastest of three starting radii (`geosearchQueriesPerSec`),
 *    64 queries in flight on one pipelined connection.
 *
 * 1 and 3 run in alternating rounds (BENCH_ROUNDS), and the best round of each is compared (`ratio`): on this shared
 * VM the same code moves by ±30 % from one run to the next, and alternating lets both see the same machine.
 *
 * Environment: REDIS_URL, BENCH_DRIVERS (100 000), BENCH_SECONDS (5 per measured phase), BENCH_ROUNDS (3).
 */
export async function runKnnBench(): Promise<void> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const driverCount = Number(process.env.BENCH_DRIVERS ?? 100_000);
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const k = 10;
  const maxRings = 8;
  // Benchmarks on a shared 2-core machine move with whatever else runs: the load average goes into the report.
  const loadAtStart = loadavg()[0] ?? 0;
  // Loaded once, queried for a minute or two: nobody may fall silent meanwhile.
  const overrides: Partial<DispatchSettings> = { silenceMs: 3_600_000, cellStateTtlMs: 3_600_000 };
  const settings = dispatchSettings(overrides);
  const resolution = settings.resolution;
  const params: ScoreParams = { speedKph: settings.travelSpeedKph, loadWeightS: 0, headingWeightS: 0 };

  const rnd = seededRandom(2024);
  const city = { lat: 37.76, lng: -122.44, dLat: 0.1, dLng: 0.14 };
  const somewhere = (): GeoPoint => ({ lat: city.lat + (rnd() * 2 - 1) * city.dLat, lng: city.lng + (rnd() * 2 - 1) * city.dLng });
  const now = Date.now();
  const drivers: DriverEntered[] = Array.from({ length: driverCount }, (_, i) => ({
    type: 'DriverEntered',
    driverId: `DRV-${i}`,
    version: 1,
    ...somewhere(),
    heading: null,
    speedKph: null,
    load: 0,
    seenAt: now,
  }));
  const pickups = Array.from({ length: 20_000 }, () => ({ lat: city.lat + (rnd() * 2 - 1) * city.dLat * 0.9, lng: city.lng + (rnd() * 2 - 1) * city.dLng * 0.9 }));

  // ── 1. in process ──────────────────────────────────────────────────────────────────────────────────────────────
  progress(`building the cell index for ${driverCount} drivers…`);
  const cellConfig = { silenceMs: settings.silenceMs, zoneRefreshMs: null };
  const cells = new Map<string, CellState>();
  for (const d of drivers) {
    const cell = cellOf(d, resolution);
    cells.set(cell, decideCell(cells.get(cell) ?? initialCellState(cell), d, { now, config: cellConfig }).state);
  }
  const perCell = [...cells.values()].map((c) => c.drivers.length);
  const inProcessQuery = (pickup: GeoPoint): { top: string[]; cellsAsked: number } => {
    let search = startRound(pickup, resolution, 1, 1, params, k);
    let cellsAsked = 0;
    for (;;) {
      const query: FindCandidates = { type: 'FindCandidates', queryId: search.queryId, pickup, k, exclude: [], score: params };
      for (const cell of search.pending) {
        cellsAsked++;
        const state = cells.get(cell) ?? initialCellState(cell);
        search = receive(search, { type: 'Candidates', queryId: search.queryId, cell, ...nearest(state, query, now, cellConfig) });
      }
      const step = knnStep(search, k, maxRings);
      if (step.type === 'done') return { top: search.pool.slice(0, k).map((c) => c.driverId), cellsAsked };
      search = step.type === 'widen' ? widen(search, 1, step.ring, step.threshold) : revisit(search, 1, step.cells);
    }
  };
  const runInProcess = (): { perSec: number; cellsPerQuery: number } => {
    let queries = 0;
    let cellsAsked = 0;
    const started = performance.now();
    while (performance.now() - started < seconds * 1000) {
      for (let i = 0; i < 500; i++) cellsAsked += inProcessQuery(pickups[(queries + i) % pickups.length] as GeoPoint).cellsAsked;
      queries += 500;
    }
    return { perSec: queries / ((performance.now() - started) / 1000), cellsPerQuery: cellsAsked / queries };
  };

  // ── 3. GEOSEARCH (before the workers start, on an idle Redis) ──────────────────────────────────────────────────
  const namespace = `bench-knn-${randomUUID().slice(0, 8)}`;
  const keys = runtimeKeys(namespace);
  const redis = new Redis(redisUrl, { enableAutoPipelining: true });
  const geoKey = `${namespace}:{geo}:drivers`;
  const workers: ForkedWorker[] = [];
  let client: ActorClient | null = null;
  try {
    progress(`GEOADD ${driverCount} drivers…`);
    for (let i = 0; i < drivers.length; i += 5_000) {
      const args: (string | number)[] = [];
      for (const d of drivers.slice(i, i + 5_000)) args.push(d.lng, d.lat, d.driverId);
      await redis.geoadd(geoKey, ...args);
    }
    let agree = 0;
    let sameSet = 0;
    let compared = 0;
    let worstGapM = 0;
    const position = new Map(drivers.map((d) => [d.driverId, d]));
    const runGeo = async (startKm: number, compare: boolean): Promise<{ startKm: number; perSec: number; meanCalls: number }> => {
      let done = 0;
      let calls = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (performance.now() - started < seconds * 1000) {
            const pickup = pickups[done++ % pickups.length] as GeoPoint;
            const found = await geoNearest(redis, geoKey, pickup, k, startKm);
            calls += found.calls;
            if (compare && compared < 2_000) {
              compared++;
              const mine = inProcessQuery(pickup).top;
              if (mine.join() === found.ids.join()) agree++;
              const missing = found.ids.filter((id) => !mine.includes(id));
              if (missing.length === 0) sameSet++;
              // How much farther (by our distance) than our 10th is a driver GEOSEARCH returned and we did not: metres.
              const tenth = distanceKm(pickup, position.get(mine.at(-1) ?? '') ?? pickup);
              for (const id of missing) worstGapM = Math.max(worstGapM, (distanceKm(pickup, position.get(id) ?? pickup) - tenth) * 1000);
            }
          }
        }),
      );
      return { startKm, perSec: done / ((performance.now() - started) / 1000), meanCalls: calls / done };
    };
    // GEOSEARCH's best starting radius first (the answers are compared with ours on the way).
    const radiusRuns: Awaited<ReturnType<typeof runGeo>>[] = [];
    for (const startKm of [0.25, 0.5, 1]) {
      progress(`GEOSEARCH from ${startKm} km: ${seconds} s…`);
      radiusRuns.push(await runGeo(startKm, startKm === 0.5));
    }
    const bestRadius = fastest(radiusRuns, (r) => r.perSec).startKm;
    // Then rounds alternating the two, so both see the same machine (this VM's neighbours move either by ±30 % from
    // one run to the next); the best round of each is compared, as the runtime benchmark does.
    const inProcessRuns: ReturnType<typeof runInProcess>[] = [];
    const geoRuns: Awaited<ReturnType<typeof runGeo>>[] = [];
    for (let r = 1; r <= rounds; r++) {
      progress(`round ${r}/${rounds}: cell index in process, ${seconds} s…`);
      inProcessRuns.push(runInProcess());
      progress(`round ${r}/${rounds}: GEOSEARCH from ${bestRadius} km, ${seconds} s…`);
      geoRuns.push(await runGeo(bestRadius, false));
      progress(`round ${r}/${rounds}: in process ${Math.round(inProcessRuns.at(-1)?.perSec ?? 0)}, GEOSEARCH ${Math.round(geoRuns.at(-1)?.perSec ?? 0)} queries/s\n`);
    }
    const inProcess = fastest(inProcessRuns, (r) => r.perSec);
    const bestGeo = fastest(geoRuns, (r) => r.perSec);
    const inProcessPerSec = inProcess.perSec;

    // ── 2. through the cell actors ───────────────────────────────────────────────────────────────────────────────
    const shards = 64;
    const entry = fileURLToPath(new URL('../../test/support/dispatch-worker-process.ts', import.meta.url));
    const env = { ...process.env, REDIS_URL: redisUrl, NAMESPACE: namespace, SHARDS: String(shards), LOG_LEVEL: 'warn', DISPATCH_SETTINGS: JSON.stringify(overrides) };
    progress('starting 2 worker processes…');
    workers.push(...(await Promise.all([forkWorker(entry, env), forkWorker(entry, env)])));
    await waitForBalancedOwnership(redis, keys, shards, workers.map((w) => w.workerId));
    client = createActorClient({ redis, keys, shardCount: shards, clock: systemClock, askTimeoutMs: 30_000 });
    const actors = client;

    progress(`listing ${driverCount} drivers in ${cells.size} cell actors (DriverEntered, as driver actors send it)…`);
    for (let i = 0; i < drivers.length; i += 2_000) {
      await Promise.all(drivers.slice(i, i + 2_000).map((d) => actors.tell(cellAddress(cellOf(d, resolution)), d)));
      progress(`listing drivers: ${Math.min(i + 2_000, drivers.length)}/${drivers.length} sent`);
    }
    // The last cell to get a message has it applied once an ask behind it is answered (one inbox per shard, in order).
    await Promise.all([...cells.keys()].map((cell) => askCell(actors, cell, pickups[0] as GeoPoint, k, params, 'warmup')));
    progress('listing drivers: done\n');

    const askQuery = async (pickup: GeoPoint, qid: string): Promise<number> => {
      let search: SearchRound = startRound(pickup, resolution, 1, 1, params, k);
      let asked = 0;
      for (;;) {
        const answers = await Promise.all(search.pending.map((cell) => askCell(actors, cell, pickup, k, params, search.queryId + qid)));
        asked += answers.length;
        for (const a of answers) search = receive(search, { ...a, queryId: search.queryId });
        const step = knnStep(search, k, maxRings);
        if (step.type === 'done') return asked;
        search = step.type === 'widen' ? widen(search, 1, step.ring, step.threshold) : revisit(search, 1, step.cells);
      }
    };
    progress(`through the cell actors: ${seconds * 2} s of queries, 64 in flight…`);
    const askLatencies: number[] = [];
    let askDone = 0;
    let askCells = 0;
    const askStart = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async (_, lane) => {
        while (performance.now() - askStart < seconds * 2 * 1000) {
          const t0 = performance.now();
          const asked = await askQuery(pickups[(askDone++ * 7 + lane) % pickups.length] as GeoPoint, `.${lane}`);
          askCells += asked;
          askLatencies.push(performance.now() - t0);
        }
      }),
    );
    const askPerSec = askDone / ((performance.now() - askStart) / 1000);
    progress(`through the cell actors: ${Math.round(askPerSec)} queries/s\n`);

    console.log('');
    printTable([
      { path: `cell index in process (what a cell actor computes; no transport), best of ${rounds}`, 'queries/s': Math.round(inProcessPerSec), 'cells/query': round(inProcess.cellsPerQuery, 1), 'p50 ms': '', 'p99 ms': '' },
      {
        path: 'cell actors via ask (2 workers; Redis Streams both ways)',
        'queries/s': Math.round(askPerSec),
        'cells/query': round(askCells / Math.max(1, askDone), 1),
        'p50 ms': round(percentile(askLatencies, 50)),
        'p99 ms': round(percentile(askLatencies, 99)),
      },
      { path: `Redis GEOSEARCH, radius from ${bestRadius} km doubling, best of ${rounds}`, 'queries/s': Math.round(bestGeo.perSec), 'cells/query': `${round(bestGeo.meanCalls, 2)} calls`, 'p50 ms': '', 'p99 ms': '' },
      ...radiusRuns.map((g) => ({ path: `  (choosing the radius: from ${g.startKm} km)`, 'queries/s': Math.round(g.perSec), 'cells/query': `${round(g.meanCalls, 2)} calls`, 'p50 ms': '', 'p99 ms': '' })),
    ]);
    console.log(
      `${driverCount} drivers in ${cells.size} res-${resolution} cells (median ${percentile(perCell, 50)}, max ${Math.max(...perCell)} per cell); ` +
        `vs GEOSEARCH on ${compared} sampled queries: same 10 drivers in ${sameSet}, same order too in ${agree}; where they differ, ` +
        `GEOSEARCH's extra driver is at most ${round(worstGapM, 2)} m farther than our 10th (haversine on 52-bit geohash cells vs our local plane)`,
    );
    console.log(
      JSON.stringify({
        bench: 'knn',
        drivers: driverCount,
        k,
        cells: cells.size,
        queriesPerSec: Math.round(inProcessPerSec),
        geosearchQueriesPerSec: Math.round(bestGeo.perSec),
        ratio: round(inProcessPerSec / bestGeo.perSec, 2),
        askQueriesPerSec: Math.round(askPerSec),
        askRatio: round(askPerSec / bestGeo.perSec, 3),
        askP50Ms: round(percentile(askLatencies, 50)),
        askP99Ms: round(percentile(askLatencies, 99)),
        cellsPerQuery: round(inProcess.cellsPerQuery, 2),
        geosearchStartKm: bestRadius,
        rounds: { inProcess: inProcessRuns.map((r) => Math.round(r.perSec)), geosearch: geoRuns.map((r) => Math.round(r.perSec)) },
        sameSetRate: round(sameSet / Math.max(1, compared), 3),
        loadAvgAtStart: round(loadAtStart, 1),
      }),
    );
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await client?.close();
    await deleteNamespace(redis, keys);
    redis.disconnect();
  }
}

async function askCell(client: ActorClient, cell: string, pickup: GeoPoint, k: number, score: ScoreParams, queryId: string): Promise<Candidates> {
  const body: FindCandidates = { type: 'FindCandidates', queryId, pickup, k, exclude: [], score };
  const answer = await client.ask(cellAddress(cell), body);
  if (!answer.ok) throw new Error(`cell ${cell}: ${answer.error.code} ${answer.error.detail}`);
  return answer.value as Candidates;
}

/** The exact k nearest by GEOSEARCH: a radius that returns fewer than k is doubled (up to 50 km). */
async function geoNearest(redis: Redis, key: string, p: GeoPoint, k: number, startKm: number): Promise<{ ids: string[]; calls: number }> {
  let radius = startKm;
  for (let calls = 1; ; calls++) {
    const ids = (await redis.geosearch(key, 'FROMLONLAT', p.lng, p.lat, 'BYRADIUS', radius, 'km', 'ASC', 'COUNT', k)) as string[];
    if (ids.length >= k || radius >= 50) return { ids, calls };
    radius *= 2;
  }
}



