import { describe, expect, it } from 'vitest';
import { Histogram, bucketOf, middleOf } from '../sim/histogram.ts';
import { stream } from '../sim/random.ts';

/** Nearest-rank percentile of sorted values. */
const exact = (sorted: number[], p: number) => sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;

describe('Histogram', () => {
  it('is exact below 2048 and for mean, min and max', () => {
    const h = new Histogram();
    for (const v of [0, 0, 0, 1, 5, 2047]) h.record(v);
    expect(h.percentile(50)).toBe(0);
    expect(h.percentile(66)).toBe(1);
    expect(h.percentile(83.4)).toBe(2047);
    expect(h.percentile(100)).toBe(2047);
    expect(h.mean).toBeCloseTo(2053 / 6, 10);
    expect(h.count).toBe(6);
  });

  it('reports percentiles within 0.05 % of the exact nearest-rank value', () => {
    const r = stream(5, 'hist');
    const values: number[] = [];
    const h = new Histogram();
    for (let i = 0; i < 50_000; i++) {
      const v = r() < 0.3 ? 0 : Math.floor(Math.exp(r() * 40)); // up to e^40 ≈ 2.4e17 µs, clipped below 2^53
      const x = Math.min(v, 2 ** 53 - 1);
      values.push(x);
      h.record(x);
    }
    values.sort((a, b) => a - b);
    for (const p of [1, 10, 50, 90, 95, 99, 99.9, 100]) {
      const e = exact(values, p);
      expect(Math.abs(h.percentile(p) - e)).toBeLessThanOrEqual(Math.max(0, e * 0.0005));
    }
    expect(h.max).toBe(values[values.length - 1]);
  });

  it('maps every value into a bucket whose middle is within 1/2048 of it, in order', () => {
    let previous = -1;
    for (const v of [0, 1, 2047, 2048, 2049, 4095, 4096, 1e6, 123456789, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 12345, 2 ** 53 - 1]) {
      const b = bucketOf(v);
      expect(b).toBeGreaterThanOrEqual(previous);
      previous = b;
      expect(Math.abs(middleOf(b) - v)).toBeLessThanOrEqual(v / 2048 + 0.5);
    }
  });
});
