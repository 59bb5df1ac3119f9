// The pipeline's fast paths ask the cluster's index; with any filter it visits the feasible
// nodes one by one instead. Both must choose the same node, always.

import { describe, expect, it } from 'vitest';
import { Cluster } from '../sim/cluster.ts';
import { stream } from '../sim/random.ts';
import { pipeline, type Filter, type PipelineSpec } from '../schedulers/pipeline.ts';
import { leastAllocated, mostAllocated } from '../schedulers/scorers.ts';
import { taskId, type ClusterView, type DecideContext, type PendingTask, type Scheduler } from '../schedulers/contract.ts';

const passAll: Filter = { name: 'pass-all', check: () => undefined };

function decideOne(s: Scheduler, task: PendingTask, cluster: ClusterView, ctx: DecideContext) {
  const [d] = [...s.decide([task], cluster, ctx)];
  return d!.kind === 'place' ? d!.node : d!.kind === 'wait' ? `wait:${d!.reason}` : 'preempt';
}

const SPECS: PipelineSpec[] = [
  { name: 'first', limit: { kind: 'first', count: 1, rotate: false } },
  { name: 'rotating', limit: { kind: 'first', count: 1, rotate: true } },
  { name: 'most', scorers: [mostAllocated] },
  { name: 'least', scorers: [leastAllocated] },
];

describe('pipeline fast paths', () => {
  for (const spec of SPECS) {
    it(`${spec.name}: the index and a visit of the feasible nodes agree`, () => {
      const r = stream(11, spec.name);
      const nodes = Array.from({ length: 120 }, (_, i) => ({
        name: `n${i}`, cpu: [4000, 8000, 16000][i % 3]!, memory: [8192, 32768, 16384, 65536][i % 4]!, gpu: i % 10 === 0 ? 2000 : 0, labels: {},
      }));
      const cluster = new Cluster(nodes);
      const fast = pipeline(spec);
      const slow = pipeline({ ...spec, filters: [passAll] });
      const ctx: DecideContext = { now: 0, random: r, reasons: true };
      const running: { node: number; id: number; cpu: number; memory: number; gpu: number }[] = [];
      for (let i = 0; i < 4000; i++) {
        const task: PendingTask = {
          id: taskId(i), name: `t${i}`, cpu: Math.floor(r() * 8) * 500, memory: Math.floor(r() * 32) * 1024,
          gpu: r() < 0.05 ? 1000 : 0, priority: 0, submit: 0,
        };
        const a = decideOne(fast, task, cluster, ctx);
        const b = decideOne(slow, task, cluster, ctx);
        expect(b).toBe(a);
        if (typeof a === 'number') {
          cluster.place(a, i, task.cpu, task.memory, task.gpu);
          running.push({ node: a, id: i, cpu: task.cpu, memory: task.memory, gpu: task.gpu });
        }
        while (running.length > 0 && r() < 0.5) {
          const [x] = running.splice(Math.floor(r() * running.length), 1);
          cluster.remove(x!.node, x!.id, x!.cpu, x!.memory, x!.gpu);
        }
      }
    });
  }

  it('explains a wait by the cluster-wide shortage, or by the policy filter', () => {
    const cluster = new Cluster([{ name: 'a', cpu: 1000, memory: 1024, gpu: 0, labels: { zone: 'x' } }]);
    const ctx: DecideContext = { now: 0, random: stream(1, 'x'), reasons: true };
    const big: PendingTask = { id: taskId(0), name: 'big', cpu: 2000, memory: 0, gpu: 0, priority: 0, submit: 0 };
    expect(decideOne(pipeline({ name: 'ff' }), big, cluster, ctx)).toBe('wait:insufficient-cpu');
    const zoneY: Filter = { name: 'zone-y', check: (_t, n, c) => (c.labels(n).zone === 'y' ? undefined : 'constraint') };
    const small = { ...big, cpu: 500 };
    expect(decideOne(pipeline({ name: 'zy', filters: [zoneY] }), small, cluster, ctx)).toBe('wait:constraint');
  });

  it('refuses a limit count below 1 and a scorer weight of 0', () => {
    expect(() => pipeline({ name: 'x', limit: { kind: 'sample', count: 0 } })).toThrow(/count/);
    expect(() => pipeline({ name: 'x', scorers: [{ ...mostAllocated, weight: 0 }] })).toThrow(/weight/);
  });
});
