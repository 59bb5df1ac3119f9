// One simulation run from a serialisable spec: resolves the cluster, the workload and the
// scheduler, streams the workload into the simulation, and writes the outputs. The command
// line, the worker threads and the tests all run simulations through here.

import { performance } from 'node:perf_hooks';
import { createScheduler } from '../schedulers/registry.ts';
import type { SchedulerOptions } from '../schedulers/contract.ts';
import { loadMachines, machinesOfTrace, openTrace, tracePlacementMissing, type ClusterFormat, type Machines, type TraceFormat } from '../traces/formats/index.ts';
import { csvQuote } from '../traces/csv.ts';
import { mergeByTime } from '../traces/merge.ts';
import { timeOf, type TraceRecord } from '../traces/record.ts';
import { inBatches, workloadPreset } from '../traces/synthetic/presets.ts';
import { expandGroups } from './cluster-file.ts';
import { InputError } from './errors.ts';
import { formatMicros } from './units.ts';
import { StagedFile, ensureDir, outputPath } from './outputs.ts';
import { Simulation, type AttemptRow, type Explanation, type QueueDiscipline, type ReplayMode, type VictimFate } from './simulation.ts';
import { withPreemption } from '../schedulers/preemption.ts';
import { formatFailureSpec, withFailures, type FailureSpec } from './failures.ts';
import { servicesOf, withServices } from './services.ts';
import { samplesCsv, summarize, timeseriesCsv, type RunRecord, type Summary } from './summary.ts';
import { VERSION } from './version.ts';

export type ClusterSpec =
  | { readonly preset: string; readonly nodes: number }
  | { readonly files: readonly string[]; readonly format: ClusterFormat }
  /** The machines the trace's own header describes (SWF). */
  | { readonly fromTrace: true };
export type WorkloadSpec =
  | { readonly preset: string; readonly tasks: number; readonly load: number }
  | { readonly files: readonly string[]; readonly format: TraceFormat; readonly skipBadRows?: boolean };

/** A run, fully specified (defaults already applied). Plain data: it crosses to worker threads. */
export interface RunSpec {
  readonly cluster: ClusterSpec;
  readonly workload: WorkloadSpec;
  /** A built-in name, or the path of a policy module (relative to the working directory). */
  readonly scheduler: string;
  readonly schedulerOptions?: SchedulerOptions;
  readonly seed: number;
  readonly queue: QueueDiscipline;
  /** Default reschedule. */
  readonly replay?: ReplayMode;
  /** Set: tasks no node has room for may evict lower-priority ones, which then requeue or fail. */
  readonly preempt?: VictimFate;
  /** Machines fail and recover at random (seeded by the run's seed), in seconds. */
  readonly failures?: FailureSpec;
  /** An app file (as `berth deploy` takes) whose services run as long-lived replicas. */
  readonly services?: string;
  /** What a normalised trace's unit of cpu and memory is worth, in cores and GiB. */
  readonly scaleCpu?: number;
  readonly scaleMemory?: number;
}

export interface Progress {
  readonly tasksRead: number;
  /** Known for synthetic workloads. */
  readonly tasksTotal: number | undefined;
  readonly simulatedSeconds: number;
  readonly events: number;
  readonly wallSeconds: number;
}

export interface RunOptions {
  /** Writes summary.json, placements.csv, timeseries.csv and samples.csv there. */
  readonly out?: string;
  readonly onProgress?: (progress: Progress) => void;
  /** Ask the scheduler why tasks wait and count the reasons in the summary (slower in overload). */
  readonly reasons?: boolean;
  /**
   * Explain the decisions for these tasks (trace ids), or all: each goes to onExplain, and to
   * explain.jsonl in the output folder. Changes no placement; costs a pass over the nodes each.
   */
  readonly explain?: { readonly tasks: 'all' | readonly string[]; readonly onExplain?: (e: Explanation) => void };
}

