// Queueing theory: one-core tasks with Poisson arrivals and exponential service on c one-core
// nodes, scheduled greedily in FIFO order, are an M/M/c queue, whose mean wait in queue is
// Erlang C's formula. A test of the engine, the queue and the bookkeeping together.

import { describe, expect, it } from 'vitest';
import { expandGroups } from '../sim/cluster-file.ts';
import { firstFit } from '../schedulers/policies/first-fit.ts';
import { mmcCell, mmcWorkload } from '../traces/synthetic/mmc.ts';
import { simulate } from './helpers.ts';

/** Erlang C: probability of waiting, with c servers and offered load a = λ/μ (in servers). */
function erlangC(c: number, a: number): number {
  let term = 1; // a^k / k!
  let sum = 0;
  for (let k = 0; k < c; k++) {
    sum += term;
    term *= a / (k + 1);
  }
  const tail = term / (1 - a / c); // a^c / c! · 1 / (1 - ρ)
  return tail / (sum + tail);
}

describe('M/M/c', () => {
  for (const [c, rho] of [[1, 0.5], [8, 0.8], [32, 0.9]] as const) {
    it(`matches Erlang C's mean wait with ${c} server(s) at ρ = ${rho}`, () => {
      const meanService = 60;
      const nodes = expandGroups(mmcCell(c));
      const records = [...mmcWorkload({ tasks: 200_000, load: rho, seed: 11, nodes, meanService })];
      const { rows, sim } = simulate(nodes, records, firstFit());
      expect(sim.completed).toBe(records.length);
      const lambda = (rho * c) / meanService;
      const expected = erlangC(c, lambda * meanService) / (c / meanService - lambda);

      // Waits in arrival order, after a warm-up of 5 % (the queue starts empty, which biases
      // early waits low). The tolerance is four standard errors of the mean, estimated from 20
      // batch means (waits of neighbouring tasks are correlated, so the plain sample variance
      // would understate it); a correct engine fails this about once in 15,000 seeds.
      const waits = rows.sort((a, b) => a.submit - b.submit).map((r) => (r.start - r.submit) / 1e6);
      const kept = waits.slice(Math.floor(waits.length * 0.05));
      const size = Math.floor(kept.length / 20);
      const means = Array.from({ length: 20 }, (_, i) => kept.slice(i * size, (i + 1) * size).reduce((a, b) => a + b, 0) / size);
      const mean = means.reduce((a, b) => a + b, 0) / 20;
      const se = Math.sqrt(means.reduce((a, b) => a + (b - mean) ** 2, 0) / 19 / 20);
      expect(Math.abs(mean - expected)).toBeLessThan(4 * se);
      expect(se / expected).toBeLessThan(0.1); // the test has the power to see a 40 % error
    });
  }
});
