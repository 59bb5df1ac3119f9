// The sweep file (YAML or JSON): the grid of runs and the metrics to keep. Paths in it are
// relative to the file itself. Every field is checked, with errors naming the file, the line
// and the field; an unknown key is an error, so that a typo never drops a dimension silently.
//
//   name: small
//   schedulers: [first-fit, binpack, {name: nomad-binpack, options: {jobType: batch}}]
//   clusters: [{preset: production, nodes: 200}, {file: ../cluster.yaml}]
//   workloads: [{preset: production, tasks: 20000}, {trace: ../x.swf, format: swf}]
//   loads: [0.6, 0.8]          # synthetic workloads only
//   seeds: [1, 2, 3]           # or {count: 3}
//   queue: greedy
//   metrics: [waitMean, waitP99, cpuUtil, activeNodeHours]

import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { createScheduler, isModulePath } from '../../schedulers/registry.ts';
import type { SchedulerOptions } from '../../schedulers/contract.ts';
import { CLUSTER_FORMATS, TRACE_FORMATS, tracePlacementMissing, type ClusterFormat, type TraceFormat } from '../../traces/formats/index.ts';
import { expandInputs } from '../../traces/files.ts';
import { WORKLOADS, workloadPreset } from '../../traces/synthetic/presets.ts';
import { loadClusterFile } from '../cluster-file.ts';
import { InputError, quote } from '../errors.ts';
import type { ClusterSpec } from '../run.ts';
import { QUEUE_DISCIPLINES, REPLAY_MODES, type QueueDiscipline, type ReplayMode } from '../simulation.ts';
import { YamlInput, type Path } from '../yaml-input.ts';
import { DEFAULT_METRICS, metric, metricNames, type Metric } from './metrics.ts';

export interface SchedulerEntry {
  /** How results name it: `label`, else the name, with its options. */
  readonly label: string;
  /** As the sweep file writes it. */
  readonly written: string;
  /** A built-in name, or the module's absolute path. */
  readonly scheduler: string;
  readonly options: SchedulerOptions;
}

export interface ClusterEntry {
  readonly label: string;
  /** Paths as the sweep file writes them. */
  readonly portable: ClusterSpec;
  /** Paths resolved from the sweep file's folder. */
  readonly spec: ClusterSpec;
  /** Its files, expanded (absolute). */
  readonly files: readonly string[];
}

export type WorkloadEntry = {
  readonly label: string;
  readonly files: readonly string[];
} & (
  | { readonly kind: 'preset'; readonly preset: string; readonly tasks: number; readonly defaultLoad: number }
  | {
    readonly kind: 'trace'; readonly format: TraceFormat; readonly skipBadRows: boolean;
    readonly portable: readonly string[]; readonly resolved: readonly string[];
  }
);

export interface SweepFile {
  readonly name: string;
  /** The file as the user named it, for messages. */
  readonly path: string;
  /** Its folder, absolute: paths in the file are relative to it. */
  readonly dir: string;
  readonly schedulers: readonly SchedulerEntry[];
  readonly clusters: readonly ClusterEntry[];
  readonly workloads: readonly WorkloadEntry[];
  /** Offered loads for synthetic workloads; undefined: each preset's default. */
  readonly loads: readonly number[] | undefined;
  readonly seeds: readonly number[];
  readonly queue: QueueDiscipline;
  readonly replay: ReplayMode;
  readonly scaleCpu?: number;
  readonly scaleMemory?: number;
  readonly metrics: readonly Metric[];
}

const TOP = ['name', 'description', 'schedulers', 'clusters', 'workloads', 'loads', 'seeds', 'queue', 'replay', 'scaleCpu', 'scaleMemory', 'metrics'] as const;
const SCHEDULER = ['name', 'options', 'label'] as const;
const CLUSTER = ['preset', 'nodes', 'file', 'files', 'format', 'fromTrace', 'label'] as const;
const WORKLOAD = ['preset', 'tasks', 'trace', 'format', 'skipBadRows', 'label'] as const;
/** Above any real offered load; `berth sim --load` has the same bound. */
const MAX_LOAD = 100;

