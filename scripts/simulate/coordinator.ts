// The run: restaurants set up through the API, the sockets spread over processes, then the phases — connecting, load
// (orders placed for `--duration`), drain (orders in flight finish), finishing — with a live progress line, and the
// summary (text, `--json`, `--report`) at the end.
import { writeFile } from 'node:fs/promises';
import { RunAggregate, socketsOf, type Phase } from './aggregate.ts';
import { httpClient } from './http.ts';
import { forkedWorker, inProcessWorker, type WorkerLink } from './links.ts';
import { processCount, type SimOptions } from './options.ts';
import { progressLine, progressWriter } from './progress.ts';
import type { WorkerPlan } from './protocol.ts';
import { renderReport } from './report.ts';
import { seededRng } from './rng.ts';
import { prepareRestaurants, SetupError, type SimRestaurant } from './setup.ts';
import { buildSummary, errorTotal, formatSummary } from './summary.ts';
import { commandTokens, devTokens, retrying, TokenError } from './tokens.ts';

/** Exit statuses of `npm run simulate`. */
export const EXIT = { ok: 0, failed: 1, errors: 2, interrupted: 130 } as const;

/** How long finishing processes get to settle their orders and report, ms. */
const FINISH_TIMEOUT_MS = 60_000;

/** Splits `total` into `parts` near-equal consecutive ranges; range `i`. */
export function share(total: number, parts: number, i: number): { first: number; count: number } {
  const base = Math.floor(total / parts);
  const extra = total % parts;
  return { first: i * base + Math.min(i, extra), count: base + (i < extra ? 1 : 0) };
}

/** Each process's share: drivers, customers and consoles spread evenly; orders follow the customers. */
export function planWorkers(options: SimOptions, restaurants: readonly SimRestaurant[], processes: number): WorkerPlan[] {
  return Array.from({ length: processes }, (_, index) => {
    const customers = share(options.customers, processes, index);
    return {
      index,
      options,
      drivers: share(options.drivers, processes, index),
      customers,
      consoles: restaurants.filter((_, j) => j % processes === index),
      restaurants,
      ordersPerSec: options.customers === 0 ? 0 : (options.ordersPerSec * customers.count) / options.customers,
      connectRate: options.connectRate / processes,
      seed: (options.seed + Math.imul(index + 1, 0x9e3779b9)) >>> 0,
    };
  });
}

