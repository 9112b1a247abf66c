// The result of a run: one flat JSON object (the last line of `--json` output) and the same as text for people.
import type { RunAggregate } from './aggregate.ts';
import type { Histogram } from './histogram.ts';
import type { SimOptions } from './options.ts';

export interface Summary {
  readonly url: string;
  readonly city: string;
  readonly seed: number;
  readonly processes: number;
  readonly drivers: number;
  readonly customers: number;
  readonly restaurants: number;
  /** Seconds of each phase as it ran (a Ctrl-C shortens them). */
  readonly connectSeconds: number;
  readonly loadSeconds: number;
  readonly drainSeconds: number;
  /** Sockets connected at the end of the load phase, of those planned; the most at any tick. */
  readonly socketsHeld: number;
  readonly socketsPlanned: number;
  readonly socketsPeak: number;
  /** Location pings applied (acked ok) per second during the load phase. */
  readonly pingsPerSec: number;
  readonly pingsSent: number;
  readonly pingsApplied: number;
  readonly offersReceived: number;
  readonly offersAccepted: number;
  readonly offersDeclined: number;
  readonly tripsCompleted: number;
  readonly ordersPlaced: number;
  /** Orders that got a driver (delivered ones included). */
  readonly ordersAssigned: number;
  readonly ordersDelivered: number;
  /** Orders cancelled, rejected or never assigned; `failureReasons` says why. */
  readonly ordersFailed: number;
  /** Assigned orders still on their way when the run ended. */
  readonly ordersOpenAtEnd: number;
  readonly p50PingMs: number | null;
  readonly p95PingMs: number | null;
  readonly p99PingMs: number | null;
  readonly p50AssignMs: number | null;
  readonly p95AssignMs: number | null;
  readonly p99AssignMs: number | null;
  readonly p50DeliverMs: number | null;
  readonly p95DeliverMs: number | null;
  readonly p99DeliverMs: number | null;
  readonly p50PlaceMs: number | null;
  readonly p99PlaceMs: number | null;
  /** The worst p99 event-loop delay of a simulator process in any second, ms (large: the simulator was the bottleneck). */
  readonly simLoopLagMs: number;
  /** Errors the simulation did not inject, by code. */
  readonly errors: Readonly<Record<string, number>>;
  /** The first detail seen of each error code. */
  readonly errorDetails: Readonly<Record<string, string>>;
  /** Errors by `CODE @ where`: which event, request or push they came from. */
  readonly errorsBySite: Readonly<Record<string, number>>;
  /** Refusals that are part of the simulation (declines are counted in offersDeclined). */
  readonly expected: Readonly<Record<string, number>>;
  readonly failureReasons: Readonly<Record<string, number>>;
}

export interface RunFacts {
  readonly processes: number;
  readonly restaurants: number;
  readonly socketsHeld: number;
  readonly socketsPlanned: number;
  readonly now: number;
}

export function buildSummary(agg: RunAggregate, options: SimOptions, facts: RunFacts): Summary {
  const t = agg.totals;
  const loadSeconds = agg.phaseSeconds('load', facts.now);
  const pct = (h: Histogram, p: number) => {
    const v = h.percentile(p);
    return v === null ? null : Math.round(v * 10) / 10;
  };
  const { ping, assign, deliver, place } = agg.latency;
  return {
    url: options.url,
    city: options.city,
    seed: options.seed,
    processes: facts.processes,
    drivers: options.drivers,
    customers: options.customers,
    restaurants: facts.restaurants,
    connectSeconds: round1(agg.phaseSeconds('connecting', facts.now)),
    loadSeconds: round1(loadSeconds),
    drainSeconds: round1(agg.phaseSeconds('drain', facts.now)),
    socketsHeld: facts.socketsHeld,
    socketsPlanned: facts.socketsPlanned,
    socketsPeak: agg.peakSockets,
    pingsPerSec: loadSeconds > 0 ? round1(agg.during('load', 'pingsApplied') / loadSeconds) : 0,
    pingsSent: t.pingsSent,
    pingsApplied: t.pingsApplied,
    offersReceived: t.offersReceived,
    offersAccepted: t.offersAccepted,
    offersDeclined: t.offersDeclined,
    tripsCompleted: t.tripsCompleted,
    ordersPlaced: t.ordersPlaced,
    ordersAssigned: t.ordersAssigned,
    ordersDelivered: t.ordersDelivered,
    ordersFailed: t.ordersFailed,
    ordersOpenAtEnd: Math.max(0, t.ordersPlaced - t.ordersDelivered - t.ordersFailed),
    p50PingMs: pct(ping, 50),
    p95PingMs: pct(ping, 95),
    p99PingMs: pct(ping, 99),
    p50AssignMs: pct(assign, 50),
    p95AssignMs: pct(assign, 95),
    p99AssignMs: pct(assign, 99),
    p50DeliverMs: pct(deliver, 50),
    p95DeliverMs: pct(deliver, 95),
    p99DeliverMs: pct(deliver, 99),
    p50PlaceMs: pct(place, 50),
    p99PlaceMs: pct(place, 99),
    simLoopLagMs: Math.round(agg.maxLoopLagMs),
    errors: sortedCounts(agg.errors),
    errorDetails: { ...agg.errorDetails },
    errorsBySite: sortedCounts(agg.errorSites),
    expected: sortedCounts(agg.expected),
    failureReasons: sortedCounts(agg.failures),
  };
}

