// The summary of a run (summary.json): what happened, and the run record that says how to
// repeat it. Fields are added, never renamed. Times in seconds, shares in 0-1.

import type { Reason } from '../schedulers/contract.ts';
import { meanOver } from './fragmentation.ts';
import type { Histogram } from './histogram.ts';
import { BOUNDED_SLOWDOWN_SECONDS, Channel, SLOWDOWN_SCALE, type Metrics } from './metrics.ts';
import type { FailureSpec } from './failures.ts';
import type { Conflicts, Preemptions, QueueDiscipline, ReplayMode, ServiceReplicas, Simulation, TraceReplay, VictimFate } from './simulation.ts';
import { seconds } from './units.ts';

export interface FileHash {
  readonly path: string;
  readonly sha256: string;
}

/** Everything needed to repeat a run. */
export interface RunRecord {
  readonly berth: string;
  readonly scheduler: string;
  readonly schedulerOptions: Readonly<Record<string, string | number | boolean>>;
  readonly seed: number;
  readonly queue: QueueDiscipline;
  readonly replay: ReplayMode;
  /** Present when tasks could preempt: what became of their victims. */
  readonly preempt?: VictimFate;
  /** Present when failures were injected (seconds). */
  readonly failures?: FailureSpec;
  /** The app file whose services ran as replicas. */
  readonly services?: string;
  readonly scaleCpu?: number;
  readonly scaleMemory?: number;
  readonly cluster:
    | { readonly format: string; readonly files: readonly FileHash[]; readonly nodes: number; readonly changes: number }
    | { readonly preset: string; readonly nodes: number };
  readonly workload:
    | {
      readonly format: string; readonly files: readonly FileHash[];
      /** Data rows read; malformed ones passed over (--skip-bad-rows); rows or tasks left out on purpose. */
      readonly rows: number; readonly skippedRows: number; readonly leftOut: Readonly<Record<string, number>>;
    }
    | { readonly preset: string; readonly tasks: number; readonly load: number };
  /** The command that repeats the run. */
  readonly command: string;
}

