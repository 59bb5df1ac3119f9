// Time-weighted series of a few quantities (allocated cpu, active nodes, pending tasks…) in
// equal time buckets. Each bucket holds the exact integral of each quantity over its span, so
// a bucket's mean is exact whatever the number of changes inside it. The bucket width starts
// at one second and doubles (merging neighbours) whenever the run outgrows the bucket budget,
// so a month-long replay and a one-minute test both come out at a readable resolution in
// bounded memory.

import { MICROS_PER_SECOND } from './units.ts';

export class TimeSeries {
  /** Integrals, bucket-major: integrals[b * channels + c]. */
  private integrals: Float64Array;
  private width = MICROS_PER_SECOND;
  private buckets = 0;

  constructor(
    readonly channels: number,
    /** Start of bucket 0, µs. */
    readonly origin: number,
    private readonly maxBuckets = 2048,
  ) {
    if (maxBuckets < 2 || maxBuckets % 2 !== 0) throw new RangeError('maxBuckets must be an even number >= 2');
    this.integrals = new Float64Array(maxBuckets * channels);
  }

  /** Adds value[c] * (overlap with each bucket) for the interval [from, to). */
  add(from: number, to: number, values: Float64Array): void {
    while (to > this.origin + this.width * this.maxBuckets) this.coarsen();
    const w = this.width;
    let t = from;
    while (t < to) {
      const b = Math.floor((t - this.origin) / w);
      const end = Math.min(to, this.origin + (b + 1) * w);
      const dt = end - t;
      const base = b * this.channels;
      for (let c = 0; c < this.channels; c++) this.integrals[base + c]! += values[c]! * dt;
      if (b + 1 > this.buckets) this.buckets = b + 1;
      t = end;
    }
  }

  /** Bucket width, µs. */
  get bucketWidth(): number {
    return this.width;
  }

  /**
   * Rows of [bucket start µs, mean of each channel]. The last bucket's mean is over the time
   * it covers up to `end`.
   */
  rows(end: number): number[][] {
    const out: number[][] = [];
    for (let b = 0; b < this.buckets; b++) {
      const start = this.origin + b * this.width;
      const span = Math.min(this.width, end - start);
      if (span <= 0) break;
      const row = [start];
      for (let c = 0; c < this.channels; c++) row.push(this.integrals[b * this.channels + c]! / span);
      out.push(row);
    }
    return out;
  }

  private coarsen(): void {
    const n = this.maxBuckets, k = this.channels;
    for (let b = 0; b < n / 2; b++) {
      for (let c = 0; c < k; c++) {
        this.integrals[b * k + c] = this.integrals[2 * b * k + c]! + this.integrals[(2 * b + 1) * k + c]!;
      }
    }
    this.integrals.fill(0, (n / 2) * k);
    this.width *= 2;
    this.buckets = Math.ceil(this.buckets / 2);
  }
}