/** Reads, parses and checks a sweep file, schedulers and cluster files included. */
export async function loadSweepFile(path: string): Promise<SweepFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError({ file: path }, `cannot read the sweep file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const sweep = parseSweep(text, path);
  await checkSweep(sweep, YamlInput.parse(text, path));
  return sweep;
}

/** Parses and checks the structure (no scheduler is created, no cluster file read). */
export function parseSweep(text: string, path: string): SweepFile {
  const input = YamlInput.parse(text, path);
  if (input.value === null || input.value === undefined) throw input.error([], 'the file is empty: expected at least schedulers, clusters and workloads');
  const top = input.object([], input.value, TOP);
  const dir = dirname(resolve(path));
  for (const field of ['schedulers', 'clusters', 'workloads'] as const) {
    if (top[field] === undefined) throw input.error([field], `missing: expected a list of ${field}`);
  }
  const list = (field: string, what: string): unknown[] => {
    const items = input.array([field], top[field], what);
    if (items.length === 0) throw input.error([field], `expected at least one of ${what}; the list is empty`);
    return items;
  };
  const schedulers = list('schedulers', 'schedulers').map((raw, i) => readScheduler(input, dir, ['schedulers', i], raw));
  const clusters = list('clusters', 'clusters').map((raw, i) => readCluster(input, dir, ['clusters', i], raw));
  const workloads = list('workloads', 'workloads').map((raw, i) => readWorkload(input, dir, ['workloads', i], raw));
  unique(input, 'schedulers', schedulers.map((s) => s.label), 'label');
  unique(input, 'clusters', clusters.map((c) => c.label), 'label');
  unique(input, 'workloads', workloads.map((w) => w.label), 'label');

  const loads = top.loads === undefined ? undefined : input.array(['loads'], top.loads, 'offered loads').map((raw, i) => {
    if (typeof raw !== 'number' || !Number.isFinite(raw) || raw <= 0 || raw > MAX_LOAD) {
      throw input.error(['loads', i], `expected a number in (0, ${MAX_LOAD}] (offered load as a fraction of capacity); got ${quote(raw)}`);
    }
    return raw;
  });
  if (loads !== undefined) {
    if (loads.length === 0) throw input.error(['loads'], 'expected at least one load; the list is empty (leave loads out for each preset\'s default)');
    noRepeats(input, 'loads', loads);
    if (!workloads.some((w) => w.kind === 'preset')) throw input.error(['loads'], 'loads apply to synthetic workloads (preset), and every workload here is a trace');
  }
  const queue = top.queue === undefined ? 'greedy' : choice(input, ['queue'], top.queue, QUEUE_DISCIPLINES);
  const replay = top.replay === undefined ? 'reschedule' : choice(input, ['replay'], top.replay, REPLAY_MODES);
  if (replay === 'trace') {
    workloads.forEach((w, i) => {
      const missing = w.kind === 'trace' ? tracePlacementMissing(w.format) : undefined;
      if (missing) throw input.error(['workloads', i, 'format'], `replay: trace needs to know where tasks ran: ${missing}`);
    });
  }
  const positive = (field: 'scaleCpu' | 'scaleMemory', unit: string): number | undefined => {
    const v = top[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw input.error([field], `expected a number > 0 (${unit}); got ${quote(v)}`);
    return v;
  };
  const scaleCpu = positive('scaleCpu', 'cores'), scaleMemory = positive('scaleMemory', 'GiB');
  clusters.forEach((c, i) => {
    if (!('fromTrace' in c.spec)) return;
    const w = workloads.findIndex((x) => x.kind !== 'trace' || x.format !== 'swf');
    if (w >= 0) {
      throw input.error(['clusters', i, 'fromTrace'],
        `the machines a trace describes exist only for SWF traces, and workloads[${w}] is ${workloads[w]!.kind === 'preset' ? 'synthetic' : `a ${(workloads[w] as { format: string }).format} trace`}: give this workload a cluster in a sweep of its own`);
    }
  });
  if (top.name !== undefined) input.string(['name'], top.name);
  if (top.description !== undefined) input.string(['description'], top.description);
  return {
    name: (top.name as string | undefined) ?? basename(path, extname(path)),
    path, dir, schedulers, clusters, workloads, loads,
    seeds: readSeeds(input, top.seeds),
    queue, replay,
    ...(scaleCpu !== undefined && { scaleCpu }), ...(scaleMemory !== undefined && { scaleMemory }),
    metrics: readMetrics(input, top.metrics),
  };
}

/** Creates each scheduler with its options and reads each berth cluster file, before any worker starts. */
async function checkSweep(sweep: SweepFile, input: YamlInput): Promise<void> {
  for (const [i, s] of sweep.schedulers.entries()) {
    try {
      await createScheduler(s.scheduler, s.options);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      throw input.error(['schedulers', i], err.where.file !== undefined ? err.message : err.problem);
    }
  }
  for (const c of sweep.clusters) {
    if ('files' in c.spec && c.spec.format === 'berth') await loadClusterFile(c.files[0]!);
  }
}

function readScheduler(input: YamlInput, dir: string, path: Path, raw: unknown): SchedulerEntry {
  const entry = typeof raw === 'string' ? { name: raw } : input.object(path, raw, SCHEDULER);
  if (entry.name === undefined) throw input.error(path, 'missing name: expected a built-in scheduler or the path of a policy module');
  const written = input.string(typeof raw === 'string' ? path : [...path, 'name'], entry.name);
  const options: Record<string, string | number | boolean> = {};
  if (entry.options !== undefined) {
    const o = entry.options;
    if (o === null || typeof o !== 'object' || Array.isArray(o)) throw input.error([...path, 'options'], `expected a mapping of option names to values; got ${quote(o)}`);
    for (const [k, v] of Object.entries(o)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw input.error([...path, 'options', k], `expected a string, number or boolean; got ${quote(v)}`);
      options[k] = v;
    }
  }
  const module = isModulePath(written);
  const shown = module ? basename(written, extname(written)) : written;
  const optionsText = Object.entries(options).map(([k, v]) => `${k}=${String(v)}`).join(',');
  const label = entry.label !== undefined ? input.string([...path, 'label'], entry.label) : optionsText ? `${shown} ${optionsText}` : shown;
  return { label, written, scheduler: module ? resolveFrom(dir, written) : written, options };
}

function readCluster(input: YamlInput, dir: string, path: Path, raw: unknown): ClusterEntry {
  const c = input.object(path, raw, CLUSTER);
  const kinds = (['preset', 'file', 'files', 'fromTrace'] as const).filter((k) => c[k] !== undefined);
  if (kinds.length !== 1) {
    throw input.error(path, kinds.length === 0
      ? 'expected one of preset (with nodes), file, files or fromTrace'
      : `give one of ${kinds.join(' and ')}, not both`);
  }
  const label = c.label === undefined ? undefined : input.string([...path, 'label'], c.label);
  const only = (allowed: readonly string[]) => {
    for (const k of Object.keys(c)) {
      if (!allowed.includes(k) && k !== 'label') throw input.error([...path, k], `does not go with ${kinds[0]}; expected ${allowed.join(', ')}`);
    }
  };
  if (kinds[0] === 'preset') {
    only(['preset', 'nodes']);
    const preset = choice(input, [...path, 'preset'], c.preset, [...WORKLOADS.keys()]);
    const nodes = c.nodes === undefined ? workloadPreset(preset).defaultNodes : wholeNumber(input, [...path, 'nodes'], c.nodes, 1, 1e7);
    const spec = { preset, nodes };
    return { label: label ?? `${preset}-${nodes}`, portable: spec, spec, files: [] };
  }
  if (kinds[0] === 'fromTrace') {
    only(['fromTrace']);
    if (c.fromTrace !== true) throw input.error([...path, 'fromTrace'], `expected true (the machines an SWF trace's header describes); got ${quote(c.fromTrace)}`);
    const spec = { fromTrace: true as const };
    return { label: label ?? 'from the trace', portable: spec, spec, files: [] };
  }
  only(['file', 'files', 'format']);
  const format: ClusterFormat = c.format === undefined ? 'berth' : choice(input, [...path, 'format'], c.format, CLUSTER_FORMATS);
  const field = kinds[0]!;
  const written = field === 'file' ? [input.string([...path, 'file'], c.file)] : stringList(input, [...path, 'files'], c.files, 'files');
  const resolved = written.map((p) => resolveFrom(dir, p));
  const files = expand(input, [...path, field], resolved);
  return { label: label ?? written.join(','), portable: { files: written, format }, spec: { files: resolved, format }, files };
}

