// drf: Dominant Resource Fairness by progressive filling, against the worked example of the DRF
// paper (Ghodsi et al., NSDI 2011, section 4.1) and small cases whose arithmetic is in comments.
// Amounts are cores and GiB; shares are over the capacity of the up nodes.

import { describe, expect, it } from 'vitest';
import type { ClusterView, DecideContext, Decision, PendingTask, Scheduler } from '../schedulers/contract.ts';
import { createScheduler } from '../schedulers/registry.ts';
import { NO_GROUP, dominantShare, drf } from '../schedulers/policies/drf.ts';
import { firstFit } from '../schedulers/policies/first-fit.ts';
import type { TaskRecord } from '../traces/record.ts';
import { productionWorkload } from '../traces/synthetic/production.ts';
import { nodes, simulate, task } from './helpers.ts';

/** Runs the records, and takes each group's shares as the first round leaves them. */
function run(records: TaskRecord[], scheduler: ReturnType<typeof drf> | Scheduler, cell = nodes([{ name: 'n', count: 1, cpu: 9, memory: 18 }])) {
  let shares: Map<string, number> | undefined;
  const probe: Scheduler = {
    name: scheduler.name,
    *decide(pending: readonly PendingTask[], cluster: ClusterView, ctx: DecideContext): Generator<Decision> {
      yield* scheduler.decide(pending, cluster, ctx);
      if ('shares' in scheduler) shares ??= scheduler.shares(cluster);
    },
  };
  const { rows } = simulate(cell, records, probe);
  const startedAt = (t: number) => rows.filter((r) => r.start === t * 1e6).map((r) => r.task).sort();
  return { rows, shares, startedAt };
}

/** `count` tasks of a user, each (cores, GiB), submitted at `at` seconds and running 100 s. */
const tasksOf = (user: string, count: number, cpu: number, memory: number, at = 0): TaskRecord[] =>
  Array.from({ length: count }, (_, i) => ({ ...task(`${user}${i + 1}`, at, 100, cpu, memory), user }));

