// Seeded random streams. Every consumer (the workload generator, each scheduler, failure
// injection) draws from its own stream, derived from the run's seed and a stable key, so that
// adding a consumer does not shift the numbers another one sees.

import seedrandom from 'seedrandom';

/** A uniform generator on [0, 1). */
export type Random = () => number;

/** The stream for `key` under the run seed. Alea: fast (about 18 ns a draw here) and seedable. */
export function stream(seed: number | string, key: string): Random {
  return seedrandom.alea(`berth/${seed}/${key}`);
}

/** Exponential variate with the given rate (mean 1/rate). */
export function exponential(random: Random, rate: number): number {
  return -Math.log(1 - random()) / rate;
}

/** Standard normal variate (Box-Muller; one of the pair is discarded to stay stateless). */
export function normal(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Log-normal variate whose median is `median` and whose log has standard deviation `sigma`. */
export function logNormal(random: Random, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(random));
}

/** Bounded Pareto variate on [low, high] with shape alpha (inverse transform). */
export function boundedPareto(random: Random, alpha: number, low: number, high: number): number {
  const u = random();
  const la = Math.pow(low, alpha);
  const ha = Math.pow(high, alpha);
  return Math.pow(-(u * ha - u * la - ha) / (ha * la), -1 / alpha);
}

/** Mean of the bounded Pareto distribution above (alpha != 1). */
export function boundedParetoMean(alpha: number, low: number, high: number): number {
  const la = Math.pow(low, alpha);
  return (la / (1 - Math.pow(low / high, alpha))) * (alpha / (alpha - 1)) *
    (1 / Math.pow(low, alpha - 1) - 1 / Math.pow(high, alpha - 1));
}

/** Picks an index with probability proportional to its weight (cumulative weights, binary search). */
export class WeightedChoice {
  private readonly cumulative: Float64Array;

  constructor(weights: readonly number[]) {
    if (weights.length === 0) throw new RangeError('WeightedChoice needs at least one weight');
    this.cumulative = new Float64Array(weights.length);
    let total = 0;
    weights.forEach((w, i) => {
      if (!(w >= 0)) throw new RangeError(`weight ${i} must be >= 0, got ${w}`);
      total += w;
      this.cumulative[i] = total;
    });
    if (!(total > 0)) throw new RangeError('WeightedChoice needs a positive total weight');
    for (let i = 0; i < this.cumulative.length; i++) this.cumulative[i]! /= total;
  }

  pick(random: Random): number {
    const u = random();
    const c = this.cumulative;
    let lo = 0, hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (u < c[mid]!) hi = mid; else lo = mid + 1;
    }
    return lo;
  }
}
