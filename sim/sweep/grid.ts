// A sweep's cells: the product of its dimensions in a fixed order, each with the run it stands
// for and the key its result is stored under, and the deterministic shares of the grid that
// shards run.
//
// Order: clusters, then workloads, then loads, then schedulers, then seeds; the last varies
// fastest, so the runs that are compared with each other sit side by side. A trace workload
// has no load: it contributes one cell per scheduler and seed, with load null.
//
// A cell's key is the SHA-256 of a canonical JSON of what decides its result: its run (paths
// as the sweep file writes them), the contents of its input files (cluster files, traces), and
// the code (berth's version, a hash of the simulation's sources, a policy module's contents). A
// changed trace, option or policy gives a new key, so the cell runs again; an unchanged one is
// reused. Its id leaves the code out: a branch's cell is matched with the baseline's by it.

import { relative, sep } from 'node:path';
import { InputError } from '../errors.ts';
import type { RunSpec, WorkloadSpec } from '../run.ts';
import type { FileHash } from '../summary.ts';
import type { ClusterEntry, SchedulerEntry, SweepFile, WorkloadEntry } from './file.ts';
import { canonicalJson, codeFingerprint, sha256, type FileHasher } from './hash.ts';

export interface Cell {
  /** Position in the grid order. */
  readonly index: number;
  readonly cluster: string;
  readonly workload: string;
  /** Offered load of a synthetic workload; null for a trace. */
  readonly load: number | null;
  readonly scheduler: string;
  readonly seed: number;
  /** The run, with absolute paths: what a worker runs. */
  readonly spec: RunSpec;
  /** The same run with paths as the sweep file writes them (relative to it). */
  readonly portable: RunSpec;
  /** Input files (data, then a policy module), relative to the sweep file's folder, with their SHA-256. */
  readonly inputs: readonly FileHash[];
  /** The cell's identity without the code (berth's, a policy module's): what a baseline's cell is matched by. */
  readonly id: string;
  /** Where its result is stored: the id and the code. */
  readonly key: string;
}

export interface Grid {
  readonly sweep: SweepFile;
  readonly cells: readonly Cell[];
  /** berth's version and a hash of its simulation code. */
  readonly code: string;
  /** Of the name, the code, the metrics and every cell's key in order: shards of one sweep share it. */
  readonly hash: string;
}

export async function buildGrid(sweep: SweepFile, hasher: FileHasher): Promise<Grid> {
  const code = codeFingerprint();
  const portablePath = (abs: string) => {
    const rel = relative(sweep.dir, abs);
    return (rel === '' ? '.' : rel).split(sep).join('/');
  };
  const hashes = async (files: readonly string[]): Promise<FileHash[]> => {
    const out: FileHash[] = [];
    for (const f of files) out.push({ path: portablePath(f), sha256: await hasher.hash(f) });
    return out;
  };
  const clusterInputs = await Promise.all(sweep.clusters.map((c) => hashes(c.files)));
  const workloadInputs = await Promise.all(sweep.workloads.map((w) => hashes(w.files)));
  const schedulerInputs = await Promise.all(sweep.schedulers.map((s) => (s.scheduler === s.written ? [] : hashes([s.scheduler]))));

  const cells: Cell[] = [];
  const byKey = new Map<string, Cell>();
  for (const [c, cluster] of sweep.clusters.entries()) {
    for (const [w, workload] of sweep.workloads.entries()) {
      const loads: (number | null)[] = workload.kind === 'trace' ? [null] : [...(sweep.loads ?? [workload.defaultLoad])];
      for (const load of loads) {
        for (const [s, scheduler] of sweep.schedulers.entries()) {
          for (const seed of sweep.seeds) {
            const spec = runSpec(sweep, cluster, workload, load, scheduler, seed, false);
            const portable = runSpec(sweep, cluster, workload, load, scheduler, seed, true);
            const data = [...clusterInputs[c]!, ...workloadInputs[w]!];
            const id = sha256(canonicalJson({ run: portable, inputs: data }));
            const key = sha256(canonicalJson({ code, id, policy: schedulerInputs[s]! }));
            const inputs = [...data, ...schedulerInputs[s]!];
            const cell: Cell = {
              index: cells.length, cluster: cluster.label, workload: workload.label, load, scheduler: scheduler.label, seed,
              spec, portable, inputs, id, key,
            };
            const twin = byKey.get(key);
            if (twin) {
              throw new InputError({ file: sweep.path },
                `cells ${twin.index} (${describeCell(twin)}) and ${cell.index} (${describeCell(cell)}) are the same run: ` +
                'two entries of a dimension describe the same thing; remove one');
            }
            byKey.set(key, cell);
            cells.push(cell);
          }
        }
      }
    }
  }
  const hash = sha256(canonicalJson({ name: sweep.name, code, metrics: sweep.metrics.map((m) => m.key), cells: cells.map((x) => x.key) }));
  return { sweep, cells, code, hash };
}

function runSpec(
  sweep: SweepFile, cluster: ClusterEntry, workload: WorkloadEntry, load: number | null, scheduler: SchedulerEntry, seed: number, portable: boolean,
): RunSpec {
  const w: WorkloadSpec = workload.kind === 'preset'
    ? { preset: workload.preset, tasks: workload.tasks, load: load! }
    : { files: portable ? workload.portable : workload.resolved, format: workload.format, ...(workload.skipBadRows && { skipBadRows: true }) };
  return {
    cluster: portable ? cluster.portable : cluster.spec,
    workload: w,
    scheduler: portable ? scheduler.written : scheduler.scheduler,
    ...(Object.keys(scheduler.options).length > 0 && { schedulerOptions: scheduler.options }),
    seed,
    queue: sweep.queue,
    ...(workload.kind === 'trace' && { replay: sweep.replay }),
    ...(sweep.scaleCpu !== undefined && { scaleCpu: sweep.scaleCpu }),
    ...(sweep.scaleMemory !== undefined && { scaleMemory: sweep.scaleMemory }),
  };
}

/** "binpack · production-200 · production-2000 · load 0.8 · seed 1" */
export function describeCell(cell: Pick<Cell, 'scheduler' | 'cluster' | 'workload' | 'load' | 'seed'>): string {
  return [cell.scheduler, cell.cluster, cell.workload, ...(cell.load === null ? [] : [`load ${cell.load}`]), `seed ${cell.seed}`].join(' · ');
}

/** One share of a grid: shard `index` of `count` (0-based). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Cell i belongs to shard i mod n: neighbours in the grid (seeds, schedulers) spread over the shards, which evens out their costs. */
export function cellsOfShard(cells: readonly Cell[], shard: Shard): Cell[] {
  return cells.filter((c) => c.index % shard.count === shard.index);
}
