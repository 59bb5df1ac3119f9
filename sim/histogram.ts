// A log-linear histogram of non-negative integers (HdrHistogram's layout): values below 2048
// are counted exactly; above, each power of two is cut into 1024 buckets, so a value is known
// to within 1/1024 of itself and a percentile is reported at its bucket's middle (within
// 0.05 %). Fixed memory (about 370 KB for the full range of safe integers), and a record costs
// a few nanoseconds: bench/histogram.bench.ts measures it about 3x faster than hdr-histogram-js,
// which it replaced for speed.

const SUB_BITS = 11; // 2048 exact values, then 1024 buckets per power of two
const SUB_COUNT = 1 << SUB_BITS;
const HALF = SUB_COUNT >> 1;
const MAX_EXPONENT = 53; // values up to 2^53 - 1
const BUCKETS = SUB_COUNT + (MAX_EXPONENT - SUB_BITS + 1) * HALF;
const TWO_31 = 2 ** 31;
const TWO_32 = 2 ** 32;
const POWERS = Float64Array.from({ length: MAX_EXPONENT + 1 }, (_, i) => 2 ** i);

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  record(value: number): void {
    this.counts[bucketOf(value)]!++;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** Nearest-rank percentile (p in 0..100): the middle of the bucket holding that rank. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, middleOf(b)));
    }
    return this.max;
  }
}

/** Bucket of a non-negative safe integer. */
export function bucketOf(value: number): number {
  if (value < SUB_COUNT) return value;
  let shift: number, sub: number;
  if (value < TWO_31) {
    // Small enough for 32-bit integer arithmetic: the common case.
    shift = 31 - Math.clz32(value) - SUB_BITS + 1;
    sub = value >>> shift;
  } else {
    const high = Math.floor(value / TWO_32);
    shift = (high > 0 ? 63 - Math.clz32(high) : 31 - Math.clz32(value)) - SUB_BITS + 1;
    sub = Math.floor(value / POWERS[shift]!);
  }
  // shift >= 1, sub in [HALF, SUB_COUNT)
  return SUB_COUNT + (shift - 1) * HALF + (sub - HALF);
}

/** Middle of a bucket's value range. */
export function middleOf(bucket: number): number {
  if (bucket < SUB_COUNT) return bucket;
  const shift = Math.floor((bucket - SUB_COUNT) / HALF) + 1;
  const sub = HALF + ((bucket - SUB_COUNT) % HALF);
  const width = POWERS[shift]!;
  return sub * width + (width - 1) / 2;
}
