// easy-backfill: EASY backfilling on hand-made cases (times in seconds, amounts in cores), an
// independent check that a head never starts after the reservation it was first given when
// estimates are exact, the clear refusal of a trace without estimates, and the conformance
// checks on a workload that has estimates (the suite's own workload has none).

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClusterView, DecideContext, Decision, PendingTask, Scheduler } from '../schedulers/contract.ts';
import { nodeId } from '../schedulers/contract.ts';
import { createScheduler } from '../schedulers/registry.ts';
import { easyBackfill } from '../schedulers/policies/backfill.ts';
import { firstFit } from '../schedulers/policies/first-fit.ts';
import { expandGroups } from '../sim/cluster-file.ts';
import type { QueueDiscipline } from '../sim/simulation.ts';
import { productionCell, productionWorkload } from '../traces/synthetic/production.ts';
import type { TaskRecord } from '../traces/record.ts';
import { nodes, overCommit, simulate, task, type NodeEventAt } from './helpers.ts';
import { PROJECT } from './peer-support.ts';

/** A task of `cpu` cores submitted at `submit` s, running `duration` s, with an estimate (s; null: none). */
const job = (id: string, submit: number, duration: number, cpu: number, estimate: number | null = duration): TaskRecord =>
  ({ ...task(id, submit, duration, cpu, 1), ...(estimate !== null && { estimate: estimate * 1e6 }) });

/** Start times (s) by task name. */
function starts(records: TaskRecord[], scheduler: Scheduler, cell = nodes([{ name: 'pool', count: 1, cpu: 12, memory: 64 }]), queue: QueueDiscipline = 'greedy', nodeEvents: NodeEventAt[] = []) {
  const { rows } = simulate(cell, records, scheduler, { queue, nodeEvents });
  return Object.fromEntries(rows.map((r) => [r.task, r.start / 1e6]));
}

