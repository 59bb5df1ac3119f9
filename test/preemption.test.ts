// Preemption: which victims and which node (Kubernetes' DefaultPreemption rules), and the
// platform's part: evicting the victims (requeued or failed), starting the task, refusing a
// preemption with wrong victims.

import { describe, expect, it } from 'vitest';
import { nodeId, taskId, type Scheduler } from '../schedulers/contract.ts';
import { firstFit } from '../schedulers/policies/first-fit.ts';
import { binpack } from '../schedulers/policies/binpack.ts';
import { preemptionFor, victimsOn, withPreemption } from '../schedulers/preemption.ts';
import { Cluster } from '../sim/cluster.ts';
import { Simulation } from '../sim/simulation.ts';
import { nodes, overCommit, simulate, task } from './helpers.ts';

/** A cluster with tasks booked on it: [node, cpu (millicores), priority, start] each. */
function booked(spec: { count: number; cpu: number /* cores */ }, running: [number, number, number, number][]): Cluster {
  const c = new Cluster(nodes([{ name: 'n', count: spec.count, cpu: spec.cpu, memory: 64 }]));
  const info = running.map(([node, cpu, priority, start], i) => ({ id: taskId(i), name: `r${i}`, cpu, memory: 0, gpu: 0, priority, node: nodeId(node), start }));
  c.describeTasksWith((id) => info[id]);
  info.forEach((r) => c.place(r.node, r.id, r.cpu, 0, 0));
  return c;
}

const wants = (cpu: number, priority: number) => ({ id: taskId(99), name: 'p', cpu, memory: 0, gpu: 0, priority, submit: 0 });

describe('victims on a node', () => {
  it('are the fewest lowest-priority tasks that make room, reprieving the more important ones', () => {
    // One 4-core node full: r0 1 core prio 5, r1 1 core prio 1, r2 2 cores prio 2.
    const c = booked({ count: 1, cpu: 4 }, [[0, 1000, 5, 0], [0, 1000, 1, 0], [0, 2000, 2, 0]]);
    // A 1-core task of priority 10: all three are lower. Reprieve r0 (prio 5) first: 1 core
    // left free by r1+r2 (3 cores) >= 1, so r0 stays; then r2 (prio 2): r1's 1 core still
    // covers 1, so r2 stays; r1 cannot be reprieved (0 < 1). Victims: [r1].
    expect(victimsOn(wants(1000, 10), nodeId(0), c)?.map((v) => v.name)).toEqual(['r1']);
    // 3 cores: r0 reprieved (3 left >= 3), r2 not (1 < 3), r1 not: victims r1 then r2, lowest priority first.
    expect(victimsOn(wants(3000, 10), nodeId(0), c)?.map((v) => v.name)).toEqual(['r1', 'r2']);
    // Priority 3 may not evict r0 (5): r1 + r2 free 3 cores, not 4.
    expect(victimsOn(wants(4000, 3), nodeId(0), c)).toBeUndefined();
    // Equal priority is never a victim.
    expect(victimsOn(wants(1000, 1), nodeId(0), c)).toBeUndefined();
  });

  it('picks the node with the lowest top victim priority, then the fewest victims, then the latest start', () => {
    // Node 0: one 2-core task prio 3. Node 1: two 1-core tasks prio 1. Node 2: one 2-core task prio 1, started at 5.
    // Node 3: one 2-core task prio 1 started at 9 (later: preferred over node 2 on the last rule).
    const c = booked({ count: 4, cpu: 2 }, [[0, 2000, 3, 0], [1, 1000, 1, 0], [1, 1000, 1, 0], [2, 2000, 1, 5], [3, 2000, 1, 9]]);
    // Top priority 3 (node 0) loses to 1 (nodes 1-3); sum 2 (node 1) loses to 1 (nodes 2, 3); node 3 started later.
    expect(preemptionFor(wants(2000, 10), c)).toEqual({ node: 3, victims: [4] });
    // Nothing lower than priority 1: no preemption.
    expect(preemptionFor(wants(2000, 1), c)).toBeUndefined();
  });
});

describe('preemption in the simulation', () => {
  const cell = nodes([{ name: 'n', count: 2, cpu: 4, memory: 16 }]);
  const low = [0, 1, 2, 3].map((i) => task(`low${i}`, 0, 100, 2, 1, { priority: 1 }));
  const high = task('high', 10, 50, 4, 1, { priority: 9 });

  it('starts a higher-priority task at once by evicting lower ones, which requeue and finish later', () => {
    const { sim, rows } = simulate(cell, [...low, high], withPreemption(firstFit()));
    const highRow = rows.find((r) => r.task === 'high')!;
    expect(highRow.start).toBe(10e6);
    expect(sim.preemption).toEqual({ preemptions: 1, victims: 2, requeued: 2, failed: 0 });
    expect(sim.conflicts).toEqual({ notPending: 0, noRoom: 0, unsupported: 0, badVictims: 0 });
    // Every task completes; the two victims ran twice (an evicted attempt, then a full one).
    expect(sim.completed).toBe(5);
    expect(rows.filter((r) => r.task.startsWith('low')).length).toBe(6);
    expect(overCommit(cell, [...low, high], rows)).toBeUndefined();
  });

  it('fails the victims when the run says so', () => {
    const sim = new Simulation(cell, { scheduler: withPreemption(firstFit()), seed: 1, victims: 'fail' });
    for (const r of [...low, high]) sim.push(r);
    sim.run();
    expect(sim.preemption).toEqual({ preemptions: 1, victims: 2, requeued: 0, failed: 2 });
    expect(sim.completed).toBe(3);
    expect(sim.pendingCount).toBe(0);
  });

  it('never preempts without the wrapper, nor tasks of equal or higher priority', () => {
    expect(simulate(cell, [...low, high], firstFit()).sim.preemption.preemptions).toBe(0);
    const peer = task('peer', 10, 50, 4, 1, { priority: 1 });
    expect(simulate(cell, [...low, peer], withPreemption(binpack())).sim.preemption.preemptions).toBe(0);
  });

  it('places the same with and without asking for reasons, and the same for a seed', () => {
    const records = Array.from({ length: 60 }, (_, i) => task(`t${i}`, i, 30 + (i % 7) * 10, 1 + (i % 3), 1, { priority: i % 4 }));
    const a = simulate(cell, records, withPreemption(binpack()));
    const b = simulate(cell, records, withPreemption(binpack()), { reasons: true });
    expect(a.sim.preemption.preemptions).toBeGreaterThan(0);
    expect(b.digest).toBe(a.digest);
    expect(simulate(cell, records, withPreemption(binpack())).digest).toBe(a.digest);
  });

  it('refuses a preemption whose victims are not lower-priority tasks on that node', () => {
    // A cheat: evicts whatever runs on node 0 for any task, whatever the priorities.
    const cheat: Scheduler = {
      name: 'cheat',
      *decide(pending, cluster) {
        for (const t of pending) {
          const node = cluster.firstFit(t);
          if (node !== undefined) yield { kind: 'place', task: t.id, node };
          else yield { kind: 'preempt', task: t.id, node: nodeId(0), victims: cluster.tasksOn(nodeId(0)) };
        }
      },
    };
    const peer = task('peer', 10, 50, 4, 1, { priority: 1 });
    const { sim } = simulate(cell, [...low, peer], cheat);
    expect(sim.conflicts.badVictims).toBeGreaterThan(0);
    expect(sim.preemption.preemptions).toBe(0);
  });
});
