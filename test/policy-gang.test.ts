// gang: the tasks of a gang (one group of one job, groupSize > 1) start at the same instant or
// not at all. Hand-made cases (times in seconds, amounts in cores), then the conformance checks
// on a workload of gangs with failing nodes (the suite's own workload has no groups).

import { describe, expect, it } from 'vitest';
import { createScheduler } from '../schedulers/registry.ts';
import { gang, gangOf, planGang } from '../schedulers/policies/gang.ts';
import { firstFit } from '../schedulers/policies/first-fit.ts';
import { Cluster } from '../sim/cluster.ts';
import { taskId, type PendingTask, type Scheduler } from '../schedulers/contract.ts';
import type { TaskRecord } from '../traces/record.ts';
import { productionWorkload } from '../traces/synthetic/production.ts';
import { nodes, overCommit, simulate, task, type NodeEventAt } from './helpers.ts';

/** A member of gang `group` of job j (of `size`), `cpu` cores, submitted at `submit`, running `duration` s. */
const member = (id: string, group: string, size: number, submit: number, duration: number, cpu: number): TaskRecord =>
  ({ ...task(id, submit, duration, cpu, 1), job: 'j', group, groupSize: size });

function run(records: TaskRecord[], scheduler: Scheduler, cell = nodes([{ name: 'n', count: 2, cpu: 4, memory: 64 }]), nodeEvents: NodeEventAt[] = []) {
  const { rows, sim } = simulate(cell, records, scheduler, { nodeEvents });
  return { rows, sim, start: Object.fromEntries(rows.map((r) => [r.task, r.start / 1e6])) };
}

