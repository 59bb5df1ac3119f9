// The scale bench's judgement of growth (bench/scale.ts): the exponent k of time per task ∝ (log n)^k.

import { describe, expect, it } from 'vitest';
import { logGrowthExponent, scaleSteps } from '../bench/scale.ts';

const series = (perTask: (nodes: number) => number) => scaleSteps().map(([nodes]) => ({ nodes, microsPerTask: perTask(nodes) }));

describe('the scale bench', () => {
  it('doubles nodes and tasks in turn, from 1,000 and 100,000 to 16,000 and 3.2 million', () => {
    const steps = scaleSteps();
    expect(steps[0]).toEqual([1000, 100_000]);
    expect(steps[steps.length - 1]).toEqual([16_000, 3_200_000]);
    for (let i = 1; i < steps.length; i++) {
      const [n0, t0] = steps[i - 1]!, [n1, t1] = steps[i]!;
      expect(n1 === 2 * n0 && t1 === t0 || n1 === n0 && t1 === 2 * t0).toBe(true);
    }
  });

  it('finds k = 1 for time per task in proportion to log n, 0 for flat and 2 for (log n)²', () => {
    expect(logGrowthExponent(series((n) => 3 * Math.log(n)))).toBeCloseTo(1, 9);
    expect(logGrowthExponent(series(() => 15))).toBeCloseTo(0, 9);
    expect(logGrowthExponent(series((n) => Math.log(n) ** 2))).toBeCloseTo(2, 9);
    expect(logGrowthExponent(series((n) => Math.sqrt(n)))).toBeGreaterThan(1);
  });

  it('gives NaN for a single node count', () => {
    expect(logGrowthExponent([{ nodes: 1000, microsPerTask: 10 }, { nodes: 1000, microsPerTask: 12 }])).toBeNaN();
  });
});