describe('easy-backfill', () => {
  // One pool of 12 cores. A (6 cores, 0-100 s) runs; W (10 cores) cannot start until A ends:
  // its reservation is t = 100, with 12 - 10 = 2 cores extra then.
  //   L (3 cores, 500 s) fits now, but 3 > 2 extra and it would end at 502 > 100: refused.
  //   X (2 cores, 1000 s) fits in the 2 extra cores: starts at 3 (the extra is then spent).
  //   S (4 cores, 40 s, estimate 50) ends by 4 + 50 = 54 <= 100: starts at 4.
  // At 100 A has ended: W starts on 12 - 2 (X) = 10 cores; L waits for W's end at 150.
  const records = [job('A', 0, 100, 6), job('W', 1, 50, 10), job('L', 2, 500, 3), job('X', 3, 1000, 2), job('S', 4, 40, 4, 50)];

  it('starts short and narrow tasks ahead of a blocked wide one without delaying it, and refuses one that would', () => {
    expect(starts(records, easyBackfill())).toEqual({ A: 0, W: 100, L: 150, X: 3, S: 4 });
  });

  it('starts the wide task as early as strict FCFS, and the small ones earlier', () => {
    // strict FCFS: everything behind W waits for it; at 150 L, X and S (3 + 2 + 4 cores) start.
    expect(starts(records, firstFit(), undefined, 'strict-fifo')).toEqual({ A: 0, W: 100, L: 150, X: 150, S: 150 });
    // greedy first fit lets L and X start at once; W then waits for L's end at 502.
    expect(starts(records, firstFit())).toEqual({ A: 0, W: 502, L: 2, X: 3, S: 100 });
  });

  it('reserves the node where the head can start first, and lets a long task start on another node', () => {
    // p-0 and p-1, 8 cores each. A (6 cores) runs on p-0 until 100, B (6 cores) on p-1 until 200.
    // W (8 cores) reserves p-0 at 100 (p-1 frees at 200), with 0 extra. L (2 cores, 1000 s)
    // would delay W on p-0, so it starts on p-1.
    const cell = nodes([{ name: 'p', count: 2, cpu: 8, memory: 64 }]);
    const { rows } = simulate(cell, [job('A', 0, 100, 6), job('B', 0, 200, 6), job('W', 1, 10, 8), job('L', 2, 1000, 2)], easyBackfill());
    const at = Object.fromEntries(rows.map((r) => [r.task, [r.node, r.start / 1e6]]));
    expect(at).toEqual({ A: ['p-0', 0], B: ['p-1', 0], W: ['p-0', 100], L: ['p-1', 2] });
  });

  it('does not let a task no up node could hold block the queue', () => {
    // big (16 cores) is down from 0 to 50: H (12 cores) cannot start whatever ends on p (4
    // cores), so it is no head and T (2 cores, 1000 s) starts at once; H starts when big is back.
    const cell = nodes([{ name: 'p', count: 1, cpu: 4, memory: 64 }, { name: 'big', count: 1, cpu: 16, memory: 64 }]);
    const events: NodeEventAt[] = [{ time: 0, node: 1, kind: 'fail' }, { time: 50, node: 1, kind: 'recover' }];
    expect(starts([job('H', 1, 10, 12), job('T', 2, 1000, 2)], easyBackfill(), cell, 'greedy', events)).toEqual({ H: 50, T: 2 });
  });

  describe('without estimates', () => {
    // A (6 of 12 cores) has no estimate; W (10 cores) waits for it; S (4 cores, 50 s) could pass.
    const unknown = [job('A', 0, 100, 6, null), job('W', 1, 50, 10), job('S', 4, 40, 4, 50)];

    it('says so clearly, naming the task, the first time it needs one', () => {
      expect(() => starts(unknown, easyBackfill())).toThrow(
        /^easy-backfill needs run-time estimates \(SWF's requested time\) .* task A has none\. .* missingEstimate=SECONDS .* missingEstimate=forever/);
      // Nothing blocked, nothing to reserve: no estimate needed.
      expect(starts([job('a', 0, 10, 6, null), job('b', 1, 10, 6, null)], easyBackfill())).toEqual({ a: 0, b: 1 });
    });

    it('missingEstimate=forever: the head behind a task that may run forever gets no reservation, and nothing passes it', () => {
      expect(starts(unknown, easyBackfill({ missingEstimate: 'forever' }))).toEqual({ A: 0, W: 100, S: 150 });
    });

    it('missingEstimate=SECONDS: a default estimate, as Slurm\'s DefaultTime', () => {
      // A is expected to end at 0 + 150: S ends by 4 + 50 = 54 <= 150, and passes.
      expect(starts(unknown, easyBackfill({ missingEstimate: 150 }))).toEqual({ A: 0, W: 100, S: 4 });
      // A expected at 0 + 3 is overdue at 4 s: it is then expected to end at once, so W's
      // reservation is at 4, and S (ending at 54, with 4 > 2 extra cores) may not pass it.
      expect(starts(unknown, easyBackfill({ missingEstimate: 3 }))).toEqual({ A: 0, W: 100, S: 150 });
    });

    it('refuses a berth sim run on a trace without estimates with that message, not a stack trace', () => {
      const r = spawnSync(process.execPath, [join(PROJECT, 'bin', 'berth.js'), 'sim', '--scheduler', 'easy-backfill', '--nodes', '10', '--tasks', '2000', '--quiet'],
        { cwd: PROJECT, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^berth: easy-backfill needs run-time estimates .* task \S+ has none/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  });

  it('takes missingEstimate as error, forever or seconds, and refuses anything else', async () => {
    expect((await createScheduler('easy-backfill', { missingEstimate: 600 })).name).toBe('easy-backfill');
    expect((await createScheduler('easy-backfill', { missingEstimate: 'forever' })).name).toBe('easy-backfill');
    await expect(createScheduler('easy-backfill', { missingEstimate: 'never' })).rejects.toThrow(
      /easy-backfill: missingEstimate must be error, forever or a number of seconds > 0; got never/);
    await expect(createScheduler('easy-backfill', { missingEstimate: -5 })).rejects.toThrow(/got -5/);
    await expect(createScheduler('easy-backfill', { depth: 2 })).rejects.toThrow(/easy-backfill takes the options missingEstimate; got depth/);
  });

  it('never starts a head after the reservation it was first given, when estimates are exact', () => {
    // A pool of 64 cores and 400 jobs of 1-64 cores. After each round the first task left
    // waiting is the head; its reservation, worked out here from the view alone, is the earliest
    // time the free cores plus those of running tasks ended by then (start + estimate) cover it.
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let t = 0;
    const records = Array.from({ length: 400 }, (_, i) => {
      t += Math.floor(rand() * 40);
      const cpu = rand() < 0.7 ? 1 + Math.floor(rand() * 8) : 1 + Math.floor(rand() * 64);
      const duration = 1 + Math.floor(rand() * 600);
      return job(`j${i}`, t, duration, cpu);
    });
    const inner = easyBackfill();
    const firstReservation = new Map<string, number>();
    const probe: Scheduler = {
      name: inner.name,
      *decide(pending: readonly PendingTask[], cluster: ClusterView, ctx: DecideContext): Generator<Decision> {
        const placed = new Set<number>();
        for (const d of inner.decide(pending, cluster, ctx)) {
          if (d.kind === 'place') placed.add(d.task);
          yield d;
        }
        const head = pending.find((p) => !placed.has(p.id));
        if (head === undefined || firstReservation.has(head.name)) return;
        const pool = nodeId(0);
        const ends = cluster.tasksOn(pool).map((id) => cluster.running(id)!).map((r) => ({ end: r.start + r.estimate!, cpu: r.cpu })).sort((a, b) => a.end - b.end);
        let free = cluster.free(pool, 'cpu');
        for (const e of ends) {
          free += e.cpu;
          if (free >= head.cpu) {
            firstReservation.set(head.name, Math.max(ctx.now, e.end));
            break;
          }
        }
      },
    };
    const { rows, sim } = simulate(nodes([{ name: 'pool', count: 1, cpu: 64, memory: 1024 }]), records, probe);
    expect(sim.completed).toBe(400);
    expect(firstReservation.size).toBeGreaterThan(50);
    const late = rows.filter((r) => firstReservation.has(r.task) && r.start > firstReservation.get(r.task)!);
    expect(late).toEqual([]);
    // And backfilling did happen: some task started before one submitted earlier.
    const bySubmit = [...rows].sort((a, b) => a.submit - b.submit);
    expect(bySubmit.some((r, i) => i > 0 && r.start < bySubmit[i - 1]!.start)).toBe(true);
  });

  describe('the conformance checks, on a workload with estimates', () => {
    // The suite's cell and failures, with estimates of 1-3x each task's duration.
    const cell = expandGroups(productionCell(24));
    const withEstimates = [...productionWorkload({ tasks: 2000, load: 1.3, seed: 42, nodes: cell })]
      .map((r, i) => ({ ...r, estimate: r.duration * (1 + (i % 3)) }));
    const events: NodeEventAt[] = [
      { time: 300, node: 3, kind: 'fail' }, { time: 900, node: 3, kind: 'recover' },
      { time: 600, node: 10, kind: 'fail' }, { time: 2000, node: 10, kind: 'recover' },
    ];
    const run = (reasons = false) => simulate(cell, withEstimates, easyBackfill(), { seed: 1, nodeEvents: events, reasons });

    it('never over-commits, finishes every task, is reproducible and places the same when asked why tasks wait', () => {
      const a = run();
      expect(a.sim.conflicts).toMatchObject({ notPending: 0, noRoom: 0 });
      expect(overCommit(cell, withEstimates, a.rows, events)).toBeUndefined();
      expect(a.sim.evicted).toBeGreaterThan(0);
      expect(a.sim.completed + a.sim.unschedulable).toBe(withEstimates.length);
      const b = run();
      expect(b.digest).toBe(a.digest);
      const explained = run(true);
      expect(explained.rows).toEqual(a.rows);
      expect(Object.values(explained.sim.waitReasons).reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
    });
  });
});
