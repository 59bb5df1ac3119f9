import { describe, expect, it } from 'vitest';
import { WeightedChoice, boundedPareto, boundedParetoMean, exponential, logNormal, stream } from '../sim/random.ts';

const draws = (n: number, f: () => number) => Array.from({ length: n }, f);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('seeded streams', () => {
  it('repeat for the same seed and key, and differ across seeds and keys', () => {
    const a = draws(5, stream(1, 'x'));
    expect(draws(5, stream(1, 'x'))).toEqual(a);
    expect(draws(5, stream(2, 'x'))).not.toEqual(a);
    expect(draws(5, stream(1, 'y'))).not.toEqual(a);
  });

  it('are independent: drawing from one does not shift another', () => {
    const x = stream(1, 'x');
    const alone = draws(5, stream(1, 'y'));
    draws(100, x);
    expect(draws(5, stream(1, 'y'))).toEqual(alone);
  });
});

describe('distributions', () => {
  // 200,000 draws: the standard error of each sample mean below is under 0.5 % of the mean.
  const n = 200_000;

  it('exponential has mean 1/rate', () => {
    const r = stream(3, 'exp');
    expect(mean(draws(n, () => exponential(r, 0.5)))).toBeCloseTo(2, 1);
  });

  it('log-normal has the given median', () => {
    const r = stream(3, 'ln');
    const xs = draws(n, () => logNormal(r, 240, 1.4)).sort((a, b) => a - b);
    expect(xs[n / 2]! / 240).toBeCloseTo(1, 1);
  });

  it('bounded Pareto stays in bounds and has the mean of its formula', () => {
    const r = stream(3, 'bp');
    const xs = draws(n, () => boundedPareto(r, 1.5, 10, 1000));
    expect(xs.reduce((a, b) => Math.min(a, b))).toBeGreaterThanOrEqual(10);
    expect(xs.reduce((a, b) => Math.max(a, b))).toBeLessThanOrEqual(1000);
    // alpha 1.5 on [10, 1000]: mean = 10^1.5/(1-0.01^1.5) * 3 * (10^-0.5 - 1000^-0.5) = 27.0 (to 3 digits)
    expect(boundedParetoMean(1.5, 10, 1000)).toBeCloseTo(27.0, 1);
    expect(mean(xs) / boundedParetoMean(1.5, 10, 1000)).toBeCloseTo(1, 1);
  });

  it('WeightedChoice picks in proportion to the weights', () => {
    const r = stream(3, 'wc');
    const choice = new WeightedChoice([1, 0, 3]);
    const counts = [0, 0, 0];
    for (let i = 0; i < n; i++) counts[choice.pick(r)]!++;
    expect(counts[1]).toBe(0);
    expect(counts[0]! / n).toBeCloseTo(0.25, 2);
    expect(() => new WeightedChoice([])).toThrow();
    expect(() => new WeightedChoice([0, 0])).toThrow();
  });
});