export async function runSimulation(spec: RunSpec, options: RunOptions = {}): Promise<Summary> {
  const started = performance.now();
  const machines = await resolveMachines(spec);
  const policy = await createScheduler(spec.scheduler, spec.schedulerOptions ?? {});
  const scheduler = spec.preempt === undefined ? policy : withPreemption(policy);
  const opened = openWorkload(spec, machines);
  let source = opened.source;
  if (spec.services !== undefined) {
    const { loadSpecFile } = await import('../real-driver/spec-file.ts');
    source = withServices(source, servicesOf(await loadSpecFile(spec.services)).replicas);
  }
  if (spec.failures !== undefined) source = withFailures(source, machines.nodes, spec.failures, spec.seed);
  const workload = { ...opened, source };
  const outputs = options.out === undefined ? undefined : await openOutputs(options.out, options.explain !== undefined);
  const explain = options.explain;
  const sim = new Simulation(machines.nodes, {
    scheduler, seed: spec.seed, queue: spec.queue, replay: spec.replay ?? 'reschedule', reasons: options.reasons ?? false,
    ...(spec.preempt !== undefined && { victims: spec.preempt }),
    ...(explain && {
      explain: {
        tasks: explain.tasks === 'all' ? 'all' : new Set(explain.tasks),
        onExplain: (e: Explanation) => {
          explain.onExplain?.(e);
          outputs?.explain?.write(JSON.stringify(e) + '\n');
        },
      },
    }),
    ...(outputs && { onAttemptEnd: (row: AttemptRow) => outputs.placements.write(placementLine(row)) }),
  });
  const wall = () => (performance.now() - started) / 1000;
  try {
    let read = 0;
    for await (const batch of workload.source) {
      for (const record of batch) sim.push(record);
      read += batch.length;
      // Events at the last record's time wait: the next batch may hold more records then.
      const last = batch[batch.length - 1];
      if (last) sim.runBefore(timeOf(last));
      options.onProgress?.({ tasksRead: read, tasksTotal: workload.total, simulatedSeconds: sim.now / 1e6, events: sim.events, wallSeconds: wall() });
      await outputs?.placements.drain();
      await outputs?.explain?.drain();
    }
    sim.run();
    const record = runRecord(spec, scheduler.name, machines, workload);
    const summary = summarize(sim, sim.finishDigest(), record, wall(), options.reasons ?? false);
    if (outputs) {
      outputs.summary.write(JSON.stringify(summary, null, 2) + '\n');
      outputs.timeseries.write(timeseriesCsv(sim));
      outputs.samples.write(samplesCsv(sim));
      for (const file of outputs.all) await file.commit();
    }
    return summary;
  } catch (err) {
    if (outputs) for (const file of outputs.all) await file.abort();
    throw err;
  }
}

interface ResolvedMachines extends Machines {
  readonly record: RunRecord['cluster'];
}

async function resolveMachines(spec: RunSpec): Promise<ResolvedMachines> {
  const c = spec.cluster;
  if ('preset' in c) {
    return { nodes: expandGroups(workloadPreset(c.preset).cell(c.nodes)), changes: [], files: [], record: { preset: c.preset, nodes: c.nodes } };
  }
  const scales = { ...(spec.scaleCpu !== undefined && { scaleCpu: spec.scaleCpu }), ...(spec.scaleMemory !== undefined && { scaleMemory: spec.scaleMemory }) };
  if ('files' in c) {
    const m = await loadMachines(c.format, c.files, scales);
    return { ...m, record: { format: c.format, files: m.files, nodes: m.nodes.length, changes: m.changes.length } };
  }
  const w = spec.workload;
  if (!('files' in w)) throw new InputError({ field: '--cluster' }, 'needed: this workload does not describe its machines');
  const m = await machinesOfTrace(w.format, w.files);
  if (!m) throw new InputError({ field: '--cluster' }, `needed: a ${w.format} trace does not describe its machines`);
  return { ...m, record: { format: `described by the ${w.format} trace`, files: [], nodes: m.nodes.length, changes: 0 } };
}

interface OpenedWorkload {
  readonly source: AsyncIterable<readonly TraceRecord[]>;
  readonly total: number | undefined;
  record(): RunRecord['workload'];
}

function openWorkload(spec: RunSpec, machines: Machines): OpenedWorkload {
  const w = spec.workload;
  if ('files' in w) {
    const replay = spec.replay ?? 'reschedule';
    const missing = replay === 'trace' ? tracePlacementMissing(w.format) : undefined;
    if (missing) throw new InputError({ field: '--replay' }, `trace needs to know where tasks ran: ${missing}`);
    const trace = openTrace(w.format, w.files, {
      replay, skipBadRows: w.skipBadRows ?? false,
      ...(spec.scaleCpu !== undefined && { scaleCpu: spec.scaleCpu }), ...(spec.scaleMemory !== undefined && { scaleMemory: spec.scaleMemory }),
    });
    const changes = async function* (): AsyncGenerator<TraceRecord[]> {
      if (machines.changes.length > 0) yield [...machines.changes];
    };
    return {
      source: mergeByTime([changes(), trace.source], timeOf),
      total: undefined,
      record: () => ({
        format: w.format, files: [...trace.stats.files].sort((a, b) => (a.path < b.path ? -1 : 1)),
        rows: trace.stats.rows, skippedRows: trace.stats.skippedRows, leftOut: trace.stats.leftOut,
      }),
    };
  }
  const preset = workloadPreset(w.preset);
  const records = preset.generate({ tasks: w.tasks, load: w.load, seed: spec.seed, nodes: machines.nodes });
  return { source: inBatches(records), total: w.tasks, record: () => ({ preset: w.preset, tasks: w.tasks, load: w.load }) };
}

