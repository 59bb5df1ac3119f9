// The measurements of `npm run bench -- --ci`, bundled by ci.ts and run as the command line runs:
// a full simulation's events per second and a bare event queue's, alternated in one process so
// that the machine's speed, and its neighbours' bursts, weigh on both alike. Both are counted in
// seconds of CPU time, not of wall time: a neighbour that takes the core away stretches wall time
// but not the CPU time this process spends (on this 2-core machine, wall-time ratios of one case
// spread by a third between runs; CPU-time ratios, on runs of about a second, by a tenth).

import { runSimulation } from '../sim/run.ts';
import { bareCase } from './queue.bench.ts';

export interface Pair {
  /** Events per CPU second of the whole simulation (generating its workload included). */
  readonly simulation: number;
  /** Events per CPU second of a bare heap of numbers in the hold model. */
  readonly queue: number;
}

const QUEUE_LIVE = 10_000;
const QUEUE_CALLS = 20;

/** CPU seconds (user and system, every thread of the process) since `from`. */
const cpuSince = (from: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
};

export async function measurePair(scheduler: string, nodes: number, tasks: number): Promise<Pair> {
  const bare = bareCase(QUEUE_LIVE);
  bare.fn(); // warm up
  let from = process.cpuUsage();
  for (let i = 0; i < QUEUE_CALLS; i++) bare.fn();
  const queue = (bare.units() * QUEUE_CALLS) / cpuSince(from);
  from = process.cpuUsage();
  const summary = await runSimulation({
    scheduler, seed: 1, queue: 'greedy', cluster: { preset: 'production', nodes }, workload: { preset: 'production', tasks, load: 0.9 },
  });
  return { simulation: summary.events / cpuSince(from), queue };
}
