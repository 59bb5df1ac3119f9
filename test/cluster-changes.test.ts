// Machines that join, leave, fail and change capacity during a replay; dependencies between
// tasks; constraints on node labels; and replaying the trace's own placement.

import { describe, expect, it } from 'vitest';
import { binpack } from '../schedulers/policies/binpack.ts';
import { firstFit } from '../schedulers/policies/first-fit.ts';
import { Simulation, type AttemptRow } from '../sim/simulation.ts';
import type { NodeSpec } from '../sim/cluster-file.ts';
import { secondsToMicros } from '../sim/units.ts';
import type { TaskRecord, TraceRecord } from '../traces/record.ts';
import { nodes, task } from './helpers.ts';

const s = secondsToMicros;

function replay(cluster: readonly NodeSpec[], records: readonly TraceRecord[], opts: { trace?: boolean; scheduler?: 'ff' | 'binpack' } = {}) {
  const rows: AttemptRow[] = [];
  const sim = new Simulation(cluster, {
    scheduler: opts.scheduler === 'binpack' ? binpack() : firstFit(), seed: 1,
    replay: opts.trace ? 'trace' : 'reschedule', onAttemptEnd: (r) => rows.push(r),
  });
  for (const r of records) sim.push(r);
  sim.run();
  return { sim, rows, runs: rows.map((r) => [r.task, r.node, r.start / 1e6, r.end / 1e6]) };
}

const node = (time: number, name: string, change: 'add' | 'remove' | 'fail' | 'recover' | 'update', capacity?: [number, number]): TraceRecord => ({
  kind: 'node', time: s(time), node: name, change,
  ...(capacity && { capacity: { cpu: capacity[0] * 1000, memory: capacity[1] * 1024, gpu: 0 } }),
});

describe('machines that change during a replay', () => {
  it('waits for a machine that joins later, and counts a change to a machine it does not know', () => {
    const cluster: NodeSpec[] = [{ name: 'late', cpu: 2000, memory: 2048, gpu: 0, labels: {}, status: 'absent' }];
    const { runs, sim } = replay(cluster, [task('A', 0, 10, 1, 1), node(5, 'late', 'add'), node(6, 'ghost', 'remove')]);
    expect(runs).toEqual([['A', 'late', 5, 15]]);
    expect(sim.unknownNodeRecords).toBe(1);
  });

  it('evicts and requeues the tasks of a machine that leaves, which run elsewhere', () => {
    const cluster = nodes([{ name: 'a', cpu: 1, memory: 1 }, { name: 'b', cpu: 1, memory: 1 }]);
    const { runs, sim } = replay(cluster, [task('A', 0, 100, 1, 1), task('B', 0, 10, 1, 1), node(50, 'a', 'remove')]);
    expect(sim.evicted).toBe(1);
    expect(runs).toEqual([['B', 'b', 0, 10], ['A', 'a', 0, 50], ['A', 'b', 50, 150]]);
    expect(sim.cluster.status(0 as never)).toBe('absent');
  });

  it('on a smaller capacity, evicts the latest started tasks until the rest fit; on a larger one, places what waits', () => {
    const cluster = nodes([{ name: 'a', cpu: 4, memory: 8 }]);
    const { runs } = replay(cluster, [
      task('first', 0, 100, 2, 1), task('second', 1, 100, 2, 1), task('big', 2, 10, 4, 1),
      node(10, 'a', 'update', [3, 8]), node(20, 'a', 'update', [8, 8]),
    ]);
    // 'big' waits for room. At 10 the node shrinks to 3 cores: 'second' (started last) goes
    // back to the queue, at its place before 'big'. At 20 the node grows to 8: both start.
    expect(runs).toEqual([['second', 'a', 1, 10], ['big', 'a', 20, 30], ['first', 'a', 0, 100], ['second', 'a', 20, 120]]);
  });

  it('does not bring back a failed machine by a remove, nor count its capacity twice', () => {
    const cluster = nodes([{ name: 'a', cpu: 1, memory: 1 }]);
    const { sim } = replay(cluster, [node(1, 'a', 'fail'), node(2, 'a', 'remove'), node(3, 'a', 'add'), task('A', 4, 1, 1, 1)]);
    expect(sim.completed).toBe(1);
    expect(sim.cluster.upCapacity('cpu')).toBe(1000);
  });
});

