// ClusterView.running: what a policy may know of the tasks that run (owner, request, start),
// which DRF's shares, backfilling's reservations and preemption's victims are made of.

import { describe, expect, it } from 'vitest';
import { nodeId, type ClusterView, type Decision, type PendingTask, type RunningTask, type Scheduler } from '../schedulers/contract.ts';
import { firstFit } from '../schedulers/policies/first-fit.ts';
import { nodes, simulate, task } from './helpers.ts';

describe('the running tasks in the view', () => {
  it('gives each running task its request, node, start, job, user and estimate, and nothing for others', () => {
    const inner = firstFit();
    const seen: RunningTask[][] = [];
    const pendingSeenRunning: string[] = [];
    const probe: Scheduler = {
      name: 'probe',
      decide(pending: readonly PendingTask[], cluster: ClusterView, ctx): Iterable<Decision> {
        const now: RunningTask[] = [];
        for (let n = 0; n < cluster.nodeCount; n++) for (const id of cluster.tasksOn(nodeId(n))) now.push(cluster.running(id)!);
        seen.push(now);
        for (const p of pending) if (cluster.running(p.id) !== undefined) pendingSeenRunning.push(p.name);
        return inner.decide(pending, cluster, ctx);
      },
    };
    const records = [
      { ...task('a', 0, 100, 2, 2), job: 'j1', user: 'alice', estimate: 150e6 },
      { ...task('b', 10, 100, 2, 2), job: 'j2', user: 'bob' },
      task('c', 20, 100, 1, 1),
    ];
    const { sim } = simulate(nodes([{ name: 'n', count: 2, cpu: 2, memory: 8 }]), records, probe);
    expect(sim.completed).toBe(3);
    // The round at 20 s sees a (since 0 s) on n-0 and b (since 10 s) on n-1, while c waits.
    const third = seen[2]!;
    expect(third.map((r) => ({ ...r }))).toEqual([
      { id: third[0]!.id, name: 'a', cpu: 2000, memory: 2048, gpu: 0, priority: 0, node: 0, start: 0, job: 'j1', user: 'alice', estimate: 150e6 },
      { id: third[1]!.id, name: 'b', cpu: 2000, memory: 2048, gpu: 0, priority: 0, node: 1, start: 10e6, job: 'j2', user: 'bob' },
    ]);
    // A pending task is not running.
    expect(pendingSeenRunning).toEqual([]);
  });
});
