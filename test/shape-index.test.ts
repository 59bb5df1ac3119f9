// Best fit by shape where its order and the scan's could part: near-ties on nodes whose
// capacities share no factor. test/cluster-index.test.ts compares both ways of best fit with a
// scan of every node on random clusters.

import { describe, expect, it } from 'vitest';
import { Cluster } from '../sim/cluster.ts';
import { MAX_SCORE_GRAIN, ShapeIndex } from '../sim/shape-index.ts';
import { SCORE_EPSILON, mostAllocatedScore } from '../schedulers/scores.ts';
import { nodeId } from '../schedulers/contract.ts';

// Prime capacities: lcm = C · M, about 10^11, past MAX_SCORE_GRAIN.
const C = 99_991, M = 999_983;

/** x in [1, C) with M · x ≡ 1 (mod C), and y with M · x + C · y = 1. */
function unitStep(): { x: number; y: number } {
  for (let x = 1; x < C; x++) {
    if ((M % C) * x % C === 1) return { x, y: (1 - M * x) / C };
  }
  throw new Error('no inverse');
}

/** Two nodes of that shape whose keys are one apart, node 0's the larger: node 1 is fuller by 1 / lcm. */
function nearTie(): { cluster: Cluster; free: [[number, number], [number, number]] } {
  const { x, y } = unitStep();
  const free: [[number, number], [number, number]] = [[1 + x, 1], [1, 1 - y]];
  const cluster = new Cluster([0, 1].map((i) => ({ name: `n${i}`, cpu: C, memory: M, gpu: 0, labels: {} })));
  free.forEach(([fc, fm], i) => cluster.place(i, i, C - fc, M - fm, 0));
  return { cluster, free };
}

describe('best fit by shape', () => {
  it('builds a near-tie: keys one apart, scores closer than SCORE_EPSILON', () => {
    const { cluster, free } = nearTie();
    const [[c0, m0], [c1, m1]] = free;
    expect(M * c0 + C * m0 - (M * c1 + C * m1)).toBe(1);
    const score = (n: number) => mostAllocatedScore(
      cluster.allocated(nodeId(n), 'cpu'), C, cluster.allocated(nodeId(n), 'memory'), M, 1, 1);
    expect(score(1)).toBeGreaterThan(score(0));
    expect(score(1) - score(0)).toBeLessThan(SCORE_EPSILON);
    expect(C * M).toBeGreaterThan(MAX_SCORE_GRAIN);
  });

  it('would break such a tie by key, where the scan gives it to the lower index', () => {
    const { cluster } = nearTie();
    const arrays = {
      capCpu: Float64Array.of(C, C), capMem: Float64Array.of(M, M), capGpu: Float64Array.of(0, 0),
      allocCpu: Float64Array.from([0, 1], (i) => cluster.allocated(nodeId(i), 'cpu')),
      allocMem: Float64Array.from([0, 1], (i) => cluster.allocated(nodeId(i), 'memory')),
      allocGpu: Float64Array.of(0, 0), status: Uint8Array.of(1, 1),
    };
    const shapes = new ShapeIndex(arrays, 2);
    shapes.update(0, true);
    shapes.update(1, true);
    expect(shapes.ranksAsScan).toBe(false);
    expect(shapes.bestFit(1, 1, 0, true)).toBe(1);
  });

  it('so the cluster leaves such shapes to the branch and bound, which answers as the scan', () => {
    const { cluster } = nearTie();
    expect(cluster.bestFit({ cpu: 1, memory: 1, gpu: 0 }, 'most-allocated')).toBe(0);
  });

  it('keeps shapes whose capacities share factors, however large', () => {
    const big = { capCpu: Float64Array.of(128_000), capMem: Float64Array.of(1_048_576), capGpu: Float64Array.of(0),
      allocCpu: new Float64Array(1), allocMem: new Float64Array(1), allocGpu: new Float64Array(1), status: Uint8Array.of(1) };
    const shapes = new ShapeIndex(big, 1);
    shapes.update(0, true);
    expect(shapes.ranksAsScan).toBe(true);
    expect(shapes.bestFit(1000, 1024, 0, true)).toBe(0);
    expect(shapes.bestFit(128_001, 1024, 0, true)).toBe(-1);
  });
});
