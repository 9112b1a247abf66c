import { describe, expect, it } from 'vitest';
import { bucketOf, Histogram, upperBoundOf } from '../../../scripts/simulate/histogram.ts';
import { seededRng } from '../../../scripts/simulate/rng.ts';

/** The exact nearest-rank percentile. */
function exact(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

describe('latency histogram', () => {
  it('given no samples, when asked for percentiles, then there are none (null), not zero', () => {
    const h = new Histogram();
    expect(h.percentile(50)).toBeNull();
    expect(h.mean()).toBeNull();
    expect(h.toSparse()).toEqual({ buckets: [], count: 0, sum: 0, min: 0, max: 0 });
  });

  it('given one sample, when asked for any percentile, then it is that sample', () => {
    const h = new Histogram();
    h.record(123.4);
    for (const p of [0, 50, 99, 100]) expect(h.percentile(p)).toBe(123.4);
  });

  it('given 1..100, when asked for p50, p95, p99, then they are within one bucket (2 %) of 50, 95, 99', () => {
    const h = new Histogram();
    for (let i = 1; i <= 100; i++) h.record(i);
    expect(h.percentile(50)).toBeGreaterThanOrEqual(50);
    expect(h.percentile(50)).toBeLessThanOrEqual(51);
    expect(h.percentile(95)).toBeGreaterThanOrEqual(95);
    expect(h.percentile(95)).toBeLessThanOrEqual(95 * 1.02);
    expect(h.percentile(99)).toBeLessThanOrEqual(99 * 1.02);
    expect(h.percentile(100)).toBe(100);
    expect(h.mean()).toBeCloseTo(50.5);
  });

  it('given skewed random latencies over six orders of magnitude, when compared with the exact percentiles, then each is within 2 %', () => {
    const rng = seededRng(11);
    const values = Array.from({ length: 20_000 }, () => 0.05 * Math.exp(rng() * 14));
    const h = new Histogram();
    for (const v of values) h.record(v);
    for (const p of [1, 10, 50, 90, 95, 99, 99.9]) {
      const want = exact(values, p);
      const got = h.percentile(p) as number;
      expect(got).toBeGreaterThanOrEqual(want * 0.98);
      expect(got).toBeLessThanOrEqual(want * 1.02);
    }
    expect(h.min).toBe(Math.min(...values));
    expect(h.max).toBe(Math.max(...values));
  });

  it('given samples split over three processes, when their sparse forms are merged, then the result equals one histogram of all samples', () => {
    const rng = seededRng(12);
    const all = new Histogram();
    const parts = [new Histogram(), new Histogram(), new Histogram()];
    for (let i = 0; i < 3_000; i++) {
      const v = rng() * 500;
      all.record(v);
      (parts[i % 3] as Histogram).record(v);
    }
    const merged = new Histogram();
    // Through JSON, as over IPC.
    for (const part of parts) merged.add(JSON.parse(JSON.stringify(part.toSparse())));
    expect(merged.toSparse()).toEqual(all.toSparse());
    for (const p of [50, 95, 99]) expect(merged.percentile(p)).toBe(all.percentile(p));
  });

  it('given negative, zero, huge and non-finite values, when recorded, then negatives count as 0 (to within the first bucket), huge ones are kept, NaN is ignored', () => {
    const h = new Histogram();
    h.record(-5);
    h.record(0);
    h.record(1e12);
    h.record(Number.NaN);
    expect(h.count).toBe(3);
    expect(h.percentile(10)).toBeLessThanOrEqual(0.01);
    expect(h.percentile(100)).toBe(1e12);
  });

  it('given any value, when bucketed, then it lies at or below its bucket upper bound and above the previous one', () => {
    const rng = seededRng(13);
    for (let i = 0; i < 5_000; i++) {
      const v = 0.02 + rng() * 100_000;
      const b = bucketOf(v);
      expect(v).toBeLessThanOrEqual(upperBoundOf(b) * (1 + 1e-12));
      expect(v).toBeGreaterThan(upperBoundOf(b - 1) * (1 - 1e-12));
    }
  });

  it('given a histogram, when reset, then it is empty again', () => {
    const h = new Histogram();
    h.record(5);
    h.reset();
    expect(h.count).toBe(0);
    expect(h.percentile(50)).toBeNull();
  });
});
