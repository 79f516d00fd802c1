/*
 * Fixed-size log-linear latency histogram (HDR-style): 16 sub-buckets per power of two, so
 * any value is known to within 1/16 (6.25 %); values below 16 ns are exact. 464 counters cover
 * the whole u32 range (0 .. 4.29 s). Recording allocates nothing.
 */

const SUB_BITS = 4;
const SUB = 1 << SUB_BITS;
const BUCKETS = (32 - SUB_BITS + 1) * SUB;

/** Bucket index of a u32 value. */
function bucketOf(v: number): number {
  if (v < SUB) return v;
  const e = 31 - Math.clz32(v); // position of the top bit, >= SUB_BITS
  return (e - SUB_BITS + 1) * SUB + ((v >>> (e - SUB_BITS)) & (SUB - 1));
}

/** Highest value that falls into bucket `k` (what percentiles report: a safe upper bound). */
function bucketTop(k: number): number {
  if (k < SUB) return k;
  const e = (k >>> SUB_BITS) + SUB_BITS - 1;
  const low = (SUB + (k & (SUB - 1))) * 2 ** (e - SUB_BITS);
  return low + 2 ** (e - SUB_BITS) - 1;
}

/** Latency summary in ns; percentiles are bucket upper bounds, capped by the exact max. */
export interface LatencySummary {
  samples: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Counts u32 nanosecond values. */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private n = 0;
  private sum = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = 0;

  /** Records one value in ns (0 .. 2^32 - 1). */
  record(ns: number): void {
    const k = bucketOf(ns);
    this.counts[k] = (this.counts[k] as number) + 1;
    this.n++;
    this.sum += ns;
    if (ns < this.lo) this.lo = ns;
    if (ns > this.hi) this.hi = ns;
  }

  /** The value at quantile q (0..1): the top of the bucket holding the ceil(q*n)-th sample. */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let k = 0; k < BUCKETS; k++) {
      seen += this.counts[k] as number;
      if (seen >= rank) return Math.min(bucketTop(k), this.hi);
    }
    return this.hi;
  }

  summary(): LatencySummary {
    return {
      samples: this.n,
      min: this.n === 0 ? 0 : this.lo,
      mean: this.n === 0 ? 0 : Math.round(this.sum / this.n),
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
      p999: this.quantile(0.999),
      max: this.hi,
    };
  }

  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.sum = 0;
    this.lo = Number.POSITIVE_INFINITY;
    this.hi = 0;
  }
}