describe('gang', () => {
  // Two nodes of 4 cores. F1 (4 cores) holds n-0 until 100; F2 (3 cores) holds n-1 until 50.
  // The gang g (3 members of 2 cores) arrives at 1. At 50 n-1 frees: two members would fit
  // there, the third nowhere, so none starts. T (1 core) arrives at 60 and starts on n-1. At
  // 100 n-0 frees: members on n-0, n-0 and n-1 (3 cores free there): all three start at 100.
  const records = [
    task('F1', 0, 100, 4, 1), task('F2', 0, 50, 3, 1),
    member('g1', 'g', 3, 1, 10, 2), member('g2', 'g', 3, 1, 10, 2), member('g3', 'g', 3, 1, 10, 2),
    task('T', 60, 10, 1, 1),
  ];

  it('starts a gang that fits only once a node frees with all its members at the same instant', () => {
    const { start, rows } = run(records, gang());
    expect(start).toEqual({ F1: 0, F2: 0, g1: 100, g2: 100, g3: 100, T: 60 });
    expect(rows.filter((r) => r.task.startsWith('g')).map((r) => r.node).sort()).toEqual(['n-0', 'n-0', 'n-1']);
  });

  it('where first fit starts the members one by one as room appears', () => {
    // At 50 two members start on n-1; the third starts when they end, at 60.
    const { start } = run(records, firstFit());
    expect([start.g1, start.g2, start.g3]).toEqual([50, 50, 60]);
  });

  it('never starts a gang bigger than the cluster can hold, not even in part, and runs the other tasks', () => {
    // 4 members of 3 cores on two nodes of 4: at most two fit at once, ever.
    const big = [0, 1, 2, 3].map((i) => member(`b${i}`, 'big', 4, 0, 10, 3));
    const { rows, sim } = run([...big, task('x', 0, 10, 3, 1), task('y', 5, 10, 3, 1)], gang());
    expect(rows.map((r) => r.task).sort()).toEqual(['x', 'y']);
    expect(sim.pendingCount).toBe(4);
  });

  it('waits until every member has arrived', () => {
    // groupSize 3: two members at 0, the third at 30.
    const late = [member('a', 'h', 3, 0, 10, 1), member('b', 'h', 3, 0, 10, 1), member('c', 'h', 3, 30, 10, 1)];
    expect(run(late, gang()).start).toEqual({ a: 30, b: 30, c: 30 });
  });

  it('restarts on its own a member evicted after its gang started', () => {
    // The gang (2 members of 3 cores) starts at 0 on n-0 and n-1; n-1 fails at 20 and comes back
    // at 40: its member is requeued and starts alone at 40, while the other runs on.
    const pair = [member('p', 'q', 2, 0, 100, 3), member('r', 'q', 2, 0, 100, 3)];
    const events: NodeEventAt[] = [{ time: 20, node: 1, kind: 'fail' }, { time: 40, node: 1, kind: 'recover' }];
    const { rows } = run(pair, gang(), undefined, events);
    expect(rows.map((r) => [r.task, r.node, r.start / 1e6, r.end / 1e6])).toEqual([
      ['r', 'n-1', 0, 20], ['p', 'n-0', 0, 100], ['r', 'n-1', 40, 140],
    ]);
  });

  it('honours its members\' rules on one another: anti-affinity puts them on distinct nodes, or none starts', () => {
    // Three nodes of 4 cores; each member shuns its own gang's members on its node. Gang a (3
    // members of 1 core) takes n-0, n-1 and n-2, though n-0 alone has room for all three (its
    // plan counts the members before it). Gang b (4 members) cannot spread over 3 nodes: it never
    // starts, and no placement is refused on commit.
    const apart = (id: string, group: string, size: number) =>
      ({ ...member(id, group, size, 0, 10, 1), antiAffinity: [{ to: { group }, scope: 'node', required: true }] });
    const { rows, sim } = run([...[0, 1, 2].map((i) => apart(`a${i}`, 'a', 3)), ...[0, 1, 2, 3].map((i) => apart(`b${i}`, 'b', 4))],
      gang(), nodes([{ name: 'n', count: 3, cpu: 4, memory: 64 }]));
    expect(rows.map((r) => [r.task, r.node, r.start])).toEqual([['a0', 'n-0', 0], ['a1', 'n-1', 0], ['a2', 'n-2', 0]]);
    expect(sim.pendingCount).toBe(4);
    expect(sim.conflicts).toMatchObject({ notPending: 0, noRoom: 0 });
  });

  it('plans members on its own copy of the free room, first fit', () => {
    // n0 has 4 cores free, n1 2: members of 2, 2, 2 cores go to n0, n0, n1; a fourth finds none.
    const c = new Cluster(nodes([{ name: 'n', count: 2, cpu: 4, memory: 64 }]));
    c.place(1, 99, 2000, 1024, 0);
    const m = (i: number): PendingTask => ({ id: taskId(i), name: `m${i}`, cpu: 2000, memory: 1024, gpu: 0, priority: 0, submit: 0 });
    expect(planGang([m(0), m(1), m(2)], c)).toEqual({ nodes: [0, 0, 1] });
    expect(planGang([m(0), m(1), m(2), m(3)], c)).toEqual({ failed: m(3) });
  });

  it('places as first fit does when no task is in a gang', () => {
    const cell = nodes([{ name: 'n', count: 20, cpu: 16, memory: 64 }]);
    const plain = [...productionWorkload({ tasks: 3000, load: 1.2, seed: 3, nodes: cell })];
    expect(simulate(cell, plain, gang()).digest).toBe(simulate(cell, plain, firstFit()).digest);
  });

  it('says what a gang is: a job\'s group of more than one task', async () => {
    expect(gangOf({ job: 'j', group: 'g', groupSize: 3 })).toBe('j\u0000g');
    expect(gangOf({ job: 'j', group: 'g', groupSize: 1 })).toBeUndefined();
    expect(gangOf({ job: 'j', groupSize: 3 })).toBeUndefined();
    await expect(createScheduler('gang', { size: 2 })).rejects.toThrow(/gang takes no options; got size/);
  });

  describe('the conformance checks, on a workload of gangs', () => {
    // 12 nodes of 8 cores; 300 gangs of 1-6 members of 1-4 cores and 30-600 s, some arriving
    // member by member; two nodes fail for a while.
    const cell = nodes([{ name: 'n', count: 12, cpu: 8, memory: 64 }]);
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const records: TaskRecord[] = [];
    let t = 0;
    for (let g = 0; g < 300; g++) {
      t += Math.floor(rand() * 20);
      const size = 1 + Math.floor(rand() * 6);
      const cpu = 1 + Math.floor(rand() * 4);
      const duration = 30 + Math.floor(rand() * 570);
      const spread = rand() < 0.2;
      for (let k = 0; k < size; k++) {
        records.push({ ...task(`g${g}-${k}`, t + (spread ? k : 0), duration, cpu, 1), job: `job${g}`, group: 'all', groupSize: size });
      }
    }
    records.sort((a, b) => a.submit - b.submit);
    const events: NodeEventAt[] = [{ time: 500, node: 2, kind: 'fail' }, { time: 1500, node: 2, kind: 'recover' }, { time: 800, node: 7, kind: 'fail' }, { time: 900, node: 7, kind: 'recover' }];
    const sim = (reasons = false) => simulate(cell, records, gang(), { seed: 1, nodeEvents: events, reasons });

    it('starts every gang\'s members at one instant, never over-commits, is reproducible and places the same when asked why tasks wait', () => {
      const a = sim();
      expect(a.sim.conflicts).toMatchObject({ notPending: 0, noRoom: 0 });
      expect(overCommit(cell, records, a.rows, events)).toBeUndefined();
      expect(a.sim.completed).toBe(records.length);
      expect(a.sim.evicted).toBeGreaterThan(0);
      // The first start of each member of a gang: one instant per gang.
      const first = new Map<string, number>();
      for (const r of a.rows) if (!first.has(r.task)) first.set(r.task, r.start);
      const instants = new Map<string, Set<number>>();
      for (const [name, start] of first) {
        const g = name.split('-')[0]!;
        instants.set(g, (instants.get(g) ?? new Set()).add(start));
      }
      expect([...instants].filter(([, s]) => s.size > 1)).toEqual([]);
      expect(sim().digest).toBe(a.digest);
      const explained = sim(true);
      expect(explained.rows).toEqual(a.rows);
      expect(explained.sim.waitReasons.constraint + explained.sim.waitReasons.fragmented).toBeGreaterThan(0);
    });
  });
});
