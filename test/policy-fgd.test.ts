// fgd: Fragmentation Gradient Descent on small GPU cells (amounts in cores, GiB and GPUs), with
// the fragmentation arithmetic in comments; in the view a GPU is 1000 milli-GPUs.

import { describe, expect, it } from 'vitest';
import { Workload, fragmentationDelta, fgd } from '../schedulers/policies/fgd.ts';
import { binpack } from '../schedulers/policies/binpack.ts';
import { firstFit } from '../schedulers/policies/first-fit.ts';
import { createScheduler } from '../schedulers/registry.ts';
import { taskId, type PendingTask, type Scheduler } from '../schedulers/contract.ts';
import { stream } from '../sim/random.ts';
import { Cluster } from '../sim/cluster.ts';
import { productionWorkload } from '../traces/synthetic/production.ts';
import { nodes, simulate, task } from './helpers.ts';

describe('fgd', () => {
  // Workload: 2 tasks of (1 core, 0.5 GPU), 1 of (1 core, 1 GPU), 1 of (1 core, no GPU).
  const workload = new Workload();
  workload.add(1000, 500, 2);
  workload.add(1000, 1000);
  workload.add(1000, 0);

  it('measures a node\'s fragmentation as the free GPU each shape cannot use, weighted by how many tasks have that shape', () => {
    // free 2 cores, 1 whole GPU: no-GPU shape 1 x 1000; 0.5 and 1 GPU shapes run, nothing partly free: 0
    expect(workload.fragmentation({ cpu: 2000, gpu: 1000 })).toBe(1000);
    // free 1 core, half a GPU: no-GPU 1 x 500; 0.5 runs and the half GPU holds 500 = min(500, 1000): 0;
    // 1 GPU cannot run: 1 x 500 -> 1000
    expect(workload.fragmentation({ cpu: 1000, gpu: 500 })).toBe(1000);
    // free 1.3 GPUs (one whole, 0.3 on another): no-GPU 1300; 0.5 runs, 300 < 500 stranded: 2 x 300;
    // 1 GPU runs, 300 < 1000 stranded: 1 x 300 -> 1300 + 600 + 300
    expect(workload.fragmentation({ cpu: 4000, gpu: 1300 })).toBe(2200);
    // too little cpu for any shape (0.5 cores): all free GPU is stranded for all 4 tasks
    expect(workload.fragmentation({ cpu: 500, gpu: 1000 })).toBe(4000);
    expect(workload.fragmentation({ cpu: 8000, gpu: 0 })).toBe(0);
  });

  it('prefers the placement that fills a partly used GPU over one that breaks a whole one', () => {
    const half = { cpu: 1000, gpu: 500 };
    // whole GPU free (F 1000, above) -> half left (F 1000): +0
    expect(fragmentationDelta(workload, { cpu: 2000, gpu: 1000 }, half)).toBe(0);
    // half GPU free, 7 cores: no-GPU 500 + 1-GPU shape 500 = 1000 -> nothing free: 0, so -1000
    expect(fragmentationDelta(workload, { cpu: 7000, gpu: 500 }, half)).toBe(-1000);
  });

  // Two nodes of 8 cores, 32 GiB and 1 GPU. At 0, J (1 GPU, 10 s) and C (6 cores, no GPU) go to
  // n-0 and H (0.5 GPU) to n-1 under every policy here. At 20 H2 (0.5 GPU) arrives: first fit
  // and binpack (n-0 is the more allocated) put it on n-0's whole GPU, leaving two half GPUs;
  // fgd fills n-1's half (F: n-0 +0, n-1 -1000, as above with the workload seen by then). At 30
  // G (1 GPU) arrives: under fgd n-0's GPU is whole and G starts at once; under the others it
  // waits for H's end at 1000, on n-1.
  const records = [
    task('J', 0, 10, 1, 1, { gpu: 1 }), task('H', 0, 1000, 1, 1, { gpu: 0.5 }), task('C', 0, 2000, 6, 1),
    task('H2', 20, 1000, 1, 1, { gpu: 0.5 }), task('G', 30, 100, 1, 1, { gpu: 1 }),
  ];
  const cell = nodes([{ name: 'n', count: 2, cpu: 8, memory: 32, gpu: 1 }]);
  const outcome = (scheduler: Scheduler) => {
    const rows = simulate(cell, records, scheduler).rows;
    const of = (name: string) => rows.find((r) => r.task === name)!;
    return { H2: of('H2').node, G: [of('G').node, of('G').start / 1e6] };
  };

  it('keeps whole GPUs free where first fit and binpack fragment them', () => {
    expect(outcome(fgd())).toEqual({ H2: 'n-1', G: ['n-0', 30] });
    expect(outcome(firstFit())).toEqual({ H2: 'n-0', G: ['n-1', 1000] });
    expect(outcome(binpack())).toEqual({ H2: 'n-0', G: ['n-1', 1000] });
  });

  it('keeps a task that asks for no GPU off a GPU node whose GPUs it would strand', async () => {
    // n-0: 4 cores and 1 GPU; n-1: 8 cores, no GPU. The round offers a 4-core task, then a task
    // of 1 core and 1 GPU. The 4-core task on n-0 would leave no core for the GPU shape: its GPU
    // would be stranded (+1000); on n-1, no GPU, +0. fgd puts it on n-1, first fit on n-0.
    const c = new Cluster(nodes([{ name: 'gpu', count: 1, cpu: 4, memory: 32, gpu: 1 }, { name: 'cpu', count: 1, cpu: 8, memory: 32 }]));
    const gpuTask: PendingTask = { id: taskId(1), name: 'g', cpu: 1000, memory: 1024, gpu: 1000, priority: 0, submit: 0 };
    const cpuTask: PendingTask = { id: taskId(2), name: 'c', cpu: 4000, memory: 1024, gpu: 0, priority: 0, submit: 0 };
    const ctx = { now: 0, random: stream(1, 'test'), reasons: false };
    const place = (s: Scheduler) => [...s.decide([cpuTask, gpuTask], c, ctx)][0];
    expect(place(fgd())).toEqual({ kind: 'place', task: cpuTask.id, node: 1 });
    expect(place(await createScheduler('first-fit'))).toEqual({ kind: 'place', task: cpuTask.id, node: 0 });
  });

  it('places as first fit does on a cell without GPUs, where there is nothing to fragment', () => {
    const cell = nodes([{ name: 'n', count: 20, cpu: 16, memory: 64 }]);
    const records = [...productionWorkload({ tasks: 3000, load: 1.2, seed: 3, nodes: cell })];
    expect(simulate(cell, records, fgd()).digest).toBe(simulate(cell, records, firstFit()).digest);
  });

  it('counts each task once, however many rounds it is offered in', () => {
    const s = fgd() as Scheduler & { workload: Workload };
    const c = new Cluster(nodes([{ name: 'n', count: 1, cpu: 1, memory: 1 }]));
    const big = (i: number, submit: number): PendingTask => ({ id: taskId(i), name: `t${i}`, cpu: 4000, memory: 1024, gpu: 0, priority: 0, submit });
    const ctx = { now: 0, random: stream(1, 'test'), reasons: false };
    for (const pending of [[big(1, 0), big(2, 0)], [big(1, 0), big(2, 0), big(3, 5)], [big(2, 0), big(3, 5)]]) [...s.decide(pending, c, ctx)];
    expect(s.workload.size).toBe(3);
  });

  it('takes no options', async () => {
    await expect(createScheduler('fgd', { shapes: 3 })).rejects.toThrow(/fgd takes no options; got shapes/);
  });
});