function runRecord(spec: RunSpec, schedulerName: string, machines: ResolvedMachines, workload: OpenedWorkload): RunRecord {
  return {
    berth: VERSION,
    scheduler: schedulerName,
    schedulerOptions: { ...spec.schedulerOptions },
    seed: spec.seed,
    queue: spec.queue,
    replay: spec.replay ?? 'reschedule',
    ...(spec.preempt !== undefined && { preempt: spec.preempt }),
    ...(spec.failures !== undefined && { failures: spec.failures }),
    ...(spec.services !== undefined && { services: spec.services }),
    ...(spec.scaleCpu !== undefined && { scaleCpu: spec.scaleCpu }),
    ...(spec.scaleMemory !== undefined && { scaleMemory: spec.scaleMemory }),
    cluster: machines.record,
    workload: workload.record(),
    command: commandFor(spec),
  };
}

/** The `berth sim` command line that repeats a run. */
export function commandFor(spec: RunSpec): string {
  const args = ['berth', 'sim'];
  const c = spec.cluster;
  if ('preset' in c) args.push('--nodes', String(c.nodes));
  else if ('files' in c) {
    for (const f of c.files) args.push('--cluster', f);
    if (c.format !== 'berth') args.push('--cluster-format', c.format);
  }
  const w = spec.workload;
  if ('files' in w) {
    for (const f of w.files) args.push('--trace', f);
    args.push('--format', w.format);
    if (w.skipBadRows) args.push('--skip-bad-rows');
  } else {
    args.push('--workload', w.preset, '--tasks', String(w.tasks), '--load', String(w.load));
  }
  args.push('--scheduler', spec.scheduler, '--seed', String(spec.seed), '--queue', spec.queue);
  for (const [key, value] of Object.entries(spec.schedulerOptions ?? {})) args.push('--scheduler-option', `${key}=${String(value)}`);
  if (spec.replay === 'trace') args.push('--replay', 'trace');
  if (spec.preempt !== undefined) args.push('--preempt', spec.preempt);
  if (spec.failures !== undefined) args.push('--failures', formatFailureSpec(spec.failures));
  if (spec.services !== undefined) args.push('--services', spec.services);
  if (spec.scaleCpu !== undefined) args.push('--scale-cpu', String(spec.scaleCpu));
  if (spec.scaleMemory !== undefined) args.push('--scale-memory', String(spec.scaleMemory));
  return args.map((a) => (/^[\w./:=,@+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

interface Outputs {
  readonly explain?: StagedFile;
  readonly summary: StagedFile;
  readonly placements: StagedFile;
  readonly timeseries: StagedFile;
  readonly samples: StagedFile;
  readonly all: readonly StagedFile[];
}

async function openOutputs(dir: string, explain: boolean): Promise<Outputs> {
  await ensureDir(dir);
  const summary = new StagedFile(outputPath(dir, 'summary.json'));
  const placements = new StagedFile(outputPath(dir, 'placements.csv'));
  const timeseries = new StagedFile(outputPath(dir, 'timeseries.csv'));
  const samples = new StagedFile(outputPath(dir, 'samples.csv'));
  placements.write('task,node,submit,start,end\n');
  if (!explain) return { summary, placements, timeseries, samples, all: [placements, timeseries, samples, summary] };
  const explanations = new StagedFile(outputPath(dir, 'explain.jsonl'));
  return { explain: explanations, summary, placements, timeseries, samples, all: [placements, timeseries, samples, explanations, summary] };
}

function placementLine(row: AttemptRow): string {
  return `${csvQuote(row.task)},${csvQuote(row.node)},${formatMicros(row.submit)},${formatMicros(row.start)},${formatMicros(row.end)}\n`;
}
