// One simulation run from a serialisable spec: resolves the cluster, the workload and the
// scheduler, streams the workload into the simulation, and writes the outputs. The command
// line, the worker threads and the tests all run simulations through here.

import { performance } from 'node:perf_hooks';
import { createScheduler } from '../schedulers/registry.ts';
import type { SchedulerOptions } from '../schedulers/contract.ts';
import { readNativeTrace } from '../traces/native.ts';
import { timeOf, type TaskSource } from '../traces/record.ts';
import { inBatches, workloadPreset } from '../traces/synthetic/presets.ts';
import { expandGroups, loadClusterFile, type NodeSpec } from './cluster-file.ts';
import { formatMicros } from './units.ts';
import { StagedFile, ensureDir, outputPath } from './outputs.ts';
import { Simulation, type AttemptRow, type QueueDiscipline, type ReplayMode } from './simulation.ts';
import { summarize, timeseriesCsv, type RunRecord, type Summary } from './summary.ts';
import { VERSION } from './version.ts';

export type ClusterSpec = { readonly file: string } | { readonly preset: string; readonly nodes: number };
export type WorkloadSpec =
  | { readonly trace: string; readonly format: 'berth' }
  | { readonly preset: string; readonly tasks: number; readonly load: number };

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
  /** Writes summary.json, placements.csv and timeseries.csv there. */
  readonly out?: string;
  readonly onProgress?: (progress: Progress) => void;
  /** Ask the scheduler why tasks wait and count the reasons in the summary (slower in overload). */
  readonly reasons?: boolean;
}

export async function runSimulation(spec: RunSpec, options: RunOptions = {}): Promise<Summary> {
  const started = performance.now();
  const cluster = await resolveCluster(spec);
  const scheduler = await createScheduler(spec.scheduler, spec.schedulerOptions ?? {});
  const workload = openWorkload(spec, cluster.nodes);
  const outputs = options.out === undefined ? undefined : await openOutputs(options.out);
  const sim = new Simulation(cluster.nodes, {
    scheduler, seed: spec.seed, queue: spec.queue, replay: spec.replay ?? 'reschedule', reasons: options.reasons ?? false,
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
    }
    sim.run();
    const record = runRecord(spec, scheduler.name, cluster, workload);
    const summary = summarize(sim, sim.finishDigest(), record, wall(), options.reasons ?? false);
    if (outputs) {
      outputs.summary.write(JSON.stringify(summary, null, 2) + '\n');
      outputs.timeseries.write(timeseriesCsv(sim));
      for (const file of outputs.all) await file.commit();
    }
    return summary;
  } catch (err) {
    if (outputs) for (const file of outputs.all) await file.abort();
    throw err;
  }
}

interface ResolvedCluster {
  readonly nodes: NodeSpec[];
  readonly record: RunRecord['cluster'];
}

async function resolveCluster(spec: RunSpec): Promise<ResolvedCluster> {
  if ('file' in spec.cluster) {
    const loaded = await loadClusterFile(spec.cluster.file);
    return { nodes: loaded.nodes, record: { file: spec.cluster.file, sha256: loaded.sha256, nodes: loaded.nodes.length } };
  }
  const { preset, nodes } = spec.cluster;
  return { nodes: expandGroups(workloadPreset(preset).cell(nodes)), record: { preset, nodes } };
}

interface OpenedWorkload {
  readonly source: TaskSource;
  readonly total: number | undefined;
  record(): RunRecord['workload'];
}

function openWorkload(spec: RunSpec, nodes: readonly NodeSpec[]): OpenedWorkload {
  const w = spec.workload;
  if ('trace' in w) {
    const trace = readNativeTrace(w.trace);
    return { source: trace.source, total: undefined, record: () => ({ trace: w.trace, format: w.format, sha256: trace.sha256() }) };
  }
  const preset = workloadPreset(w.preset);
  const records = preset.generate({ tasks: w.tasks, load: w.load, seed: spec.seed, nodes });
  return { source: inBatches(records), total: w.tasks, record: () => ({ preset: w.preset, tasks: w.tasks, load: w.load }) };
}

function runRecord(spec: RunSpec, schedulerName: string, cluster: ResolvedCluster, workload: OpenedWorkload): RunRecord {
  return {
    berth: VERSION,
    scheduler: schedulerName,
    schedulerOptions: { ...spec.schedulerOptions },
    seed: spec.seed,
    queue: spec.queue,
    replay: spec.replay ?? 'reschedule',
    cluster: cluster.record,
    workload: workload.record(),
    command: commandFor(spec),
  };
}

/** The `berth sim` command line that repeats a run. */
export function commandFor(spec: RunSpec): string {
  const args = ['berth', 'sim'];
  if ('file' in spec.cluster) args.push('--cluster', spec.cluster.file);
  else args.push('--nodes', String(spec.cluster.nodes));
  const w = spec.workload;
  if ('trace' in w) args.push('--trace', w.trace, '--format', w.format);
  else args.push('--workload', w.preset, '--tasks', String(w.tasks), '--load', String(w.load));
  args.push('--scheduler', spec.scheduler, '--seed', String(spec.seed), '--queue', spec.queue);
  if (spec.replay === 'trace') args.push('--replay', 'trace');
  return args.map((a) => (/^[\w./:=,@+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

interface Outputs {
  readonly summary: StagedFile;
  readonly placements: StagedFile;
  readonly timeseries: StagedFile;
  readonly all: readonly StagedFile[];
}

async function openOutputs(dir: string): Promise<Outputs> {
  await ensureDir(dir);
  const summary = new StagedFile(outputPath(dir, 'summary.json'));
  const placements = new StagedFile(outputPath(dir, 'placements.csv'));
  const timeseries = new StagedFile(outputPath(dir, 'timeseries.csv'));
  placements.write('task,node,submit,start,end\n');
  return { summary, placements, timeseries, all: [placements, timeseries, summary] };
}

function placementLine(row: AttemptRow): string {
  return `${csvField(row.task)},${csvField(row.node)},${formatMicros(row.submit)},${formatMicros(row.start)},${formatMicros(row.end)}\n`;
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
