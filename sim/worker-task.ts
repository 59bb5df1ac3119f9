// What a worker thread does with a run: the same runSimulation as the main thread, so results
// are identical whichever thread computes them.

import { runSimulation, type RunSpec } from './run.ts';
import type { Summary } from './summary.ts';

export interface WorkerJob {
  readonly spec: RunSpec;
  readonly out?: string;
}

export default function runInWorker(job: WorkerJob): Promise<Summary> {
  return runSimulation(job.spec, job.out === undefined ? {} : { out: job.out });
}

/**
 * The file to give piscina as `filename`: next to this module, worker.js, which is sim/worker.js
 * when berth runs from sources and the bundled worker when it runs from dist/.
 */
export const WORKER_FILE = new URL('./worker.js', import.meta.url).href;
