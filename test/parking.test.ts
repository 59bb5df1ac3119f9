// The smallest failed requests (FailedRequests), which policies use to pass over requests that
// cannot fit, and the platform to know when no parked task can fit; and parking itself when
// the parked tasks have more shapes than that list keeps.

import { describe, expect, it } from 'vitest';
import { FailedRequests } from '../schedulers/per-task.ts';
import { firstFit } from '../schedulers/policies/first-fit.ts';
import { nodes, simulate, task } from './helpers.ts';

const r = (cpu: number, memory: number, gpu = 0) => ({ cpu, memory, gpu });

describe('failed requests', () => {
  it('cover every request at least as large as one of them, in every resource', () => {
    const f = new FailedRequests();
    f.add(r(4, 100));
    f.add(r(8, 50));
    expect(f.covers(r(4, 100))).toBe(true);
    expect(f.covers(r(9, 60))).toBe(true);
    expect(f.covers(r(5, 60))).toBe(false); // under both in one resource or the other
    expect(f.covers(r(8, 50, 1))).toBe(true);
    f.add(r(2, 40)); // covers both: they leave
    expect(f.covers(r(2, 40))).toBe(true);
    expect(f.covers(r(3, 30))).toBe(false);
  });

  it('answer anyFits by the given test, and only yes once a request was left out', () => {
    const f = new FailedRequests(3);
    for (let i = 1; i <= 3; i++) f.add(r(i, 10 - i)); // a staircase: none covers another
    expect(f.full).toBe(false);
    expect(f.anyFits((x) => x.cpu <= 2 && x.memory <= 8)).toBe(true);
    expect(f.anyFits((x) => x.cpu <= 2 && x.memory <= 7)).toBe(false);
    f.add(r(4, 5));
    expect(f.full).toBe(true);
    expect(f.anyFits(() => false)).toBe(true);
    f.clear();
    expect(f.full).toBe(false);
    expect(f.anyFits(() => true)).toBe(false);
  });
});

describe('parking', () => {
  it('places the same when the parked tasks have more shapes than the frontier keeps', () => {
    // Four 16-core, 64 GiB nodes, filled for an hour; then 200 tasks of 200 shapes, each with
    // less cpu and more memory than the one before (no shape covers another), that wait.
    const cell = nodes([{ name: 'n', count: 4, cpu: 16, memory: 64 }]);
    const records = [
      ...Array.from({ length: 4 }, (_, i) => task(`fill${i}`, 0, 3600, 15, 60)),
      ...Array.from({ length: 200 }, (_, i) => task(`t${i}`, 1 + i, 60 + (i % 13) * 30, 8 - i * 0.03, 4 + i * 0.2)),
    ];
    const parked = simulate(cell, records, firstFit());
    const offered = simulate(cell, records, firstFit(), { reasons: true }); // every task every round
    expect(parked.sim.completed).toBe(204);
    expect(parked.rows.filter((row) => row.start > 3600e6).length).toBeGreaterThan(150); // they waited
    expect(parked.digest).toBe(offered.digest);
    expect(parked.rows).toEqual(offered.rows);
  });
});
