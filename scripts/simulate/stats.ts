// What one process counts between two ticks: counters, latency histograms, errors by code. `take` hands the deltas
// over and starts again.
import { Histogram } from './histogram.ts';
import { COUNTERS, LATENCIES, type Counter, type Counters, type Gauges, type Latency, type TickStats } from './protocol.ts';

export const zeroCounters = (): Counters => Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Counters;

export class StatsRecorder {
  private counters = zeroCounters();
  private readonly latencies = Object.fromEntries(LATENCIES.map((l) => [l, new Histogram()])) as Record<Latency, Histogram>;
  private errors: Record<string, number> = {};
  private expectedCodes: Record<string, number> = {};
  private failures: Record<string, number> = {};
  private details: Record<string, string> = {};
  private sites: Record<string, number> = {};
  private readonly detailed = new Set<string>();

  count(counter: Counter, n = 1): void {
    this.counters[counter] += n;
  }

  latency(kind: Latency, ms: number): void {
    this.latencies[kind].record(ms);
  }

  /**
   * An error the simulation did not inject, by code, and where it happened (an event, a request, a push: `where`);
   * the first detail of each code is kept for the summary.
   */
  error(code: string, where: string, detail: string): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
    const site = `${code} @ ${where}`;
    this.sites[site] = (this.sites[site] ?? 0) + 1;
    if (!this.detailed.has(code)) {
      this.detailed.add(code);
      this.details[code] = `${where}: ${detail}`.slice(0, 300);
    }
  }

  /** A refusal that is part of the simulation (not an error). */
  expected(code: string): void {
    this.expectedCodes[code] = (this.expectedCodes[code] ?? 0) + 1;
  }

  /** An order failed; `reason` as the order view gave it. */
  failure(reason: string): void {
    const key = failureKey(reason);
    this.failures[key] = (this.failures[key] ?? 0) + 1;
  }

  take(gauges: Gauges): TickStats {
    const stats: TickStats = {
      counters: this.counters,
      latency: Object.fromEntries(LATENCIES.map((l) => [l, this.latencies[l].toSparse()])) as TickStats['latency'],
      errors: this.errors,
      expected: this.expectedCodes,
      failures: this.failures,
      errorDetails: this.details,
      errorSites: this.sites,
      gauges,
    };
    this.counters = zeroCounters();
    for (const l of LATENCIES) this.latencies[l].reset();
    this.errors = {};
    this.expectedCodes = {};
    this.failures = {};
    this.details = {};
    this.sites = {};
    return stats;
  }
}

/**
 * Reasons group by their first two clauses, short: `CANCELLED: PAYMENT_DECLINED: card expired` →
 * `CANCELLED: PAYMENT_DECLINED`, `NOT_ASSIGNED (still ACCEPTED …)` → `NOT_ASSIGNED`.
 */
export function failureKey(reason: string): string {
  const clauses = reason
    .split(/[;(\n]/)[0]
    ?.split(':')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  return (clauses ?? []).slice(0, 2).join(': ').slice(0, 80) || 'unknown';
}

/** Adds `from` into `into`, key by key. */
export function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}
