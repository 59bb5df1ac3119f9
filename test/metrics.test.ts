// The metrics a comparison needs, on cases small enough to work out by hand: fragmentation,
// node balance, slowdown, waits per priority, cost and up node-hours; and that adding them
// changed no placement.

import { describe, expect, it } from 'vitest';
import { Cluster } from '../sim/cluster.ts';
import { parseClusterFile } from '../sim/cluster-file.ts';
import { InputError } from '../sim/errors.ts';
import { fragmentation } from '../sim/fragmentation.ts';
import { NodeBalance } from '../sim/node-balance.ts';
import { runSimulation } from '../sim/run.ts';
import { summarize, type RunRecord, type Summary } from '../sim/summary.ts';
import { MIB_PER_GIB, MILLI_PER_CORE } from '../sim/units.ts';
import { taskId, type PendingTask } from '../schedulers/contract.ts';
import { firstFit } from '../schedulers/policies/first-fit.ts';
import { nodes, simulate, task } from './helpers.ts';
import type { TaskRecord } from '../traces/record.ts';
import type { NodeGroup } from '../sim/cluster-file.ts';

const RECORD: RunRecord = {
  berth: 'test', scheduler: 'first-fit', schedulerOptions: {}, seed: 1, queue: 'greedy', replay: 'reschedule',
  cluster: { preset: 'test', nodes: 0 }, workload: { preset: 'test', tasks: 0, load: 0 }, command: 'test',
};

function summaryOf(groups: NodeGroup[], records: TaskRecord[]): Summary {
  const { sim, digest } = simulate(nodes(groups), records, firstFit());
  return summarize(sim, digest, RECORD, 0, false);
}

const pendingTask = (id: number, cpu: number, memory: number, gpu = 0): PendingTask => ({
  id: taskId(id), name: `t${id}`, cpu: cpu * MILLI_PER_CORE, memory: memory * MIB_PER_GIB, gpu, priority: 0, submit: 0,
});

describe('fragmentation', () => {
  const cluster = () => new Cluster(nodes([{ name: 'n', count: 2, cpu: 4, memory: 8 }]));

  it('is 0 when nothing is pending', () => {
    expect(fragmentation(cluster(), [])).toEqual({ cpu: 0, memory: 0 });
  });

  it('counts the free room of nodes where the smallest pending request does not fit', () => {
    const c = cluster();
    // node 0: 1 core and 1 GiB free; node 1: 0.5 cores and 5 GiB free.
    c.place(0, 0, 3 * MILLI_PER_CORE, 7 * MIB_PER_GIB, 0);
    c.place(1, 1, 3.5 * MILLI_PER_CORE, 3 * MIB_PER_GIB, 0);
    // Pending: (3 cores, 1 GiB) and (1 core, 7 GiB); the smallest request per resource is (1 core, 1 GiB).
    const pending = [pendingTask(2, 3, 1), pendingTask(3, 1, 7)];
    // It fits on node 0, not on node 1: cpu 0.5 / (1 + 0.5) = 1/3 stranded, memory 5 / (1 + 5) = 5/6.
    const f = fragmentation(c, pending);
    expect(f.cpu).toBeCloseTo(1 / 3, 12);
    expect(f.memory).toBeCloseTo(5 / 6, 12);
  });

  it('leaves out nodes that are not up, and counts gpu requests', () => {
    const c = new Cluster(nodes([{ name: 'g', count: 1, cpu: 4, memory: 8, gpu: 1 }, { name: 'c', count: 1, cpu: 4, memory: 8 }]));
    c.setStatus(0, 'down');
    // Only a gpu task waits: the cpu node's room is of no use to it, all of it stranded.
    expect(fragmentation(c, [pendingTask(0, 1, 1, 1000)])).toEqual({ cpu: 1, memory: 1 });
    c.setStatus(0, 'up');
    // Now the gpu node could hold it: only the cpu node's half of the free room is stranded.
    expect(fragmentation(c, [pendingTask(0, 1, 1, 1000)])).toEqual({ cpu: 0.5, memory: 0.5 });
  });

  it('is time-weighted over the window in the summary: stranded while a task waits, 0 after', () => {
    // One node of 4 cores. A (3 cores) runs 0-100 s; B (2 cores) waits until 100 s, then runs to 200 s.
    const s = summaryOf([{ cpu: 4, memory: 8 }], [task('a', 0, 100, 3, 1), task('b', 0, 100, 2, 1)]);
    // Samples every 4 s from 0 to 200: those at 4…100 s see B waiting (the one at 100 s sees
    // the state just before A ends), so 25 of 51.
    expect(s.fragmentation.cpu).toBeCloseTo(25 / 51, 4);
    expect(s.fragmentation.samples).toBe(51);
  });
});

