// The metrics a sweep keeps, by name: the comparison's measures (sim/report/results.ts MEASURES,
// by key: waitMean, cpuUtil, …) and the summary's numeric fields by their path (wait.p50,
// tasks.completed, …). Each says which way is better, for bench-ci. Wall times and rates are
// not metrics of a policy (they measure the machine) and cannot be kept.

import { MEASURES } from '../report/results.ts';
import type { Summary } from '../summary.ts';

export type Better = 'lower' | 'higher' | 'neither';

export interface Metric {
  readonly key: string;
  readonly label: string;
  /** As in MEASURES: 's', '%', 'nodes', '' (a ratio or a count), … */
  readonly unit: string;
  readonly better: Better;
  /** The value, or null when the run does not have it (gpu utilization without gpus, cost without prices). */
  readonly read: (s: Summary) => number | null;
}

/** Summary fields: path, which way is better, unit. */
const FIELDS: readonly (readonly [string, Better, string])[] = [
  ['wait.mean', 'lower', 's'], ['wait.p50', 'lower', 's'], ['wait.p95', 'lower', 's'], ['wait.p99', 'lower', 's'], ['wait.max', 'lower', 's'],
  ['utilization.cpu', 'higher', 'share'], ['utilization.memory', 'higher', 'share'], ['utilization.gpu', 'higher', 'share'],
  ['makespan', 'lower', 's'], ['activeNodes.mean', 'lower', 'nodes'], ['activeNodes.peak', 'lower', 'nodes'],
  ['pendingTasks.mean', 'lower', 'tasks'], ['pendingTasks.peak', 'lower', 'tasks'],
  ['slowdown.mean', 'lower', ''], ['slowdown.p95', 'lower', ''], ['slowdown.bounded.mean', 'lower', ''], ['slowdown.bounded.p95', 'lower', ''],
  ['fragmentation.cpu', 'lower', 'share'], ['fragmentation.memory', 'lower', 'share'],
  ['balance.cpuCv', 'neither', ''], ['balance.cpuStdDev', 'neither', ''],
  ['upNodeHours', 'lower', ''], ['cost.active', 'lower', 'price units'], ['cost.up', 'lower', 'price units'],
  ['tasks.submitted', 'neither', 'tasks'], ['tasks.started', 'higher', 'tasks'], ['tasks.completed', 'higher', 'tasks'],
  ['tasks.pending', 'lower', 'tasks'], ['tasks.unschedulable', 'lower', 'tasks'], ['tasks.evicted', 'lower', 'tasks'], ['tasks.blocked', 'lower', 'tasks'],
  ['events', 'neither', ''], ['rounds', 'neither', ''],
];

function readPath(path: string): (s: Summary) => number | null {
  const parts = path.split('.');
  return (s) => {
    let v: unknown = s;
    for (const p of parts) v = v === null || typeof v !== 'object' ? undefined : (v as Record<string, unknown>)[p];
    return typeof v === 'number' ? v : null;
  };
}

const ALL: ReadonlyMap<string, Metric> = new Map<string, Metric>([
  ...MEASURES.map((m): [string, Metric] => [m.key, { key: m.key, label: m.label, unit: m.unit, better: m.better, read: m.read }]),
  ...FIELDS.map(([path, better, unit]): [string, Metric] => [path, { key: path, label: path, unit, better, read: readPath(path) }]),
]);

/** Kept when the sweep file names none: every measure of the comparison. */
export const DEFAULT_METRICS: readonly string[] = MEASURES.map((m) => m.key);

export function metricNames(): string[] {
  return [...ALL.keys()];
}

export function metric(name: string): Metric | undefined {
  return ALL.get(name);
}
