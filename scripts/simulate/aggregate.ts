// The coordinator's view of a run: every process's ticks summed into totals, a per-second series and 5-second latency
// windows (for the progress line, the summary and the report's charts).
import { Histogram } from './histogram.ts';
import { COUNTERS, LATENCIES, type Counter, type Counters, type Gauges, type Latency, type TickStats } from './protocol.ts';
import { addCounts, zeroCounters } from './stats.ts';

export type Phase = 'setup' | 'connecting' | 'load' | 'drain' | 'finishing' | 'done';

/** Latency percentiles are also kept per window of this length, ms. */
export const WINDOW_MS = 5_000;

export interface SecondPoint {
  /** Seconds since the run started. */
  readonly t: number;
  readonly counters: Counters;
  readonly errors: number;
  /** Summed over processes, as last reported within that second. */
  readonly sockets: number;
  readonly inFlight: number;
  readonly onTrip: number;
}

export interface WindowPoint {
  /** Start of the window, seconds since the run started. */
  readonly t: number;
  readonly p50: Record<Latency, number | null>;
  readonly p99: Record<Latency, number | null>;
}

export interface PhaseMark {
  readonly phase: Phase;
  /** Seconds since the run started. */
  readonly t: number;
}

export const sumGauges = (all: readonly Gauges[]): Gauges => ({
  driverSockets: all.reduce((n, g) => n + g.driverSockets, 0),
  customerSockets: all.reduce((n, g) => n + g.customerSockets, 0),
  restaurantSockets: all.reduce((n, g) => n + g.restaurantSockets, 0),
  socketsPlanned: all.reduce((n, g) => n + g.socketsPlanned, 0),
  driversOnTrip: all.reduce((n, g) => n + g.driversOnTrip, 0),
  ordersInFlight: all.reduce((n, g) => n + g.ordersInFlight, 0),
  loopLagMs: all.reduce((n, g) => Math.max(n, g.loopLagMs), 0),
});

export const socketsOf = (g: Gauges): number => g.driverSockets + g.customerSockets + g.restaurantSockets;

const emptyGauges: Gauges = { driverSockets: 0, customerSockets: 0, restaurantSockets: 0, socketsPlanned: 0, driversOnTrip: 0, ordersInFlight: 0, loopLagMs: 0 };

interface SecondBucket {
  counters: Counters;
  errors: number;
  gauges: Map<number, Gauges>;
}

export class RunAggregate {
  readonly totals = zeroCounters();
  readonly latency = Object.fromEntries(LATENCIES.map((l) => [l, new Histogram()])) as Record<Latency, Histogram>;
  readonly errors: Record<string, number> = {};
  readonly expected: Record<string, number> = {};
  readonly failures: Record<string, number> = {};
  readonly errorDetails: Record<string, string> = {};
  readonly errorSites: Record<string, number> = {};
  readonly marks: PhaseMark[] = [];
  /** Sockets held at most (summed over processes, per tick). */
  peakSockets = 0;
  /** The worst event-loop delay (p99 of a tick) any simulator process reported, ms. */
  maxLoopLagMs = 0;
  private readonly gaugesByWorker = new Map<number, Gauges>();
  private readonly seconds = new Map<number, SecondBucket>();
  private readonly windows = new Map<number, Record<Latency, Histogram>>();
  /** Totals when each phase began. */
  private readonly totalsAt = new Map<Phase, { counters: Counters; at: number }>();

  constructor(readonly startedAt: number) {}

