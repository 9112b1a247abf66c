// Latency distributions that merge across processes and time windows: log-spaced buckets, so a percentile is off by
// at most the bucket growth (2 %) whatever the scale, and a child sends a few hundred numbers a second, not samples.

/** Values at or below this fall in bucket 0, ms. */
const MIN_MS = 0.01;
/** Each bucket's upper bound is this factor above the previous one. */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** 0.01 ms · 1.02^1300 ≈ 1.6e9 ms (18 days): anything longer is clamped into the last bucket. */
const BUCKETS = 1_301;

/** A histogram as it crosses a process: the non-empty buckets as `[index, count]` pairs, and exact extremes. */
export interface SparseHistogram {
  readonly buckets: readonly (readonly [number, number])[];
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

export const bucketOf = (ms: number): number => (ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH)));

/** The upper bound of a bucket, ms. */
export const upperBoundOf = (bucket: number): number => MIN_MS * GROWTH ** bucket;

export class Histogram {
  private counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  static from(sparse: SparseHistogram): Histogram {
    const h = new Histogram();
    h.add(sparse);
    return h;
  }

  /** Records one value, ms (negative values are clock noise and count as 0). */
  record(ms: number): void {
    if (!Number.isFinite(ms)) return;
    const v = Math.max(0, ms);
    const b = bucketOf(v);
    this.counts[b] = (this.counts[b] ?? 0) + 1;
    this.count += 1;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  add(other: SparseHistogram | Histogram): void {
    const sparse = other instanceof Histogram ? other.toSparse() : other;
    if (sparse.count === 0) return;
    for (const [bucket, n] of sparse.buckets) if (bucket >= 0 && bucket < BUCKETS) this.counts[bucket] = (this.counts[bucket] ?? 0) + n;
    this.count += sparse.count;
    this.sum += sparse.sum;
    this.min = Math.min(this.min, sparse.min);
    this.max = Math.max(this.max, sparse.max);
  }

  /**
   * The nearest-rank `p`th percentile (0–100): the smallest recorded value with at least p % of the values at or
   * below it, to within one bucket (2 %) and never outside [min, max]. Null without samples.
   */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.count));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b] as number;
      if (seen >= rank) return b === BUCKETS - 1 ? this.max : Math.min(this.max, Math.max(this.min, upperBoundOf(b)));
    }
    return this.max;
  }

  mean(): number | null {
    return this.count === 0 ? null : this.sum / this.count;
  }

  toSparse(): SparseHistogram {
    const buckets: [number, number][] = [];
    for (let b = 0; b < BUCKETS; b++) {
      const n = this.counts[b] as number;
      if (n > 0) buckets.push([b, n]);
    }
    return { buckets, count: this.count, sum: this.sum, min: this.count === 0 ? 0 : this.min, max: this.count === 0 ? 0 : this.max };
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = Number.NEGATIVE_INFINITY;
  }
}

export const emptySparse: SparseHistogram = { buckets: [], count: 0, sum: 0, min: 0, max: 0 };