function readWorkload(input: YamlInput, dir: string, path: Path, raw: unknown): WorkloadEntry {
  const w = input.object(path, raw, WORKLOAD);
  if ((w.preset === undefined) === (w.trace === undefined)) {
    throw input.error(path, w.preset === undefined ? 'expected preset (a synthetic workload) or trace (files)' : 'give preset or trace, not both');
  }
  const label = w.label === undefined ? undefined : input.string([...path, 'label'], w.label);
  if (w.preset !== undefined) {
    for (const k of ['format', 'skipBadRows'] as const) if (w[k] !== undefined) throw input.error([...path, k], 'goes with trace, not with preset');
    const preset = choice(input, [...path, 'preset'], w.preset, [...WORKLOADS.keys()]);
    const p = workloadPreset(preset);
    const tasks = w.tasks === undefined ? p.defaultTasks : wholeNumber(input, [...path, 'tasks'], w.tasks, 1, 1e10);
    return { kind: 'preset', label: label ?? `${preset}-${tasks}`, preset, tasks, defaultLoad: p.defaultLoad, files: [] };
  }
  if (w.tasks !== undefined) throw input.error([...path, 'tasks'], 'goes with preset, not with trace (a trace has the tasks it has)');
  const portable = typeof w.trace === 'string' ? [input.string([...path, 'trace'], w.trace)] : stringList(input, [...path, 'trace'], w.trace, 'trace files');
  const format: TraceFormat = w.format === undefined ? 'berth' : choice(input, [...path, 'format'], w.format, TRACE_FORMATS);
  if (w.skipBadRows !== undefined && typeof w.skipBadRows !== 'boolean') throw input.error([...path, 'skipBadRows'], `expected true or false; got ${quote(w.skipBadRows)}`);
  const resolved = portable.map((p) => resolveFrom(dir, p));
  return {
    kind: 'trace', label: label ?? portable.join(','), format, skipBadRows: w.skipBadRows === true,
    portable, resolved, files: expand(input, [...path, 'trace'], resolved),
  };
}