  /** Adds one process's tick, received at `at` (ms since the epoch). */
  add(worker: number, at: number, stats: TickStats): void {
    for (const c of COUNTERS) this.totals[c] += stats.counters[c];
    for (const l of LATENCIES) this.latency[l].add(stats.latency[l]);
    addCounts(this.errors, stats.errors);
    addCounts(this.expected, stats.expected);
    addCounts(this.failures, stats.failures);
    addCounts(this.errorSites, stats.errorSites);
    for (const [code, detail] of Object.entries(stats.errorDetails)) this.errorDetails[code] ??= detail;
    this.gaugesByWorker.set(worker, stats.gauges);
    this.peakSockets = Math.max(this.peakSockets, socketsOf(this.gauges()));
    this.maxLoopLagMs = Math.max(this.maxLoopLagMs, stats.gauges.loopLagMs);

    const second = Math.max(0, Math.floor((at - this.startedAt) / 1000));
    const bucket = this.seconds.get(second) ?? { counters: zeroCounters(), errors: 0, gauges: new Map() };
    for (const c of COUNTERS) bucket.counters[c] += stats.counters[c];
    bucket.errors += Object.values(stats.errors).reduce((a, b) => a + b, 0);
    bucket.gauges.set(worker, stats.gauges);
    this.seconds.set(second, bucket);

    const window = Math.floor(Math.max(0, at - this.startedAt) / WINDOW_MS);
    const hist = this.windows.get(window) ?? (Object.fromEntries(LATENCIES.map((l) => [l, new Histogram()])) as Record<Latency, Histogram>);
    for (const l of LATENCIES) hist[l].add(stats.latency[l]);
    this.windows.set(window, hist);
  }

  /** Gauges summed over processes, as each last reported. */
  gauges(): Gauges {
    return sumGauges([...this.gaugesByWorker.values()]);
  }

  mark(phase: Phase, at: number): void {
    this.marks.push({ phase, t: (at - this.startedAt) / 1000 });
    this.totalsAt.set(phase, { counters: { ...this.totals }, at });
  }

  /** Seconds a phase lasted (until the next phase began, or until `now`), 0 if it never began. */
  phaseSeconds(phase: Phase, now: number): number {
    const start = this.totalsAt.get(phase);
    if (!start) return 0;
    const later = [...this.totalsAt.values()].map((v) => v.at).filter((at) => at > start.at);
    return ((later.length > 0 ? Math.min(...later) : now) - start.at) / 1000;
  }

  /** How much a counter grew during a phase (until the next phase began, or until now). */
  during(phase: Phase, counter: Counter): number {
    const start = this.totalsAt.get(phase);
    if (!start) return 0;
    const next = [...this.totalsAt.values()].filter((v) => v.at > start.at).sort((a, b) => a.at - b.at)[0];
    return (next?.counters[counter] ?? this.totals[counter]) - start.counters[counter];
  }

  /** Counter deltas of the last `seconds` full seconds before `now`, per second. */
  recentRate(counter: Counter, now: number, seconds = 1): number {
    const last = Math.floor((now - this.startedAt) / 1000) - 1;
    let sum = 0;
    for (let s = last - seconds + 1; s <= last; s++) sum += this.seconds.get(s)?.counters[counter] ?? 0;
    return sum / seconds;
  }

  /** p99 of a latency over the last full window before `now` (or the current one). */
  recentP99(latency: Latency, now: number): number | null {
    const current = Math.floor((now - this.startedAt) / WINDOW_MS);
    return this.windows.get(current - 1)?.[latency].percentile(99) ?? this.windows.get(current)?.[latency].percentile(99) ?? null;
  }

  /** One point per second from the first to the last reported second (gaps filled with zeros). */
  series(): SecondPoint[] {
    const keys = [...this.seconds.keys()];
    if (keys.length === 0) return [];
    const points: SecondPoint[] = [];
    const known = new Map<number, Gauges>();
    for (let t = Math.min(...keys); t <= Math.max(...keys); t++) {
      const b = this.seconds.get(t);
      for (const [worker, g] of b?.gauges ?? []) known.set(worker, g);
      const lastGauges = known.size > 0 ? sumGauges([...known.values()]) : emptyGauges;
      points.push({
        t,
        counters: b?.counters ?? zeroCounters(),
        errors: b?.errors ?? 0,
        sockets: socketsOf(lastGauges),
        inFlight: lastGauges.ordersInFlight,
        onTrip: lastGauges.driversOnTrip,
      });
    }
    return points;
  }

  windowSeries(): WindowPoint[] {
    return [...this.windows.entries()]
      .sort(([a], [b]) => a - b)
      .map(([w, hist]) => ({
        t: (w * WINDOW_MS) / 1000,
        p50: Object.fromEntries(LATENCIES.map((l) => [l, hist[l].percentile(50)])) as Record<Latency, number | null>,
        p99: Object.fromEntries(LATENCIES.map((l) => [l, hist[l].percentile(99)])) as Record<Latency, number | null>,
      }));
  }
}
