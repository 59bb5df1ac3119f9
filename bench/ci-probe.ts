// The measurements of `npm run bench -- --ci`, bundled by ci.ts and run as the command line runs:
// a full simulation's events per second and a bare event queue's, alternated in one process so
// that the machine's speed, and its neighbours' bursts, weigh on both alike.

import { runSimulation } from '../sim/run.ts';
import { bareCase } from './queue.bench.ts';

export interface Pair {
  /** Events per second of the whole simulation (generating its workload included). */
  readonly simulation: number;
  /** Events per second of a bare heap of numbers in the hold model. */
  readonly queue: number;
}

const QUEUE_LIVE = 10_000;
const QUEUE_CALLS = 20;

export async function measurePair(scheduler: string, nodes: number, tasks: number): Promise<Pair> {
  const bare = bareCase(QUEUE_LIVE);
  bare.fn(); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < QUEUE_CALLS; i++) bare.fn();
  const queue = (bare.units() * QUEUE_CALLS) / (Number(process.hrtime.bigint() - start) / 1e9);
  const summary = await runSimulation({
    scheduler, seed: 1, queue: 'greedy', cluster: { preset: 'production', nodes }, workload: { preset: 'production', tasks, load: 0.9 },
  });
  return { simulation: summary.eventsPerSecond, queue };
}