describe('node balance', () => {
  it('keeps the standard deviation and CV of cpu utilization across up nodes', () => {
    const b = new NodeBalance(3, () => true);
    b.set(0, 0.5);
    b.set(1, 0.25);
    // utilizations 0.5, 0.25, 0: mean 0.25, population variance (0.0625 + 0 + 0.0625) / 3
    expect(b.stdDev).toBeCloseTo(Math.sqrt(0.125 / 3), 12);
    expect(b.cv).toBeCloseTo(Math.sqrt(0.125 / 3) / 0.25, 12);
    b.remove(2); // node 2 goes down: 0.5 and 0.25, mean 0.375, sd 0.125
    expect(b.stdDev).toBeCloseTo(0.125, 12);
    expect(b.cv).toBeCloseTo(1 / 3, 12);
  });

  it('is 0 on an idle cluster and with no node up', () => {
    expect(new NodeBalance(4, () => true).cv).toBe(0);
    expect(new NodeBalance(4, () => false).stdDev).toBe(0);
  });

  it('is time-weighted in the summary', () => {
    // Two nodes of 4 cores; one task of 2 cores for the whole run: utilizations 0.5 and 0, sd 0.25, CV 1.
    const s = summaryOf([{ count: 2, cpu: 4, memory: 8 }], [task('a', 0, 100, 2, 1)]);
    expect(s.balance).toEqual({ cpuCv: 1, cpuStdDev: 0.25 });
  });
});

describe('slowdown and waits per priority', () => {
  // One node of 1 core. A (priority 2, 10 s) starts at 0; B (priority 1, 20 s) at 10 s; C (priority 1, 2 s) at 30 s.
  const s = summaryOf([{ cpu: 1, memory: 8 }], [
    task('a', 0, 10, 1, 1, { priority: 2 }), task('b', 0, 20, 1, 1, { priority: 1 }), task('c', 0, 2, 1, 1, { priority: 1 }),
  ]);

  it('gives slowdown (wait + run) / run and its bounded form with a 10 s floor on run time', () => {
    // slowdowns 10/10 = 1, 30/20 = 1.5, 32/2 = 16: mean 6.1667; bounded 1, 1.5, 32/10 = 3.2: mean 1.9
    expect(s.slowdown.tasks).toBe(3);
    expect(s.slowdown.mean).toBeCloseTo(18.5 / 3, 3);
    expect(s.slowdown.p95).toBeCloseTo(16, 1);
    expect(s.slowdown.bounded).toEqual({ thresholdSeconds: 10, mean: 1.9, p95: 3.2 });
  });

  it('gives the wait per priority, highest first', () => {
    expect(s.waitByPriority).toEqual([
      { priority: 2, tasks: 1, mean: 0, p95: 0 },
      { priority: 1, tasks: 2, mean: 20, p95: expect.closeTo(30, 1) },
    ]);
  });

  it('gives the CDF of waits at fixed percentiles', () => {
    const at = (p: number) => s.waitCdf.seconds[s.waitCdf.percent.indexOf(p)];
    expect(at(0)).toBe(0);
    expect(at(50)).toBeCloseTo(10, 1);
    expect(at(100)).toBeCloseTo(30, 1);
  });
});

describe('cost and node-hours', () => {
  it('prices active and up node-hours when the cluster file gives prices', () => {
    // Two nodes at 2 per hour; one task keeps one of them busy for the hour the run lasts.
    const s = summaryOf([{ count: 2, cpu: 1, memory: 1, price: 2 }], [task('a', 0, 3600, 1, 1)]);
    expect(s.activeNodeHours).toBe(1);
    expect(s.upNodeHours).toBe(2);
    expect(s.cost).toEqual({ active: 2, up: 4 });
  });

  it('has no cost without prices', () => {
    expect(summaryOf([{ count: 2, cpu: 1, memory: 1 }], [task('a', 0, 3600, 1, 1)]).cost).toBeNull();
  });

  it('reads price from a cluster file and refuses a negative one', () => {
    expect(parseClusterFile('nodes:\n  - {count: 2, cpu: 4, memory: 8, price: 0.5}\n', 'c.yaml')[1]!.price).toBe(0.5);
    expect(parseClusterFile('nodes:\n  - {count: 1, cpu: 4, memory: 8}\n', 'c.yaml')[0]!.price).toBeUndefined();
    expect(() => parseClusterFile('nodes:\n  - {count: 1, cpu: 4, memory: 8, price: -1}\n', 'c.yaml')).toThrow(InputError);
    expect(() => parseClusterFile('nodes:\n  - {count: 1, cpu: 4, memory: 8, price: -1}\n', 'c.yaml')).toThrow(/price/);
  });
});

describe('placements', () => {
  it('are those of before the metrics were added (digests recorded from that code)', async () => {
    const before: Record<string, string> = {
      'first-fit': 'sha256:fb5eb6805f476ba3f677d4d657574d1d9d6e7dd4d8afd9782b902c06c599ae44',
      binpack: 'sha256:9f892f88bfc169f5db73db4b936caefa9b924a9b03f4136a4004beadcffc093d',
      spread: 'sha256:6a68693cc7b23a1fba68d3a5d06a0b1c7e5bdd26673b730a8b6638da5e1ba992',
      random: 'sha256:d6520a6b391f102f0ba172bdb8aec465392dffe5a59bcb09673774324a9b8af5',
    };
    for (const [scheduler, digest] of Object.entries(before)) {
      const s = await runSimulation({
        cluster: { preset: 'production', nodes: 50 }, workload: { preset: 'production', tasks: 4000, load: 1.2 }, scheduler, seed: 7, queue: 'greedy',
      });
      expect(s.digest, scheduler).toBe(digest);
    }
  });
});
