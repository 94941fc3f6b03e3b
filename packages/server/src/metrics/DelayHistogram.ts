/** One histogram's counts as JSON: only the non-empty buckets, so snapshots merge and stay small. */
export interface DelayHistogramSnapshot {
  /** Bucket width, µs. Bucket i holds values in [i·bucketUs, (i+1)·bucketUs). */
  bucketUs: number;
  /** Number of regular buckets; values ≥ buckets·bucketUs count in `overflow`. */
  buckets: number;
  count: number;
  /** Values at or above the last bucket's upper edge (counted in `count`). */
  overflow: number;
  /** Values below 0 (clock trouble; counted in `count`, in bucket 0). */
  negative: number;
  sumUs: number;
  maxUs: number;
  /** [bucket index, count] of every non-empty regular bucket, ascending. */
  counts: [number, number][];
}

/**
 * A fixed-bucket histogram of delays in µs, preallocated once: record() only increments numbers
 * (no allocation), so it can sit on the forwarding hot path. Default: 10 µs buckets up to 200 ms,
 * plus an overflow bucket.
 *
 * Percentiles are nearest-rank (the smallest value with at least p % of the samples at or below
 * it) reported as the upper edge of that value's bucket: the true percentile lies in
 * (reported − bucketUs, reported]. A percentile that falls in the overflow bucket is Infinity.
 */
export class DelayHistogram {
  readonly bucketUs: number;
  readonly buckets: number;
  /** buckets + 1 counters; the last is the overflow. Float64: no wrap-around on a long-lived server. */
  readonly #counts: Float64Array;
  count = 0;
  negative = 0;
  sumUs = 0;
  maxUs = 0;

  constructor(bucketUs = 10, buckets = 20000) {
    if (!(bucketUs > 0) || !Number.isInteger(buckets) || buckets < 1)
      throw new RangeError('bucketUs must be > 0 and buckets a positive integer');
    this.bucketUs = bucketUs;
    this.buckets = buckets;
    this.#counts = new Float64Array(buckets + 1);
  }

  /** Hot path: one sample, in µs. */
  record(us: number): void {
    let i: number;
    if (us < 0) {
      this.negative++;
      i = 0;
    } else {
      i = Math.floor(us / this.bucketUs);
      if (i > this.buckets) i = this.buckets;
    }
    this.#counts[i]++;
    this.count++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
  }

  get overflow(): number {
    return this.#counts[this.buckets];
  }

  reset(): void {
    this.#counts.fill(0);
    this.count = 0;
    this.negative = 0;
    this.sumUs = 0;
    this.maxUs = 0;
  }

  /** Nearest-rank percentile p (0 < p ≤ 100) in µs, as its bucket's upper edge; NaN when empty. */
  percentile(p: number): number {
    return percentileOfCounts(this.#counts, this.count, this.bucketUs, p);
  }

  snapshot(): DelayHistogramSnapshot {
    const counts: [number, number][] = [];
    for (let i = 0; i < this.buckets; i++) if (this.#counts[i] !== 0) counts.push([i, this.#counts[i]]);
    return {
      bucketUs: this.bucketUs,
      buckets: this.buckets,
      count: this.count,
      overflow: this.overflow,
      negative: this.negative,
      sumUs: this.sumUs,
      maxUs: this.maxUs,
      counts,
    };
  }

  /** Adds a snapshot (e.g. another process's) into this histogram; bucket layouts must match. */
  add(s: DelayHistogramSnapshot): void {
    if (s.bucketUs !== this.bucketUs || s.buckets !== this.buckets)
      throw new RangeError('histogram layouts differ');
    for (const [i, n] of s.counts) this.#counts[i] += n;
    this.#counts[this.buckets] += s.overflow;
    this.count += s.count;
    this.negative += s.negative;
    this.sumUs += s.sumUs;
    if (s.maxUs > this.maxUs) this.maxUs = s.maxUs;
  }

  static fromSnapshots(snapshots: DelayHistogramSnapshot[]): DelayHistogram {
    const first = snapshots[0];
    const h = new DelayHistogram(first?.bucketUs ?? 10, first?.buckets ?? 20000);
    for (const s of snapshots) h.add(s);
    return h;
  }
}

function percentileOfCounts(counts: Float64Array, total: number, bucketUs: number, p: number): number {
  if (total === 0) return NaN;
  if (!(p > 0 && p <= 100)) throw new RangeError('p must be in (0, 100]');
  // Nearest rank, 1-based; the small epsilon keeps e.g. 99 % of 1000 at rank 990, not 991.
  const rank = Math.max(1, Math.ceil((p / 100) * total - 1e-9));
  let seen = 0;
  const last = counts.length - 1;
  for (let i = 0; i < last; i++) {
    seen += counts[i];
    if (seen >= rank) return (i + 1) * bucketUs;
  }
  return Infinity;
}
