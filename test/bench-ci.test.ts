// The CI benchmark's judgement (bench/ci.ts): what counts as a regression, and that every case it
// measures has a committed baseline (a case without one would never fail).

import { describe, expect, it } from 'vitest';
import { CASES, isRegression, readBaseline, TOLERANCE } from '../bench/ci.ts';

describe('the CI benchmark', () => {
  it('fails a ratio more than 25 % below its baseline, and only then', () => {
    expect(TOLERANCE).toBe(0.25);
    expect(isRegression(0.0389, 0.052)).toBe(true); // 74.8 %
    expect(isRegression(0.0391, 0.052)).toBe(false); // 75.2 %
    expect(isRegression(0.06, 0.052)).toBe(false);
  });

  it('has a positive committed baseline for every case it measures, and none left over', () => {
    const baseline = readBaseline();
    expect(Object.keys(baseline).sort()).toEqual(CASES.map((c) => c.name).sort());
    for (const ratio of Object.values(baseline)) expect(ratio).toBeGreaterThan(0);
  });
});
