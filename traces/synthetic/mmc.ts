// The `mmc` preset: the M/M/c queue of textbooks, for checking the engine against theory and
// for teaching. Every task asks for one core and no memory; arrivals are Poisson and service
// times exponential. On a cluster of c one-core nodes (the preset's own cell) a greedy FIFO
// scheduler makes it exactly M/M/c, whose mean wait is Erlang C's.

import type { NodeGroup, NodeSpec } from '../../sim/cluster-file.ts';
import { exponential, stream } from '../../sim/random.ts';
import { MICROS_PER_SECOND, MILLI_PER_CORE } from '../../sim/units.ts';
import type { TaskRecord } from '../record.ts';

/** Mean service time, seconds. */
export const MMC_MEAN_SERVICE = 60;

/** c servers: one-core nodes. */
export function mmcCell(nodes: number): NodeGroup[] {
  return [{ name: 'server', count: nodes, cpu: 1, memory: 1 }];
}

export interface MmcOptions {
  readonly tasks: number;
  /** Utilisation ρ = λ / (c μ), where c is the cluster's number of cores. */
  readonly load: number;
  readonly seed: number | string;
  readonly nodes: readonly NodeSpec[];
  readonly meanService?: number;
}

export function* mmcWorkload(opts: MmcOptions): Generator<TaskRecord> {
  const meanService = opts.meanService ?? MMC_MEAN_SERVICE;
  const servers = opts.nodes.reduce((a, n) => a + n.cpu, 0) / MILLI_PER_CORE;
  const rate = (opts.load * servers) / meanService;
  const arrivals = stream(opts.seed, 'workload/mmc/arrivals');
  const services = stream(opts.seed, 'workload/mmc/services');
  let t = 0;
  for (let i = 0; i < opts.tasks; i++) {
    t += exponential(arrivals, rate);
    const duration = Math.max(1, Math.round(exponential(services, 1 / meanService) * MICROS_PER_SECOND));
    yield { kind: 'task', id: `task-${i}`, submit: Math.round(t * MICROS_PER_SECOND), duration, cpu: MILLI_PER_CORE, memory: 0, gpu: 0, priority: 0 };
  }
}