describe('dependencies between groups of a job', () => {
  const dag = (id: string, submit: number, duration: number, group: string, size: number, after?: string[]): TaskRecord => ({
    ...task(id, submit, duration, 1, 1), job: 'j1', group, groupSize: size, ...(after && { after }),
  });

  it('starts a task only once every task of the groups it depends on has finished', () => {
    const cluster = nodes([{ name: 'a', cpu: 4, memory: 8 }]);
    const { runs } = replay(cluster, [
      dag('m1-0', 0, 10, '1', 2), dag('m1-1', 0, 30, '1', 2), dag('r2', 5, 5, '2', 1, ['1']), dag('r3', 6, 1, '3', 1, ['9']),
    ]);
    // r2 arrives at 5 but waits for both tasks of group 1 (the last ends at 30); r3 depends on a
    // group never seen, which counts as done.
    expect(runs).toEqual([['r3', 'a', 6, 7], ['m1-0', 'a', 0, 10], ['m1-1', 'a', 0, 30], ['r2', 'a', 30, 35]]);
  });

  it('leaves a task blocked, not pending, when what it depends on never finishes', () => {
    const cluster = nodes([{ name: 'a', cpu: 1, memory: 1 }]);
    const { sim } = replay(cluster, [dag('huge', 0, 1, '1', 1), dag('after', 1, 1, '2', 1, ['1'])].map((r, i) => (i === 0 ? { ...r, cpu: 9000 } : r)));
    expect(sim.unschedulable).toBe(1);
    expect(sim.blockedCount).toBe(1);
    expect(sim.pendingCount).toBe(0);
  });
});

describe('constraints on node labels', () => {
  const cluster: NodeSpec[] = [
    { name: 'a', cpu: 4000, memory: 4096, gpu: 0, labels: { zone: 'a', gen: '2' } },
    { name: 'b', cpu: 4000, memory: 4096, gpu: 0, labels: { zone: 'b', gen: '3' } },
  ];

  for (const scheduler of ['ff', 'binpack'] as const) {
    it(`are met by ${scheduler === 'ff' ? 'first-fit' : 'binpack'}, and a task nothing satisfies waits`, () => {
      const { runs, sim } = replay(cluster, [
        { ...task('in-b', 0, 10, 1, 1), constraints: [{ label: 'zone', op: '==', value: 'b' }] },
        { ...task('new-gen', 0, 10, 1, 1), constraints: [{ label: 'gen', op: '>', value: '2' }] },
        { ...task('not-a', 0, 10, 1, 1), constraints: [{ label: 'zone', op: '!=', value: 'a' }] },
        { ...task('gpu', 0, 10, 1, 1), constraints: [{ label: 'gpu-model', op: 'in', value: 'T4', values: ['T4', 'V100'] }] },
      ], { scheduler });
      expect(runs.map((r) => [r[0], r[1]]).sort()).toEqual([['in-b', 'b'], ['new-gen', 'b'], ['not-a', 'b']]);
      expect(sim.pendingCount).toBe(1);
    });
  }
});

describe('replaying the trace\'s own placement', () => {
  it('starts each task where and when its record says, counting over-commits, unknown nodes and tasks never placed', () => {
    const cluster = nodes([{ name: 'a', cpu: 1, memory: 1 }]);
    const { runs, sim } = replay(cluster, [
      { ...task('x', 0, 10, 1, 1), placed: { node: 'a', start: s(2) } },
      { ...task('y', 1, 5, 1, 1), placed: { node: 'a', start: s(3) } },
      { ...task('z', 1, 5, 1, 1), placed: { node: 'nowhere', start: s(3) } },
      task('never', 1, 5, 1, 1),
    ], { trace: true });
    expect(runs).toEqual([['y', 'a', 3, 8], ['x', 'a', 2, 12]]);
    expect(sim.traceReplay).toEqual({ neverPlaced: 1, unknownNode: 1, overCommits: 1 });
    expect(sim.rounds).toBe(0);
  });
});
