import { describe, expect, it } from 'vitest';
import { RunAggregate } from '../../../scripts/simulate/aggregate.ts';
import { planWorkers, share } from '../../../scripts/simulate/coordinator.ts';
import { parseOptions, type SimOptions } from '../../../scripts/simulate/options.ts';
import type { Gauges, TickStats } from '../../../scripts/simulate/protocol.ts';
import type { SimRestaurant } from '../../../scripts/simulate/setup.ts';
import { failureKey, StatsRecorder } from '../../../scripts/simulate/stats.ts';
import { buildSummary, formatSummary } from '../../../scripts/simulate/summary.ts';

const T0 = Date.parse('2024-05-01T12:00:00Z');

function options(...argv: string[]): SimOptions {
  const parsed = parseOptions(argv, () => 7);
  if (!parsed.ok || parsed.value.help) throw new Error('bad test options');
  return parsed.value.options;
}

const gauges = (over: Partial<Gauges> = {}): Gauges => ({
  driverSockets: 10,
  customerSockets: 2,
  restaurantSockets: 1,
  socketsPlanned: 13,
  driversOnTrip: 0,
  ordersInFlight: 0,
  loopLagMs: 3,
  ...over,
});

/** One second of a process: `pings` applied at 20 ms each, and the given orders. */
function tick(pings: number, orders: { placed?: number; assigned?: number[]; delivered?: number[]; failed?: string[] } = {}, g: Partial<Gauges> = {}): TickStats {
  const s = new StatsRecorder();
  s.count('pingsSent', pings);
  s.count('pingsApplied', pings);
  for (let i = 0; i < pings; i++) s.latency('ping', 20);
  s.count('ordersPlaced', orders.placed ?? 0);
  for (const ms of orders.assigned ?? []) {
    s.count('ordersAssigned');
    s.latency('assign', ms);
  }
  for (const ms of orders.delivered ?? []) {
    s.count('ordersDelivered');
    s.latency('deliver', ms);
  }
  for (const reason of orders.failed ?? []) {
    s.count('ordersFailed');
    s.failure(reason);
  }
  return s.take(gauges(g));
}