function readSeeds(input: YamlInput, raw: unknown): number[] {
  if (raw === undefined) return [1];
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const o = input.object(['seeds'], raw, ['count']);
    if (o.count === undefined) throw input.error(['seeds'], 'expected a list of seeds, or {count: N} for seeds 1…N');
    const n = wholeNumber(input, ['seeds', 'count'], o.count, 1, 100_000);
    return Array.from({ length: n }, (_, i) => i + 1);
  }
  if (!Array.isArray(raw)) throw input.error(['seeds'], `expected a list of seeds, or {count: N} for seeds 1…N; got ${quote(raw)}`);
  if (raw.length === 0) throw input.error(['seeds'], 'expected at least one seed; the list is empty');
  const seeds = raw.map((s, i) => wholeNumber(input, ['seeds', i], s, 0, Number.MAX_SAFE_INTEGER));
  noRepeats(input, 'seeds', seeds);
  return seeds;
}

function readMetrics(input: YamlInput, raw: unknown): Metric[] {
  const names = raw === undefined ? DEFAULT_METRICS : stringList(input, ['metrics'], raw, 'metric names');
  if (raw !== undefined) noRepeats(input, 'metrics', names);
  return names.map((name, i) => {
    const m = metric(name);
    if (!m) throw input.error(['metrics', i], `unknown metric ${quote(name)}; expected one of ${metricNames().join(', ')}`);
    return m;
  });
}

function choice<T extends string>(input: YamlInput, path: Path, raw: unknown, choices: readonly T[]): T {
  if (typeof raw !== 'string' || !(choices as readonly string[]).includes(raw)) throw input.error(path, `expected one of ${choices.join(', ')}; got ${quote(raw)}`);
  return raw as T;
}

function wholeNumber(input: YamlInput, path: Path, raw: unknown, min: number, max: number): number {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) {
    throw input.error(path, `expected a whole number from ${min} to ${max.toLocaleString('en-US')}; got ${quote(raw)}`);
  }
  return raw;
}

function stringList(input: YamlInput, path: Path, raw: unknown, what: string): string[] {
  const items = input.array(path, raw, what);
  if (items.length === 0) throw input.error(path, `expected at least one of ${what}; the list is empty`);
  return items.map((x, i) => input.string([...path, i], x));
}

function noRepeats(input: YamlInput, field: string, values: readonly unknown[]): void {
  const i = values.findIndex((v, j) => values.indexOf(v) !== j);
  if (i >= 0) throw input.error([field, i], `${quote(values[i])} is already listed as ${field}[${values.indexOf(values[i])}]`);
}

function unique(input: YamlInput, field: string, labels: readonly string[], what: string): void {
  const i = labels.findIndex((v, j) => labels.indexOf(v) !== j);
  if (i >= 0) {
    throw input.error([field, i], `its ${what} ${quote(labels[i])} is the same as ${field}[${labels.indexOf(labels[i]!)}]'s: ` +
      'results would not tell them apart (give each a distinct label, or remove the repeat)');
  }
}

function resolveFrom(dir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dir, path);
}

/** The files behind paths, folders and globs, with the sweep file's field in the error. */
function expand(input: YamlInput, path: Path, inputs: readonly string[]): string[] {
  try {
    return expandInputs(inputs);
  } catch (err) {
    if (err instanceof InputError) throw input.error(path, err.message);
    throw err;
  }
}
