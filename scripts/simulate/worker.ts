// One process's share of the simulation: its restaurant consoles, customers and drivers, connected at a steady rate,
// orders placed at its share of the rate, stats sent to the coordinator every second.
import { setMaxListeners } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { SimContext } from './context.ts';
import { Customers } from './customer.ts';
import { SimDriver } from './driver.ts';
import { randomPointIn } from './geo.ts';
import { httpClient } from './http.ts';
import type { FromWorker, Gauges, ToWorker, WorkerPlan } from './protocol.ts';
import { RestaurantConsole } from './restaurant.ts';
import { seededRng } from './rng.ts';
import { StatsRecorder } from './stats.ts';
import { commandTokens, devTokens, retrying } from './tokens.ts';

const TICK_MS = 1_000;
/** Handshakes (token + connect) in flight at once while connecting. */
const CONNECT_CONCURRENCY = 200;
/** How often the order pacer looks at the clock, ms. */
const PACE_MS = 20;
/** At the end, orders still being placed get this long to be answered, ms. */
const PLACING_GRACE_MS = 10_000;
/** At the end, the final reading of open orders gets this long (the coordinator waits 60 s for it all), ms. */
const SETTLE_BUDGET_MS = 30_000;

export interface Worker {
  handle(message: ToWorker): void;
}

/** A worker that reports through `send`; `onFinished` runs after the final report. */
export function createWorker(send: (message: FromWorker) => void, onFinished: () => void = () => {}): Worker {
  let sim: Simulation | null = null;
  return {
    handle(message) {
      switch (message.type) {
        case 'start':
          if (sim) return;
          sim = new Simulation(message.plan, send);
          sim.start().catch((e: unknown) => send({ type: 'fatal', index: message.plan.index, message: (e as Error).stack ?? String(e) }));
          return;
        case 'orders':
          sim?.orders(message.on);
          return;
        case 'finish':
          if (!sim) return onFinished();
          sim.finish().then(onFinished, (e: unknown) => {
            send({ type: 'fatal', index: sim?.plan.index ?? -1, message: (e as Error).stack ?? String(e) });
            onFinished();
          });
          return;
        default: {
          const _exhaustive: never = message;
          return _exhaustive;
        }
      }
    },
  };
}

class Simulation {
  private readonly stats = new StatsRecorder();
  private readonly abort = new AbortController();
  /** Shared with every simulated app through `ctx.stopping`. */
  private readonly run = { stopping: false };
  private readonly ctx: SimContext;
  private readonly drivers: SimDriver[] = [];
  private readonly consoles: RestaurantConsole[];
  private readonly customers: Customers;
  private tick: NodeJS.Timeout | null = null;
  private pacer: NodeJS.Timeout | null = null;
  private readonly placing = new Set<Promise<void>>();
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 20 });

  constructor(
    readonly plan: WorkerPlan,
    private readonly send: (message: FromWorker) => void,
  ) {
    const { options } = plan;
    const http = httpClient(options.url, { concurrency: options.httpConcurrency, timeoutMs: options.timeoutMs });
    // Every pending wait of every simulated app listens to this one signal.
    setMaxListeners(0, this.abort.signal);
    const run = this.run;
    this.ctx = {
      options,
      http,
      tokens: retrying(options.tokenCommand === null ? devTokens(http) : commandTokens(options.tokenCommand, { timeoutMs: options.timeoutMs * 3 })),
      stats: this.stats,
      rng: seededRng(plan.seed),
      get stopping() {
        return run.stopping;
      },
      signal: this.abort.signal,
    };
    this.consoles = plan.consoles.map((r) => new RestaurantConsole(this.ctx, r));
    const customerIds = Array.from({ length: plan.customers.count }, (_, i) => `${options.idPrefix}-CUST-${plan.customers.first + i + 1}`);
    this.customers = new Customers(this.ctx, customerIds, plan.restaurants);
    for (let i = 0; i < plan.drivers.count; i++) {
      this.drivers.push(new SimDriver(this.ctx, `${options.idPrefix}-DRV-${plan.drivers.first + i + 1}`, randomPointIn(options.bounds, this.ctx.rng)));
    }
  }

  async start(): Promise<void> {
    this.loopDelay.enable();
    this.tick = setInterval(() => this.report('tick'), TICK_MS);
    // Kitchens and customers first (few), so that orders can flow as soon as drivers are there.
    const jobs: Array<() => Promise<boolean>> = [
      ...this.consoles.map((c) => () => c.connect()),
      ...this.customers.ids.map((_, i) => () => this.customers.connect(i)),
      ...this.drivers.map((d) => () => d.connect()),
    ];
    await paced(jobs, this.plan.connectRate, CONNECT_CONCURRENCY, () => this.run.stopping);
    this.send({ type: 'ready', index: this.plan.index });
  }

  orders(on: boolean): void {
    if (this.pacer) clearInterval(this.pacer);
    this.pacer = null;
    if (!on || this.run.stopping || this.plan.ordersPerSec <= 0) return;
    const startedAt = Date.now();
    let placed = 0;
    this.pacer = setInterval(() => {
      const due = Math.floor(((Date.now() - startedAt) / 1000) * this.plan.ordersPerSec) - placed;
      for (let i = 0; i < due; i++) {
        placed += 1;
        const p = this.customers.placeOne();
        this.placing.add(p);
        void p.finally(() => this.placing.delete(p));
      }
    }, PACE_MS);
  }

  async finish(): Promise<void> {
    this.orders(false);
    await within(Promise.all(this.placing), PLACING_GRACE_MS);
    // The measurement is over: drivers and kitchens stop (no more load), then whatever is still open is read once
    // more before the customers go too.
    this.run.stopping = true;
    this.abort.abort();
    for (const d of this.drivers) d.close();
    for (const c of this.consoles) c.close();
    await this.customers.settle(SETTLE_BUDGET_MS);
    if (this.tick) clearInterval(this.tick);
    this.customers.close();
    this.report('finished');
  }

  private gauges(): Gauges {
    let driverSockets = 0;
    let driversOnTrip = 0;
    for (const d of this.drivers) {
      if (d.connected) driverSockets += 1;
      if (d.onTrip) driversOnTrip += 1;
    }
    return {
      driverSockets,
      customerSockets: this.customers.connectedSockets,
      restaurantSockets: this.consoles.reduce((n, c) => n + (c.connected ? 1 : 0), 0),
      socketsPlanned: this.drivers.length + this.customers.ids.length + this.consoles.length,
      driversOnTrip,
      ordersInFlight: this.customers.inFlight,
      loopLagMs: Math.round(this.loopDelay.percentile(99) / 1e4) / 100,
    };
  }

  private report(type: 'tick' | 'finished'): void {
    this.send({ type, index: this.plan.index, at: Date.now(), stats: this.stats.take(this.gauges()) });
    this.loopDelay.reset();
    if (type === 'finished') this.loopDelay.disable();
  }
}

/** Waits for `work`, at most `ms`. */
async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** Runs `jobs` at most `perSecond` starts a second and `concurrency` at a time, until done or `stop()`. */
async function paced(jobs: ReadonlyArray<() => Promise<unknown>>, perSecond: number, concurrency: number, stop: () => boolean): Promise<void> {
  const startedAt = Date.now();
  let next = 0;
  const lane = async () => {
    while (next < jobs.length && !stop()) {
      const i = next++;
      const due = startedAt + (i / perSecond) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await (jobs[i] as () => Promise<unknown>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, lane));
}