describe('run summary', () => {
  it('given ticks from two processes over connect, load and drain, when summarised, then the JSON has every required field with the right figures', () => {
    const o = options('--drivers', '20', '--customers', '4', '--restaurants', '2', '--duration', '10');
    const agg = new RunAggregate(T0);
    agg.mark('connecting', T0);
    agg.add(0, T0 + 500, tick(0));
    agg.mark('load', T0 + 1_000);
    for (let s = 1; s <= 10; s++) {
      for (const w of [0, 1]) agg.add(w, T0 + s * 1_000 + 100, tick(5, { placed: 1, assigned: [1_000 + s * 100] }));
    }
    agg.mark('drain', T0 + 11_000);
    const errorTick = tick(5, { delivered: [20_000, 30_000], failed: ['REJECTED: simulated: the kitchen is too busy'] });
    const withError = new StatsRecorder();
    withError.error('UNAVAILABLE', 'driver:status', 'The driver service is unavailable');
    withError.error('UNAVAILABLE', 'driver:location', 'another detail, not kept');
    withError.expected('PICKUP_NOT_READY');
    agg.add(0, T0 + 12_000, errorTick);
    agg.add(1, T0 + 12_000, withError.take(gauges()));
    agg.mark('finishing', T0 + 13_000);

    const summary = buildSummary(agg, o, { processes: 2, restaurants: 2, socketsHeld: 26, socketsPlanned: 26, now: T0 + 14_000 });
    const line = JSON.parse(JSON.stringify(summary)) as Record<string, unknown>;
    for (const key of ['drivers', 'socketsHeld', 'pingsPerSec', 'ordersPlaced', 'ordersAssigned', 'ordersDelivered', 'ordersFailed', 'p50AssignMs', 'p99AssignMs', 'p99PingMs']) {
      expect(typeof line[key], key).toBe('number');
    }
    expect(line.errors).toEqual({ UNAVAILABLE: 2 });
    expect(summary).toMatchObject({
      drivers: 20,
      processes: 2,
      socketsHeld: 26,
      socketsPeak: 26,
      loadSeconds: 10,
      drainSeconds: 2,
      // 2 processes × 5 pings × 10 s of load.
      pingsPerSec: 10,
      pingsApplied: 105,
      ordersPlaced: 20,
      ordersAssigned: 20,
      ordersDelivered: 2,
      ordersFailed: 1,
      ordersOpenAtEnd: 17,
      p99PingMs: 20,
      p99DeliverMs: 30_000,
      errorDetails: { UNAVAILABLE: 'driver:status: The driver service is unavailable' },
      errorsBySite: { 'UNAVAILABLE @ driver:location': 1, 'UNAVAILABLE @ driver:status': 1 },
      expected: { PICKUP_NOT_READY: 1 },
      failureReasons: { 'REJECTED: simulated': 1 },
      simLoopLagMs: 3,
    });
    expect(summary.p50AssignMs as number).toBeGreaterThanOrEqual(1_500);
    expect(summary.p50AssignMs as number).toBeLessThanOrEqual(1_500 * 1.02);
    expect(summary.p99AssignMs as number).toBeGreaterThanOrEqual(2_000 * 0.98);
    expect(summary.p99AssignMs as number).toBeLessThanOrEqual(2_000);

    const text = formatSummary(summary);
    expect(text).toContain('20 placed, 20 assigned, 2 delivered, 1 failed');
    expect(text).toContain('UNAVAILABLE  — driver:status: The driver service is unavailable');
  });

  it('given a run without latencies, when summarised, then percentiles are null (not 0) and errors an empty object', () => {
    const agg = new RunAggregate(T0);
    agg.mark('load', T0);
    const s = buildSummary(agg, options(), { processes: 1, restaurants: 20, socketsHeld: 0, socketsPlanned: 220, now: T0 + 1_000 });
    expect(s).toMatchObject({ p50AssignMs: null, p99AssignMs: null, p99PingMs: null, errors: {}, pingsPerSec: 0, ordersPlaced: 0 });
  });

  it('given ticks, when the series is built, then every second has a point and the gauges carry over seconds without a report', () => {
    const agg = new RunAggregate(T0);
    agg.add(0, T0 + 100, tick(3, {}, { driverSockets: 5 }));
    agg.add(1, T0 + 200, tick(4, {}, { driverSockets: 7 }));
    agg.add(0, T0 + 3_100, tick(3, {}, { driverSockets: 6 }));
    const series = agg.series();
    expect(series.map((p) => p.t)).toEqual([0, 1, 2, 3]);
    expect(series.map((p) => p.counters.pingsApplied)).toEqual([7, 0, 0, 3]);
    // 5 + 7 driver sockets (+ 2 customers + 1 restaurant each).
    expect(series[1]?.sockets).toBe(18);
    expect(series[3]?.sockets).toBe(19);
    expect(agg.windowSeries()[0]?.p99.ping).toBe(20);
  });

  it('given a failure reason, when keyed, then reasons group by their first clause', () => {
    expect(failureKey('CANCELLED: PAYMENT_DECLINED: card expired')).toBe('CANCELLED: PAYMENT_DECLINED');
    expect(failureKey('REJECTED: kitchen closed')).toBe('REJECTED: kitchen closed');
    expect(failureKey('NOT_ASSIGNED (still ACCEPTED at the end of the run)')).toBe('NOT_ASSIGNED');
    expect(failureKey('')).toBe('unknown');
  });
});

describe('spreading the simulation over processes', () => {
  const restaurants: SimRestaurant[] = Array.from({ length: 5 }, (_, i) => ({
    restaurantId: `REST-${i}`,
    name: `R${i}`,
    location: { lat: 37.77, lng: -122.42 },
    items: [{ itemId: `IT-${i}`, priceCents: 500 }],
  }));

  it('given 20 000 drivers over two processes, when planned, then every driver, customer and console is in exactly one process, each within the socket limit', () => {
    const o = options('--drivers', '20000', '--customers', '101', '--orders-per-sec', '20');
    const plans = planWorkers(o, restaurants, 2);
    expect(plans.map((p) => p.drivers)).toEqual([
      { first: 0, count: 10_000 },
      { first: 10_000, count: 10_000 },
    ]);
    expect(plans.map((p) => p.customers)).toEqual([
      { first: 0, count: 51 },
      { first: 51, count: 50 },
    ]);
    expect(plans.flatMap((p) => p.consoles.map((r) => r.restaurantId)).sort()).toEqual(restaurants.map((r) => r.restaurantId));
    expect(plans.reduce((n, p) => n + p.ordersPerSec, 0)).toBeCloseTo(20);
    for (const p of plans) expect(p.drivers.count + p.customers.count + p.consoles.length).toBeLessThanOrEqual(o.maxSocketsPerProcess);
    expect(new Set(plans.map((p) => p.seed)).size).toBe(2);
  });

  it('given totals that do not divide evenly, when shared, then the ranges are consecutive and cover everything', () => {
    const parts = [0, 1, 2].map((i) => share(10, 3, i));
    expect(parts).toEqual([
      { first: 0, count: 4 },
      { first: 4, count: 3 },
      { first: 7, count: 3 },
    ]);
  });
});
