// What a worker thread does with a run: the same runSimulation as the main thread, so results
// are identical whichever thread computes them.

import { existsSync } from 'node:fs';
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
 * The file to give piscina as `filename`: worker.js beside this module (sim/worker.js, when
 * berth runs from sources) or beside the bundle (dist/worker.js, when this module sits in a
 * chunk under dist/chunks/).
 */
export const WORKER_FILE = ['./worker.js', '../worker.js']
  .map((path) => new URL(path, import.meta.url))
  .find((url) => existsSync(url))?.href ?? new URL('./worker.js', import.meta.url).href;
