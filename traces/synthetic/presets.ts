// Synthetic workload presets by name (`--workload NAME`), each with the cell it is meant for
// when no cluster file is given.

import type { NodeGroup, NodeSpec } from '../../sim/cluster-file.ts';
import { InputError } from '../../sim/errors.ts';
import type { TaskRecord, TaskSource } from '../record.ts';
import { mmcCell, mmcWorkload } from './mmc.ts';
import { productionCell, productionWorkload } from './production.ts';

export interface GenerateOptions {
  readonly tasks: number;
  readonly load: number;
  readonly seed: number | string;
  readonly nodes: readonly NodeSpec[];
}

export interface WorkloadPreset {
  readonly summary: string;
  /** The preset's own cell, used when no cluster file is given. */
  cell(nodes: number): NodeGroup[];
  readonly defaultNodes: number;
  readonly defaultTasks: number;
  readonly defaultLoad: number;
  generate(options: GenerateOptions): Iterable<TaskRecord>;
}

export const WORKLOADS: ReadonlyMap<string, WorkloadPreset> = new Map<string, WorkloadPreset>([
  ['production', {
    summary: 'a production-like cell: heterogeneous machines, daily cycle, heavy-tailed durations, priorities',
    cell: productionCell, defaultNodes: 1000, defaultTasks: 100_000, defaultLoad: 0.9,
    generate: productionWorkload,
  }],
  ['mmc', {
    summary: 'the M/M/c queue: one-core tasks, Poisson arrivals, exponential service (mean 60 s) on one-core nodes',
    cell: mmcCell, defaultNodes: 16, defaultTasks: 100_000, defaultLoad: 0.8,
    generate: mmcWorkload,
  }],
]);

export const DEFAULT_WORKLOAD = 'production';

export function workloadPreset(name: string): WorkloadPreset {
  const preset = WORKLOADS.get(name);
  if (!preset) throw new InputError({ field: '--workload' }, `unknown workload ${JSON.stringify(name)}; expected one of ${[...WORKLOADS.keys()].join(', ')}`);
  return preset;
}

/** Groups a synchronous stream of records into batches. */
export async function* inBatches(records: Iterable<TaskRecord>, size = 4096): TaskSource {
  let batch: TaskRecord[] = [];
  for (const r of records) {
    batch.push(r);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