export interface Summary {
  readonly scheduler: string;
  readonly seed: number;
  readonly queue: QueueDiscipline;
  readonly digest: string;
  readonly nodes: number;
  readonly tasks: {
    readonly submitted: number;
    readonly started: number;
    readonly completed: number;
    readonly pending: number;
    readonly running: number;
    readonly unschedulable: number;
    readonly evicted: number;
    /** Waiting, at the end, for tasks they depend on. */
    readonly blocked: number;
  };
  readonly wait: { readonly mean: number; readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
  /** Time-weighted shares of capacity (of up nodes) allocated, over the measurement window; null for a resource the cluster does not have. */
  readonly utilization: { readonly cpu: number; readonly memory: number | null; readonly gpu: number | null };
  /** From the first arrival to the last (the whole run if all arrived at once), seconds. */
  readonly window: { readonly start: number; readonly end: number };
  /** From the first arrival to the last task end, seconds. */
  readonly makespan: number;
  /** Node-hours with at least one task running, over the whole run. */
  readonly activeNodeHours: number;
  readonly activeNodes: { readonly mean: number; readonly peak: number };
  readonly pendingTasks: { readonly mean: number; readonly peak: number };
  /** Waiting time at the percentiles of WAIT_CDF_PERCENTS (seconds): the CDF of waits. */
  readonly waitCdf: { readonly percent: readonly number[]; readonly seconds: readonly number[] };
  /** Waits of the tasks started, per priority value, highest first (seconds). */
  readonly waitByPriority: readonly { readonly priority: number; readonly tasks: number; readonly mean: number; readonly p95: number }[];
  /**
   * Over completed tasks: (completion - submit) / run time, for tasks with a run time; bounded,
   * with the run time taken as at least `thresholdSeconds` and the ratio at least 1 (every task).
   */
  readonly slowdown: {
    readonly tasks: number; readonly mean: number; readonly p95: number;
    readonly bounded: { readonly thresholdSeconds: number; readonly mean: number; readonly p95: number };
  };
  /**
   * Share of free cpu and memory on up nodes where the smallest pending request does not fit
   * (0 while nothing is pending): sampled on a regular grid, time-weighted over `window`.
   */
  readonly fragmentation: { readonly cpu: number; readonly memory: number; readonly samples: number };
  /** Spread of cpu utilization across up nodes (standard deviation, and it over the mean), time-weighted over `window`. */
  readonly balance: { readonly cpuCv: number; readonly cpuStdDev: number };
  /** Node-hours of up nodes, over the whole run. */
  readonly upNodeHours: number;
  /** With prices in the cluster file: price × hours of active nodes, and of up nodes, over the whole run; else null. */
  readonly cost: { readonly active: number; readonly up: number } | null;
  readonly events: number;
  readonly rounds: number;
  readonly conflicts: Conflicts;
  /** Tasks started by evicting lower-priority ones, and their victims (requeued or failed). */
  readonly preemption: Preemptions;
  /** Wait decisions (task-rounds) by reason; null unless the run asked for reasons (--reasons). */
  readonly waitReasons: Readonly<Record<Reason, number>> | null;
  readonly unschedulableSample: readonly string[];
  /** With --replay trace: what could not be replayed as the trace said; else null. */
  readonly traceReplay: TraceReplay | null;
  /** Node changes in the trace naming a node the cluster does not have. */
  readonly unknownNodeRecords: number;
  /** Times an up node failed (from the trace's machine table, or injected with --failures). */
  readonly nodeFailures: number;
  /** With --services: each service's replicas (desired, running at the end, fewest, shortfall). */
  readonly services: readonly ServiceReplicas[];
  /** Malformed rows passed over with --skip-bad-rows (0 when none, or when not reading a trace). */
  readonly skippedRows: number;
  readonly wallSeconds: number;
  readonly eventsPerSecond: number;
  readonly tasksPerSecond: number;
  readonly run: RunRecord;
}

/** Where the summary's CDF of waits is read. */
export const WAIT_CDF_PERCENTS: readonly number[] = [
  0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99,
  99.2, 99.4, 99.6, 99.8, 99.9, 99.95, 99.99, 100,
];

/** Rounds to 6 significant digits for the file; the digest, not the summary, is exact. */
const round6 = (x: number): number => (Number.isFinite(x) ? Number(x.toPrecision(6)) : x);

export function summarize(sim: Simulation, digest: string, record: RunRecord, wallSeconds: number, reasons: boolean): Summary {
  const m: Metrics | undefined = sim.metrics;
  const end = Math.max(sim.lastTaskEnd, sim.now);
  m?.advance(end);
  sim.finishSamples(end);
  const waits = m?.waits;
  const share = (alloc: number, cap: number) => {
    const c = m?.integral(cap) ?? 0;
    return c > 0 ? round6((m?.integral(alloc) ?? 0) / c) : 0;
  };
  const waitAt = (p: number) => round6(seconds(waits?.percentile(p) ?? 0));
  return {
    scheduler: record.scheduler,
    seed: record.seed,
    queue: record.queue,
    digest,
    nodes: sim.cluster.nodeCount,
    tasks: {
      submitted: sim.submitted,
      started: sim.started,
      completed: sim.completed,
      pending: sim.pendingCount,
      running: sim.runningCount,
      unschedulable: sim.unschedulable,
      evicted: sim.evicted,
      blocked: sim.blockedCount,
    },
    wait: {
      mean: round6(seconds(waits?.mean ?? 0)),
      p50: waitAt(50),
      p95: waitAt(95),
      p99: waitAt(99),
      max: round6(seconds(waits && waits.count > 0 ? waits.max : 0)),
    },
    utilization: {
      cpu: share(Channel.allocCpu, Channel.capCpu),
      memory: (m?.integral(Channel.capMemory) ?? 0) > 0 ? share(Channel.allocMemory, Channel.capMemory) : null,
      gpu: (m?.integral(Channel.capGpu) ?? 0) > 0 ? share(Channel.allocGpu, Channel.capGpu) : null,
    },
    window: { start: round6(seconds(m?.window.start ?? 0)), end: round6(seconds(m?.window.end ?? 0)) },
    makespan: m && sim.lastTaskEnd > -Infinity ? round6(seconds(sim.lastTaskEnd - m.origin)) : 0,
    activeNodeHours: round6((m?.integralOverRun(Channel.activeNodes) ?? 0) / 3.6e9),
    activeNodes: { mean: round6(m?.mean(Channel.activeNodes) ?? 0), peak: m?.peakActiveNodes ?? 0 },
    pendingTasks: { mean: round6(m?.mean(Channel.pending) ?? 0), peak: m?.peakPending ?? 0 },
    waitCdf: { percent: [...WAIT_CDF_PERCENTS], seconds: WAIT_CDF_PERCENTS.map(waitAt) },
    waitByPriority: m ? [...m.waitsByPriority].sort((a, b) => b[0] - a[0]).map(([priority, h]) => ({
      priority, tasks: h.count, mean: round6(seconds(h.mean)), p95: round6(seconds(h.percentile(95))),
    })) : [],
    slowdown: {
      tasks: m?.slowdowns.count ?? 0, mean: ratio(m?.slowdowns), p95: ratio(m?.slowdowns, 95),
      bounded: { thresholdSeconds: BOUNDED_SLOWDOWN_SECONDS, mean: ratio(m?.boundedSlowdowns), p95: ratio(m?.boundedSlowdowns, 95) },
    },
    fragmentation: {
      cpu: m ? round6(meanOver(sim.samples, m.window.start, m.window.end, 'cpu')) : 0,
      memory: m ? round6(meanOver(sim.samples, m.window.start, m.window.end, 'memory')) : 0,
      samples: sim.samples.length,
    },
    balance: { cpuCv: round6(m?.mean(Channel.cpuCv) ?? 0), cpuStdDev: round6(m?.mean(Channel.cpuStdDev) ?? 0) },
    upNodeHours: round6((m?.integralOverRun(Channel.upNodes) ?? 0) / 3.6e9),
    cost: sim.priced && m ? {
      active: round6(m.integralOverRun(Channel.activePrice) / 3.6e9), up: round6(m.integralOverRun(Channel.upPrice) / 3.6e9),
    } : null,
    events: sim.events,
    rounds: sim.rounds,
    conflicts: { ...sim.conflicts },
    preemption: { ...sim.preemption },
    waitReasons: reasons ? { ...sim.waitReasons } : null,
    unschedulableSample: [...sim.unschedulableSample],
    traceReplay: record.replay === 'trace' ? { ...sim.traceReplay } : null,
    unknownNodeRecords: sim.unknownNodeRecords,
    nodeFailures: sim.nodeFailures,
    services: sim.services(end),
    skippedRows: 'rows' in record.workload ? record.workload.skippedRows : 0,
    wallSeconds: round6(wallSeconds),
    eventsPerSecond: wallSeconds > 0 ? Math.round(sim.events / wallSeconds) : 0,
    tasksPerSecond: wallSeconds > 0 ? Math.round(sim.submitted / wallSeconds) : 0,
    run: record,
  };
}

/** A slowdown histogram's mean, or percentile, as a ratio (1 when empty). */
function ratio(h: Histogram | undefined, p?: number): number {
  if (!h || h.count === 0) return 1;
  return round6((p === undefined ? h.mean : h.percentile(p)) / SLOWDOWN_SCALE);
}

/** Fragmentation and balance samples as CSV (see sim/fragmentation.ts): instants, not buckets. */
export function samplesCsv(sim: Simulation): string {
  let text = 'time,pending,fragmentation_cpu,fragmentation_memory,cpu_util_cv\n';
  for (const s of sim.samples) {
    text += `${round6(seconds(s.time))},${s.pending},${round6(s.cpu)},${round6(s.memory)},${round6(s.cpuCv)}\n`;
  }
  return text;
}

/** The time series as CSV: one row per bucket, time-weighted means. */
export function timeseriesCsv(sim: Simulation): string {
  const m = sim.metrics;
  let text = 'time,cpu_util,memory_util,gpu_util,active_nodes,pending,running\n';
  if (!m) return text;
  const end = Math.max(sim.lastTaskEnd, sim.now);
  for (const row of m.series.rows(end)) {
    const v = (c: number) => row[c + 1]!;
    const util = (a: number, c: number) => (v(c) > 0 ? round6(v(a) / v(c)) : '');
    text += [
      round6(seconds(row[0]!)), util(Channel.allocCpu, Channel.capCpu), util(Channel.allocMemory, Channel.capMemory),
      util(Channel.allocGpu, Channel.capGpu), round6(v(Channel.activeNodes)), round6(v(Channel.pending)), round6(v(Channel.running)),
    ].join(',') + '\n';
  }
  return text;
}