describe('drf', () => {
  it('reproduces the DRF paper\'s example: A gets 3 tasks, B gets 2, both at a dominant share of 2/3', () => {
    // 9 cores, 18 GiB. A's tasks <1 core, 4 GiB>: dominant resource memory (4/18 > 1/9).
    // B's tasks <3 cores, 1 GiB>: dominant resource cpu (3/9 > 1/18). Both queues hold 10 tasks.
    // Progressive filling, lowest share first (ties to the earlier task in the queue, A's):
    //   A 0 -> 2/9 | B 0 -> 3/9 | A 2/9 -> 4/9 | B 3/9 -> 6/9 | A 4/9 -> 6/9 (12 of 18 GiB)
    //   then 9 of 9 cores are taken: A's 4th <1, 4> and B's 3rd <3, 1> fit nowhere.
    const { startedAt, shares } = run([...tasksOf('A', 10, 1, 4), ...tasksOf('B', 10, 3, 1)], drf());
    expect(startedAt(0)).toEqual(['A1', 'A2', 'A3', 'B1', 'B2']);
    // A: max(3/9 cpu, 12/18 memory) = 2/3; B: max(6/9 cpu, 2/18 memory) = 2/3
    expect(shares!.get('A')).toBeCloseTo(2 / 3, 12);
    expect(shares!.get('B')).toBeCloseTo(2 / 3, 12);
  });

  it('differs from first fit in queue order, which lets the user first in the queue take most', () => {
    // A's four tasks take 4 cores and 16 GiB; the fifth lacks memory (2 GiB left); one of B's
    // (3 cores, 1 GiB) fits in the 5 cores and 2 GiB left, a second does not.
    const { startedAt } = run([...tasksOf('A', 10, 1, 4), ...tasksOf('B', 10, 3, 1)], firstFit());
    expect(startedAt(0)).toEqual(['A1', 'A2', 'A3', 'A4', 'B1']);
  });

  it('measures shares over the tasks running now, so a user already holding much waits behind a newcomer', () => {
    // 10 cores, 100 GiB. At 0 A starts 6 tasks of 1 core (share 6/10). At 10 s A and B each
    // submit 4 more; 4 cores are free. B: 0 -> 0.1 -> 0.2 -> 0.3 -> 0.4, all below A's 0.6,
    // so B takes all 4 cores; first fit in queue order would give them to A.
    const records = [...tasksOf('A', 6, 1, 1), ...tasksOf('A', 4, 1, 1, 10).map((r, i) => ({ ...r, id: `A${7 + i}` })), ...tasksOf('B', 4, 1, 1, 10)];
    const cell = nodes([{ name: 'n', count: 1, cpu: 10, memory: 100 }]);
    expect(run(records, drf(), cell).startedAt(10)).toEqual(['B1', 'B2', 'B3', 'B4']);
    expect(run(records, firstFit(), cell).startedAt(10)).toEqual(['A10', 'A7', 'A8', 'A9']);
  });

  it('goes on with a user\'s next task when one fits nowhere, so it never leaves a task waiting while a node has room', () => {
    // 4 cores. A asks for 8 cores (fits nowhere), then 1 core; B for 1 core. A's share is 0
    // until its small task starts, so that one starts first, then B's.
    const records = [
      { ...task('A-big', 0, 100, 8, 1), user: 'A' }, { ...task('A-small', 0, 100, 1, 1), user: 'A' },
      { ...task('B-small', 0, 100, 1, 1), user: 'B' },
    ];
    const cell = nodes([{ name: 'n', count: 1, cpu: 4, memory: 16 }, { name: 'big', count: 1, cpu: 8, memory: 16 }]);
    // big (8 cores) is up but busy from 0 with an 8-core task of C: A-big waits for it.
    const { rows } = run([{ ...task('C', 0, 50, 8, 1), user: 'C' }, ...records], drf(), cell);
    const start = (name: string) => rows.find((r) => r.task === name)!.start / 1e6;
    expect([start('C'), start('A-small'), start('B-small'), start('A-big')]).toEqual([0, 0, 0, 50]);
  });

  it('groups by job with by=job, and puts tasks without a user in one group', async () => {
    // by=job: j1 and j2 alternate whatever their user; the unnamed tasks share one group.
    const records = [
      { ...task('a', 0, 100, 1, 1), user: 'u', job: 'j1' }, { ...task('b', 0, 100, 1, 1), user: 'u', job: 'j1' },
      { ...task('c', 0, 100, 1, 1), user: 'u', job: 'j2' }, task('d', 0, 100, 1, 1), task('e', 0, 100, 1, 1),
    ];
    const cell = nodes([{ name: 'n', count: 1, cpu: 3, memory: 16 }]);
    // by user: u holds 1/3 after a, while (none) is at 0: d; then u (1/3) vs (none) (1/3): the
    // earlier task in the queue, b. Shares: u 2/3, (none) 1/3.
    const byUser = run(records, drf(), cell);
    expect(byUser.startedAt(0)).toEqual(['a', 'b', 'd']);
    expect(Object.fromEntries(byUser.shares!)).toEqual({ u: 2 / 3, [NO_GROUP]: 1 / 3 });
    // by job: j1 (a), j2 (c), (none) (d), each at 1/3.
    const byJob = run(records, await createScheduler('drf', { by: 'job' }) as ReturnType<typeof drf>, cell);
    expect(byJob.startedAt(0)).toEqual(['a', 'c', 'd']);
  });

  it('places as first fit does when every task is of one group', () => {
    // One group takes its tasks in queue order: here, the production workload without its users.
    const cell = nodes([{ name: 'n', count: 20, cpu: 16, memory: 64 }]);
    const anonymous = [...productionWorkload({ tasks: 3000, load: 1.2, seed: 3, nodes: cell })].map(({ user: _, ...r }) => r);
    expect(simulate(cell, anonymous, drf()).digest).toBe(simulate(cell, anonymous, firstFit()).digest);
  });

  it('takes the dominant share over the resources the cluster has', () => {
    const capacity = { cpu: 9000, memory: 18432, gpu: 0 };
    expect(dominantShare({ cpu: 3000, memory: 12288, gpu: 0 }, capacity)).toBeCloseTo(2 / 3, 12); // memory 12/18
    expect(dominantShare({ cpu: 6000, memory: 2048, gpu: 0 }, capacity)).toBeCloseTo(2 / 3, 12); // cpu 6/9
    // with 4 GPUs: 1 GPU is 1/4 > 1/9 cpu
    expect(dominantShare({ cpu: 1000, memory: 0, gpu: 1000 }, { ...capacity, gpu: 4000 })).toBe(0.25);
  });

  it('refuses unknown options and groupings, naming them', async () => {
    await expect(createScheduler('drf', { by: 'team' })).rejects.toThrow(/drf: by must be user or job; got team/);
    await expect(createScheduler('drf', { weights: 1 })).rejects.toThrow(/drf takes the options by; got weights/);
    expect(() => drf({ weights: 1 })).toThrow(/drf: unknown option weights/);
  });
});
