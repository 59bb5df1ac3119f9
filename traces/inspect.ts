// A trace's characterisation (`berth trace inspect`): how many tasks, jobs and users, when they
// arrive, how large and how long they are, at which priorities. One pass over the stream:
// memory grows with the distinct jobs and users and with the trace's span in hours, never with
// its tasks (sizes and durations go into fixed-size histograms).

import { Histogram } from '../sim/histogram.ts';
import { MICROS_PER_SECOND, cores, gib, gpus, seconds } from '../sim/units.ts';
import type { NodeChange, TaskSource } from './record.ts';

/** A distribution, in the unit its name says. */
export interface Distribution {
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface TraceProfile {
  readonly tasks: number;
  /** Distinct jobs and users; null when the trace names none. */
  readonly jobs: number | null;
  readonly users: number | null;
  /** Submit times, seconds of trace time; null without tasks. */
  readonly submit: { readonly first: number; readonly last: number; readonly span: number } | null;
  readonly arrivals: {
    /** Tasks per hour over the span (all of them when the span is zero). */
    readonly meanPerHour: number;
    /** Submits counted in bins of `binSeconds` from the first submit. */
    readonly binSeconds: number;
    readonly counts: readonly number[];
    /** The busiest bin: its start (seconds from the first submit) and count. */
    readonly peak: { readonly start: number; readonly tasks: number };
  };
  readonly cpuCores: Distribution;
  readonly memoryGiB: Distribution;
  /** null when no task asks for a GPU. */
  readonly gpus: Distribution | null;
  readonly durationSeconds: Distribution;
  /** Tasks per priority, highest priority first. */
  readonly priorities: readonly { readonly priority: number; readonly tasks: number }[];
  /** Tasks per scheduling class (Google), lowest class first; empty when the trace has none. */
  readonly schedulingClasses: readonly { readonly schedulingClass: number; readonly tasks: number }[];
  /** Tasks that carry what not every format has. */
  readonly withConstraints: number;
  readonly withDependencies: number;
  readonly withEstimate: number;
  /** Machine changes the trace holds, by kind. */
  readonly nodeChanges: Readonly<Partial<Record<NodeChange, number>>>;
}

const HOUR = 3600;
/** Bins kept at most; beyond, bins are merged pairwise (the bin doubles). */
const MAX_BINS = 4096;

/** Counts of events in bins of time that widen (by doubling) to stay under MAX_BINS. */
class TimeBins {
  binMicros = HOUR * MICROS_PER_SECOND;
  counts: number[] = [];
  private origin: number | undefined;

  add(time: number): void {
    this.origin ??= time;
    let bin = Math.floor((time - this.origin) / this.binMicros);
    while (bin >= MAX_BINS) {
      const merged: number[] = [];
      for (let i = 0; i < this.counts.length; i += 2) merged.push(this.counts[i]! + (this.counts[i + 1] ?? 0));
      this.counts = merged;
      this.binMicros *= 2;
      bin = Math.floor((time - this.origin) / this.binMicros);
    }
    while (this.counts.length <= bin) this.counts.push(0);
    this.counts[bin]!++;
  }
}

/** Reads a trace to its end and characterises it. */
export async function inspectTrace(source: TaskSource, onBatch?: (tasks: number) => void): Promise<TraceProfile> {
  const cpu = new Histogram(), memory = new Histogram(), gpu = new Histogram(), duration = new Histogram();
  const jobs = new Set<string>(), users = new Set<string>();
  const priorities = new Map<number, number>();
  const classes = new Map<number, number>();
  const nodeChanges: Partial<Record<NodeChange, number>> = {};
  const bins = new TimeBins();
  let tasks = 0, first = 0, last = 0, withConstraints = 0, withDependencies = 0, withEstimate = 0, withGpu = 0;
  for await (const batch of source) {
    for (const r of batch) {
      if (r.kind === 'node') {
        nodeChanges[r.change] = (nodeChanges[r.change] ?? 0) + 1;
        continue;
      }
      if (tasks === 0) first = r.submit;
      last = r.submit;
      tasks++;
      bins.add(r.submit);
      cpu.record(r.cpu);
      memory.record(r.memory);
      duration.record(r.duration);
      if (r.gpu > 0) withGpu++;
      gpu.record(r.gpu);
      if (r.job !== undefined) jobs.add(r.job);
      if (r.user !== undefined) users.add(r.user);
      priorities.set(r.priority, (priorities.get(r.priority) ?? 0) + 1);
      if (r.schedulingClass !== undefined) classes.set(r.schedulingClass, (classes.get(r.schedulingClass) ?? 0) + 1);
      if (r.constraints && r.constraints.length > 0) withConstraints++;
      if (r.after && r.after.length > 0) withDependencies++;
      if (r.estimate !== undefined) withEstimate++;
    }
    onBatch?.(tasks);
  }
  const span = seconds(last - first);
  let peak = { start: 0, tasks: 0 };
  bins.counts.forEach((n, i) => {
    if (n > peak.tasks) peak = { start: i * seconds(bins.binMicros), tasks: n };
  });
  return {
    tasks,
    jobs: jobs.size > 0 ? jobs.size : null,
    users: users.size > 0 ? users.size : null,
    submit: tasks > 0 ? { first: seconds(first), last: seconds(last), span } : null,
    arrivals: {
      meanPerHour: span > 0 ? (tasks * HOUR) / span : tasks,
      binSeconds: seconds(bins.binMicros),
      counts: bins.counts,
      peak,
    },
    cpuCores: distribution(cpu, cores),
    memoryGiB: distribution(memory, gib),
    gpus: withGpu > 0 ? distribution(gpu, gpus) : null,
    durationSeconds: distribution(duration, seconds),
    priorities: [...priorities].sort((a, b) => b[0] - a[0]).map(([priority, n]) => ({ priority, tasks: n })),
    schedulingClasses: [...classes].sort((a, b) => a[0] - b[0]).map(([schedulingClass, n]) => ({ schedulingClass, tasks: n })),
    withConstraints,
    withDependencies,
    withEstimate,
    nodeChanges,
  };
}

function distribution(h: Histogram, unit: (base: number) => number): Distribution {
  if (h.count === 0) return { min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  return {
    min: unit(h.min), mean: unit(h.mean), p50: unit(h.percentile(50)), p90: unit(h.percentile(90)),
    p99: unit(h.percentile(99)), max: unit(h.max),
  };
}
