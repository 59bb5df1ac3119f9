// The results of a comparison: every run's summary and time series, the measures compared, and
// the table of means, intervals and differences to the first policy. Plain data, built once
// and read by the command line's table, the report and the notebooks.

import type { Summary } from '../summary.ts';
import { estimate, pairedDifference, type Difference, type Estimate } from './stats.ts';

/** One bucket of a run's time series (time-weighted means; utilizations null without capacity). */
export interface SeriesRow {
  /** Seconds from the first arrival. */
  readonly time: number;
  readonly cpu: number | null;
  readonly memory: number | null;
  readonly gpu: number | null;
  readonly activeNodes: number;
  readonly pending: number;
  readonly running: number;
}

/** One sample of fragmentation and balance (an instant). */
export interface SampleRow {
  readonly time: number;
  readonly pending: number;
  readonly fragmentationCpu: number;
  readonly fragmentationMemory: number;
  readonly cpuCv: number;
}

export interface RunResult {
  /** The policy as the comparison names it (its label). */
  readonly policy: string;
  readonly seed: number;
  readonly summary: Summary;
  /** Present when the runs wrote their files (compare --out). */
  readonly series?: readonly SeriesRow[];
  readonly samples?: readonly SampleRow[];
}

export interface ComparisonResults {
  readonly berth: string;
  /** The command that repeats the comparison. */
  readonly command: string;
  /** Policy labels in the order given: the first is the baseline. */
  readonly policies: readonly string[];
  readonly seeds: readonly number[];
  /** What every run shares: cluster, workload, queue (from the first run's record). */
  readonly inputs: {
    readonly cluster: Summary['run']['cluster'];
    readonly workload: Summary['run']['workload'];
    readonly queue: string;
    readonly replay: string;
  };
  /** Runs in policy order, then seed order. */
  readonly runs: readonly RunResult[];
  /** Wall time of the whole comparison, seconds. */
  readonly wallSeconds: number;
  readonly threads: number;
}

/** A measure compared across policies: how to read it from a summary, and how to show it. */
export interface Measure {
  readonly key: string;
  readonly label: string;
  /** Unit for axis titles and the table: 's', '%', 'nodes', 'node-hours', 'tasks', '' (a ratio), or a currency. */
  readonly unit: string;
  readonly better: 'lower' | 'higher' | 'neither';
  /** The value, in `unit` (shares already times 100); null when the run does not have it. */
  readonly read: (s: Summary) => number | null;
  /** Shown as a bar chart in the report. */
  readonly headline: boolean;
}

const pct = (x: number | null): number | null => (x === null ? null : 100 * x);

export const MEASURES: readonly Measure[] = [
  { key: 'waitMean', label: 'wait, mean', unit: 's', better: 'lower', read: (s) => s.wait.mean, headline: true },
  { key: 'waitP95', label: 'wait, p95', unit: 's', better: 'lower', read: (s) => s.wait.p95, headline: false },
  { key: 'waitP99', label: 'wait, p99', unit: 's', better: 'lower', read: (s) => s.wait.p99, headline: true },
  { key: 'boundedSlowdown', label: 'bounded slowdown, mean', unit: '', better: 'lower', read: (s) => s.slowdown.bounded.mean, headline: false },
  { key: 'cpuUtil', label: 'cpu utilization', unit: '%', better: 'higher', read: (s) => pct(s.utilization.cpu), headline: false },
  { key: 'activeNodes', label: 'active nodes, mean', unit: 'nodes', better: 'lower', read: (s) => s.activeNodes.mean, headline: true },
  { key: 'activeNodeHours', label: 'active node-hours', unit: '', better: 'lower', read: (s) => s.activeNodeHours, headline: true },
  { key: 'cost', label: 'cost of active nodes', unit: 'price units', better: 'lower', read: (s) => s.cost?.active ?? null, headline: true },
  { key: 'pendingMean', label: 'pending tasks, mean', unit: 'tasks', better: 'lower', read: (s) => s.pendingTasks.mean, headline: true },
  { key: 'fragmentationCpu', label: 'fragmentation, cpu', unit: '%', better: 'lower', read: (s) => pct(s.fragmentation.cpu), headline: true },
  { key: 'balanceCv', label: 'node imbalance (cpu CV)', unit: '', better: 'neither', read: (s) => s.balance.cpuCv, headline: true },
  { key: 'unscheduled', label: 'tasks never started', unit: 'tasks', better: 'lower', read: (s) => s.tasks.pending + s.tasks.blocked, headline: false },
  // With --preempt only (null otherwise, so neither a row nor a chart).
  { key: 'preemptions', label: 'tasks started by preemption', unit: 'tasks', better: 'neither', read: (s) => (s.run.preempt === undefined ? null : s.preemption.preemptions), headline: true },
  { key: 'preemptionVictims', label: 'tasks evicted by preemption', unit: 'tasks', better: 'lower', read: (s) => (s.run.preempt === undefined ? null : s.preemption.victims), headline: true },
];

export interface Cell {
  readonly policy: string;
  readonly estimate: Estimate;
  /** Against the first policy; null for the first itself. */
  readonly difference: Difference | null;
}

export interface Row {
  readonly measure: Measure;
  readonly cells: readonly Cell[];
}

/** Runs of one policy in seed order. */
export function runsOf(results: ComparisonResults, policy: string): RunResult[] {
  return results.runs.filter((r) => r.policy === policy).sort((a, b) => a.seed - b.seed);
}

/** Means, intervals and paired differences to the first policy, for every measure the runs have. */
export function comparisonTable(results: ComparisonResults, measures: readonly Measure[] = MEASURES): Row[] {
  const rows: Row[] = [];
  const [first] = results.policies;
  if (first === undefined) return rows;
  for (const measure of measures) {
    const values = new Map(results.policies.map((p) => [p, runsOf(results, p).map((r) => measure.read(r.summary))]));
    if ([...values.values()].some((vs) => vs.length === 0 || vs.some((v) => v === null))) continue;
    const base = values.get(first) as number[];
    rows.push({
      measure,
      cells: results.policies.map((policy) => {
        const vs = values.get(policy) as number[];
        return { policy, estimate: estimate(vs), difference: policy === first ? null : pairedDifference(vs, base) };
      }),
    });
  }
  return rows;
}
