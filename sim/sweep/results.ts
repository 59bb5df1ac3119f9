// A sweep's results as data and files. results.json is deterministic: cells in grid order, no
// wall time, no date, no absolute path (paths are relative to the sweep file), so that the
// same sweep gives the same bytes whether it ran at once, in parallel or serially, or as
// shards merged afterwards. Wall times go to timing.json.
//
// Each run of `berth sweep` also writes a shard manifest, OUT/shards/<i>-of-<n>.json (0-of-1 for
// the whole grid): the sweep's header and the rows of its share. `berth merge` joins manifests.

import { csvQuote } from '../../traces/csv.ts';
import { commandFor } from '../run.ts';
import type { FileHash, RunRecord, Summary } from '../summary.ts';
import type { Grid, Cell, Shard } from './grid.ts';
import type { Better } from './metrics.ts';

export interface SweepHeader {
  readonly name: string;
  /** Shards of one sweep share it: the name, berth's code, the metrics and every cell's key. */
  readonly hash: string;
  readonly berth: string;
  readonly code: string;
  readonly order: string;
  readonly dimensions: {
    readonly clusters: readonly string[];
    readonly workloads: readonly string[];
    readonly loads: readonly number[];
    readonly schedulers: readonly string[];
    readonly seeds: readonly number[];
  };
  readonly metrics: readonly { readonly key: string; readonly label: string; readonly unit: string; readonly better: Better }[];
  readonly cells: number;
}

export interface SweepRow {
  readonly index: number;
  readonly key: string;
  readonly id: string;
  readonly cluster: string;
  readonly workload: string;
  readonly load: number | null;
  readonly scheduler: string;
  readonly seed: number;
  readonly digest: string;
  /** The kept metrics, null when the run does not have one. */
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly tasks: Summary['tasks'];
  /** The run record, with paths relative to the sweep file; its command repeats the run from the sweep file's folder. */
  readonly run: RunRecord;
  readonly inputs: readonly FileHash[];
}

export interface SweepResults {
  readonly sweep: SweepHeader;
  readonly cells: readonly SweepRow[];
}

export interface ShardManifest extends SweepResults {
  readonly format: typeof MANIFEST_FORMAT;
  readonly shard: Shard;
}

export const MANIFEST_FORMAT = 'berth-sweep-shard/1';

export const ORDER = 'clusters, workloads, loads, schedulers, seeds (seeds vary fastest); cell i belongs to shard i mod n';

export function sweepHeader(grid: Grid): SweepHeader {
  const s = grid.sweep;
  const loads = [...new Set(grid.cells.map((c) => c.load).filter((l): l is number => l !== null))];
  return {
    name: s.name, hash: grid.hash, berth: grid.code.split('+')[0]!, code: grid.code, order: ORDER,
    dimensions: {
      clusters: s.clusters.map((c) => c.label), workloads: s.workloads.map((w) => w.label), loads,
      schedulers: s.schedulers.map((x) => x.label), seeds: [...s.seeds],
    },
    metrics: s.metrics.map((m) => ({ key: m.key, label: m.label, unit: m.unit, better: m.better })),
    cells: grid.cells.length,
  };
}

export function sweepRow(grid: Grid, cell: Cell, summary: Summary): SweepRow {
  return {
    index: cell.index, key: cell.key, id: cell.id,
    cluster: cell.cluster, workload: cell.workload, load: cell.load, scheduler: cell.scheduler, seed: cell.seed,
    digest: summary.digest,
    metrics: Object.fromEntries(grid.sweep.metrics.map((m) => [m.key, tidy(m.read(summary))])),
    tasks: summary.tasks,
    run: portableRecord(summary.run, cell, grid.sweep.dir),
    inputs: cell.inputs,
  };
}

/** Without the float noise of unit conversions (100 × 0.550896 = 55.089600000000004). */
const tidy = (x: number | null): number | null => (x === null || !Number.isFinite(x) ? x : Number(x.toPrecision(12)));

/** The run record with input paths relative to the sweep file, and the command that repeats the run from there. */
function portableRecord(run: RunRecord, cell: Cell, dir: string): RunRecord {
  const byHash = new Map(cell.inputs.map((f) => [f.sha256, f.path]));
  const files = (list: readonly FileHash[]) => list.map((f) => ({ path: byHash.get(f.sha256) ?? relativeName(f.path, dir), sha256: f.sha256 }));
  return {
    ...run,
    cluster: 'files' in run.cluster ? { ...run.cluster, files: files(run.cluster.files) } : run.cluster,
    workload: 'files' in run.workload ? { ...run.workload, files: files(run.workload.files) } : run.workload,
    command: commandFor(cell.portable),
  };
}

function relativeName(path: string, dir: string): string {
  return path.startsWith(dir + '/') ? path.slice(dir.length + 1) : path;
}

export function resultsJson(results: SweepResults): string {
  return JSON.stringify({ sweep: results.sweep, cells: results.cells }, null, 2) + '\n';
}

export function manifestJson(manifest: ShardManifest): string {
  return JSON.stringify(manifest, null, 1) + '\n';
}

export const manifestName = (shard: Shard): string => `${shard.index}-of-${shard.count}.json`;

/** One row per cell: its dimensions, the kept metrics, the digest and the key. */
export function resultsCsv(results: SweepResults): string {
  const field = (x: string | number | null): string => (x === null ? '' : typeof x === 'number' ? String(x) : csvQuote(x));
  const keys = results.sweep.metrics.map((m) => m.key);
  let text = ['index', 'cluster', 'workload', 'load', 'scheduler', 'seed', ...keys, 'digest', 'key'].map(field).join(',') + '\n';
  for (const r of results.cells) {
    text += [r.index, r.cluster, r.workload, r.load, r.scheduler, r.seed, ...keys.map((k) => r.metrics[k] ?? null), r.digest, r.key].map(field).join(',') + '\n';
  }
  return text;
}
