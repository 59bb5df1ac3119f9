// Means, 95 % intervals and paired differences on numbers worked out by hand.

import { describe, expect, it } from 'vitest';
import { estimate, pairedDifference, tQuantile975 } from '../sim/report/stats.ts';

describe("Student's t", () => {
  it('gives the tabulated 97.5 % quantiles', () => {
    expect(tQuantile975(1)).toBeCloseTo(12.7062, 4);
    expect(tQuantile975(2)).toBeCloseTo(4.3027, 4);
    expect(tQuantile975(4)).toBeCloseTo(2.7764, 4);
    expect(tQuantile975(30)).toBeCloseTo(2.0423, 4);
  });

  it('beyond the table, agrees with the exact quantiles within 1e-5', () => {
    // R: qt(0.975, c(31, 40, 60, 120, 1000))
    expect(tQuantile975(31)).toBeCloseTo(2.039513, 5);
    expect(tQuantile975(40)).toBeCloseTo(2.021075, 5);
    expect(tQuantile975(60)).toBeCloseTo(2.000298, 5);
    expect(tQuantile975(120)).toBeCloseTo(1.979930, 5);
    expect(tQuantile975(1000)).toBeCloseTo(1.962339, 5);
  });

  it('refuses degrees of freedom that are not whole and positive', () => {
    expect(() => tQuantile975(0)).toThrow(RangeError);
    expect(() => tQuantile975(2.5)).toThrow(RangeError);
  });
});

describe('estimate', () => {
  it('gives the mean and the t interval', () => {
    // 1…5: mean 3, sd sqrt(2.5) = 1.5811, half-width 2.7764 * 1.5811 / sqrt(5) = 1.9632
    const e = estimate([1, 2, 3, 4, 5]);
    expect(e.n).toBe(5);
    expect(e.mean).toBe(3);
    expect(e.sd).toBeCloseTo(1.58114, 5);
    expect(e.halfWidth).toBeCloseTo(1.96324, 5);
    expect(e.low).toBeCloseTo(3 - 1.96324, 5);
    expect(e.high).toBeCloseTo(3 + 1.96324, 5);
  });

  it('gives no interval for one value, rather than a fake one', () => {
    expect(estimate([7])).toEqual({ n: 1, mean: 7, sd: null, halfWidth: null, low: null, high: null });
  });

  it('gives a zero-width interval for equal values', () => {
    expect(estimate([2, 2, 2]).halfWidth).toBe(0);
  });

  it('refuses no values', () => {
    expect(() => estimate([])).toThrow(RangeError);
  });
});

describe('paired difference', () => {
  it('takes the difference seed by seed', () => {
    // differences 1, 2, 3: mean 2, sd 1, half-width 4.3027 / sqrt(3) = 2.4841; relative to the baseline's mean 2
    const d = pairedDifference([2, 4, 6], [1, 2, 3]);
    expect(d.absolute.mean).toBe(2);
    expect(d.absolute.halfWidth).toBeCloseTo(2.48414, 5);
    expect(d.relative!.mean).toBe(1);
    expect(d.relative!.low).toBeCloseTo((2 - 2.48414) / 2, 5);
    expect(d.significant).toBe(false); // the interval holds 0
  });

  it('is significant when the interval excludes 0, even where the unpaired intervals overlap', () => {
    // Each policy varies a lot with the seed, but b is always 1 above a.
    const a = [10, 50, 90], b = [11, 51.1, 90.9];
    const d = pairedDifference(b, a);
    expect(d.absolute.mean).toBeCloseTo(1, 12);
    expect(d.significant).toBe(true);
    expect(estimate(a).high! > estimate(b).low!).toBe(true);
  });

  it('has no relative difference against a baseline of 0, and no interval for one seed', () => {
    expect(pairedDifference([3, 5], [0, 0]).relative).toBeNull();
    const one = pairedDifference([3], [1]);
    expect(one.absolute.halfWidth).toBeNull();
    expect(one.significant).toBe(false);
    expect(one.relative).toEqual({ mean: 2, low: null, high: null });
  });

  it('refuses unpaired lists', () => {
    expect(() => pairedDifference([1, 2], [1])).toThrow(RangeError);
  });
});