export async function runSimulation(options: SimOptions): Promise<number> {
  const startedAt = Date.now();
  const agg = new RunAggregate(startedAt);
  const progress = progressWriter(process.stderr, options.quiet);
  const say = (text: string) => {
    progress.done();
    if (!options.quiet) process.stderr.write(`${text}\n`);
  };
  agg.mark('setup', startedAt);

  // ── setup ─────────────────────────────────────────────────────────────────────────────────────────────────────────
  const http = httpClient(options.url, { concurrency: options.httpConcurrency, timeoutMs: options.timeoutMs });
  const tokens = retrying(options.tokenCommand === null ? devTokens(http) : commandTokens(options.tokenCommand, { timeoutMs: options.timeoutMs * 3 }));
  let restaurants: SimRestaurant[];
  try {
    const health = await http.request('GET', '/healthz');
    if (!health.ok && health.status === null) throw new SetupError(`cannot reach ${options.url}: ${health.detail}`);
    const admin = await tokens.token({ role: 'admin' });
    restaurants = await prepareRestaurants(http, admin, options, seededRng(options.seed));
  } catch (e) {
    if (e instanceof SetupError || e instanceof TokenError) {
      process.stderr.write(`simulate: setup failed: ${e.message}\n`);
      return EXIT.failed;
    }
    throw e;
  }
  const processes = processCount(options);
  const plans = planWorkers(options, restaurants, processes);
  say(
    `simulate: ${options.drivers} drivers, ${options.customers} customers, ${restaurants.length} restaurants in ${options.city} ` +
      `(${processes} process${processes === 1 ? '' : 'es'}, seed ${options.seed}) against ${options.url}`,
  );

  // ── processes ─────────────────────────────────────────────────────────────────────────────────────────────────────
  const ready = new Set<number>();
  const finished = new Set<number>();
  const lastTick = new Map<number, number>();
  let fatal: string | null = null;
  const links: WorkerLink[] = plans.map((plan) => {
    const link = processes === 1 ? inProcessWorker() : forkedWorker();
    link.onMessage((message) => {
      switch (message.type) {
        case 'ready':
          ready.add(message.index);
          return;
        case 'tick':
          agg.add(message.index, message.at, message.stats);
          lastTick.set(message.index, message.at);
          return;
        case 'finished':
          agg.add(message.index, message.at, message.stats);
          finished.add(message.index);
          return;
        case 'fatal':
          fatal ??= `process ${message.index}: ${message.message}`;
          return;
        default: {
          const _exhaustive: never = message;
          return _exhaustive;
        }
      }
    });
    link.onExit((code) => {
      if (!finished.has(plan.index)) fatal ??= `process ${plan.index} exited (code ${code}) before finishing`;
    });
    return link;
  });

  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    say(
      interrupts === 1
        ? 'simulate: interrupted — ending the load phase and draining (Ctrl-C again to skip the drain)'
        : interrupts === 2
          ? 'simulate: interrupted again — finishing now (once more to quit without a summary)'
          : 'simulate: quitting',
    );
    if (interrupts >= 3) {
      for (const l of links) l.kill();
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSigint);

  /** Polls `done` until it holds, the phase's limit passes, enough Ctrl-Cs arrived, or a process failed. */
  const phase = async (name: Phase, limitS: number | null, done: () => boolean, stopAfterInterrupts: number): Promise<void> => {
    const began = Date.now();
    agg.mark(name, began);
    let lastDraw = 0;
    for (;;) {
      const now = Date.now();
      if (done() || fatal !== null || interrupts >= stopAfterInterrupts) return;
      if (limitS !== null && now - began >= limitS * 1000) return;
      if (now - lastDraw >= 1_000) {
        lastDraw = now;
        progress.update(progressLine(agg, { phase: name, elapsedS: (now - began) / 1000, limitS }, now));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  for (const [i, link] of links.entries()) link.send({ type: 'start', plan: plans[i] as WorkerPlan });
  await phase('connecting', null, () => ready.size === processes, 1);

  let socketsHeld = socketsOf(agg.gauges());
  if (interrupts === 0 && fatal === null) {
    for (const link of links) link.send({ type: 'orders', on: true });
    await phase('load', options.durationS, () => false, 1);
    socketsHeld = socketsOf(agg.gauges());
    for (const link of links) link.send({ type: 'orders', on: false });
    const drainFrom = Date.now();
    await phase(
      'drain',
      options.drainS,
      // Every process has reported since the drain began, and none has an order in flight.
      () => plans.every((p) => (lastTick.get(p.index) ?? 0) > drainFrom + 100) && agg.gauges().ordersInFlight === 0,
      2,
    );
  }

  for (const link of links) link.send({ type: 'finish' });
  await phase('finishing', FINISH_TIMEOUT_MS / 1000, () => finished.size === processes, 3);
  for (const link of links) link.kill();
  const endedAt = Date.now();
  agg.mark('done', endedAt);
  process.off('SIGINT', onSigint);
  progress.done();

  // ── results ───────────────────────────────────────────────────────────────────────────────────────────────────────
  const summary = buildSummary(agg, options, {
    processes,
    restaurants: restaurants.length,
    socketsHeld,
    socketsPlanned: plans.reduce((n, p) => n + p.drivers.count + p.customers.count + p.consoles.length, 0),
    now: endedAt,
  });
  if (fatal !== null) process.stderr.write(`simulate: ${fatal}\n`);
  if (finished.size < processes) process.stderr.write(`simulate: ${processes - finished.size} process(es) did not report their final figures\n`);
  if (options.reportFile !== null) {
    await writeFile(
      options.reportFile,
      renderReport({ summary, options, seconds: agg.series(), windows: agg.windowSeries(), marks: agg.marks, startedAt: new Date(startedAt) }),
    );
    say(`simulate: report written to ${options.reportFile}`);
  }
  process.stdout.write(`${formatSummary(summary)}\n`);
  if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);

  if (fatal !== null) return EXIT.failed;
  if (interrupts > 0) return EXIT.interrupted;
  if (options.failOnError && errorTotal(summary) > 0) return EXIT.errors;
  return EXIT.ok;
}