export const errorTotal = (s: Pick<Summary, 'errors'>): number => Object.values(s.errors).reduce((a, b) => a + b, 0);

/** The summary for people: a few aligned blocks. */
export function formatSummary(s: Summary): string {
  const ms = (v: number | null) => (v === null ? '–' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`);
  const row = (label: string, values: (number | null)[]) => `  ${label.padEnd(20)}${values.map((v) => ms(v).padStart(10)).join('')}`;
  const counts = (c: Readonly<Record<string, number>>, details?: Readonly<Record<string, string>>) =>
    Object.keys(c).length === 0 ? ['  none'] : Object.entries(c).map(([k, n]) => `  ${String(n).padStart(8)}  ${k}${details?.[k] ? `  — ${details[k]}` : ''}`);
  return [
    `Simulation of ${s.city} against ${s.url} (seed ${s.seed}, ${s.processes} process${s.processes === 1 ? '' : 'es'})`,
    `  phases      connect ${s.connectSeconds} s · load ${s.loadSeconds} s · drain ${s.drainSeconds} s`,
    `  sockets     ${s.socketsHeld} held of ${s.socketsPlanned} (peak ${s.socketsPeak}): ${s.drivers} drivers, ${s.customers} customers, ${s.restaurants} restaurants`,
    `  pings       ${s.pingsPerSec}/s applied during load (${s.pingsApplied} of ${s.pingsSent} sent)`,
    `  offers      ${s.offersReceived} received, ${s.offersAccepted} accepted, ${s.offersDeclined} declined; ${s.tripsCompleted} trips completed`,
    `  orders      ${s.ordersPlaced} placed, ${s.ordersAssigned} assigned, ${s.ordersDelivered} delivered, ${s.ordersFailed} failed, ${s.ordersOpenAtEnd} still open`,
    '',
    `  ${'latency'.padEnd(20)}${['p50', 'p95', 'p99'].map((h) => h.padStart(10)).join('')}`,
    row('ping → applied', [s.p50PingMs, s.p95PingMs, s.p99PingMs]),
    row('placed → assigned', [s.p50AssignMs, s.p95AssignMs, s.p99AssignMs]),
    row('placed → delivered', [s.p50DeliverMs, s.p95DeliverMs, s.p99DeliverMs]),
    row('POST /v1/orders', [s.p50PlaceMs, null, s.p99PlaceMs]),
    `  simulator   worst event-loop delay ${s.simLoopLagMs} ms${s.simLoopLagMs > 200 ? ' — the simulator was held up (busy, or short of CPU): latencies above include that delay' : ''}`,
    '',
    `  errors (${errorTotal(s)})`,
    ...counts(s.errors, s.errorDetails),
    ...(Object.keys(s.errorsBySite).length > 0 ? ['  errors by where they happened', ...counts(s.errorsBySite)] : []),
    '  expected (injected or part of the game)',
    ...counts(s.expected),
    '  failed orders by reason',
    ...counts(s.failureReasons),
  ].join('\n');
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function sortedCounts(c: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(c).sort(([a, x], [b, y]) => y - x || a.localeCompare(b)));
}
