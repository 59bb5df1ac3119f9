// `berth sweep SWEEP.yaml`: every cell of a sweep's grid (or one shard's share of it) in worker
// threads, each result stored as it ends and reused when the sweep starts again; with the
// whole grid, results.json, results.csv and report.html.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadSweepFile } from '../sim/sweep/file.ts';
import { buildGrid, cellsOfShard, describeCell, type Grid, type Shard } from '../sim/sweep/grid.ts';
import { FileHasher } from '../sim/sweep/hash.ts';
import { readCell, type CellProgress } from '../sim/sweep/run.ts';
import { points } from '../sim/sweep/report.ts';
import type { SweepResults } from '../sim/sweep/results.ts';
import { runSweep, type SweepRun } from '../sim/sweep/sweep.ts';
import { estimateText } from '../sim/report/text.ts';
import { UsageError, numberFlag, parseFlags, stringFlag, type Flags } from './args.ts';
import { duration } from './format.ts';
import { statusLine } from './progress.ts';

export const SWEEP_HELP = `usage: berth sweep SWEEP.yaml [--out DIR] [--workers N] [--shard I/N | --shards N] [--list] [--quiet]

Runs every cell of a sweep: the grid of clusters × workloads × loads × schedulers × seeds that
SWEEP.yaml declares, with the metrics to keep (see the README's "Sweeps"). Cells run in worker
threads; each cell's result is written to DIR/cells/<key>.json as soon as it ends, keyed by a
hash of its run, its input files' contents and berth's code, so a sweep started again runs only
the cells that are missing or changed. With the whole grid it writes DIR/results.json (cells in
grid order, deterministic), results.csv, report.html and timing.json.

  --out DIR        output folder (default out/sweeps/<name>)
  --workers N      worker threads (default: one per core)
  --shard I/N      run only shard I of N (0-based: 0/3, 1/3, 2/3); cell i belongs to shard i mod N.
                   Each shard writes DIR/shards/I-of-N.json; 'berth merge' joins them
  --shards N       N shards, this one's index read from the batch engine: JOB_COMPLETION_INDEX
                   (a Kubernetes Indexed Job). In a Slurm array the index and count are read
                   from SLURM_ARRAY_TASK_ID, _MIN and _COUNT without any flag (--shards, if
                   given, must equal the count)
  --list           print the cells (of the shard) and whether a result is stored; run nothing
  --quiet          no progress display

A sweep file (YAML or JSON; paths in it are relative to it):

  name: small
  schedulers: [first-fit, binpack, {name: nomad-binpack, options: {jobType: batch}}, ./my-policy.ts]
  clusters: [{preset: production, nodes: 200}, {file: cluster.yaml}]
  workloads: [{preset: production, tasks: 20000}, {trace: jobs.swf, format: swf}]
  loads: [0.6, 0.8]                 # synthetic workloads only
  seeds: {count: 3}                 # or [1, 2, 3]
  queue: greedy
  metrics: [waitMean, waitP99, cpuUtil, activeNodeHours, wait.p50, tasks.completed]`;

const OPTIONS = {
  out: { type: 'string' },
  workers: { type: 'string' },
  shard: { type: 'string' },
  shards: { type: 'string' },
  list: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function sweepCommand(args: string[]): Promise<void> {
  const { flags, positionals } = parseFlags(args, OPTIONS, 1);
  if (flags.help) return void process.stdout.write(SWEEP_HELP + '\n');
  const file = positionals[0];
  if (file === undefined) throw new UsageError('berth sweep needs a sweep file: berth sweep SWEEP.yaml');
  const { shard, source } = shardFrom(stringFlag(flags, 'shard'), stringFlag(flags, 'shards'), process.env);
  const workers = workersFlag(flags);
  const sweep = await loadSweepFile(file);
  const out = stringFlag(flags, 'out') ?? defaultOut(sweep.name);
  const grid = await openGrid(sweep, out, flags.list !== true);
  if (flags.list) return void process.stdout.write(await listCells(grid, shard, out));
  const run = await runWithProgress('berth sweep', grid, out, shard, workers, flags.quiet === true);
  process.stdout.write(sweepReport(grid, run, shard, source, out) + '\n');
}

export const defaultOut = (name: string): string => join('out', 'sweeps', name.replace(/[^\w.-]+/g, '_'));

export async function openGrid(sweep: Awaited<ReturnType<typeof loadSweepFile>>, out: string, remember: boolean): Promise<Grid> {
  const hasher = await FileHasher.open(join(out, 'input-hashes.json'));
  const grid = await buildGrid(sweep, hasher);
  // Only a speed-up: a folder that cannot be written is reported by the run.
  if (remember) await mkdir(out, { recursive: true }).then(() => hasher.save()).catch(() => undefined);
  return grid;
}

export function workersFlag(flags: Flags): number | undefined {
  return numberFlag(flags, 'workers', { integer: true, min: 1, max: 1024 });
}

/** The progress line: cells done of the share, reused, elapsed and an estimate of the time left. */
export async function runWithProgress(label: string, grid: Grid, out: string, shard: Shard, workers: number | undefined, quiet: boolean): Promise<SweepRun> {
  const started = performance.now();
  const line = statusLine(quiet);
  let last: CellProgress | undefined;
  let phase = '';
  const status = () => {
    const elapsed = (performance.now() - started) / 1000;
    if (phase) return `${label} · ${phase}`;
    if (!last) return `${label} · ${grid.sweep.name} · reading stored cells…`;
    const left = last.toRun - last.ran;
    const eta = last.ran > 0 && left > 0 ? ` · about ${duration((last.runningSeconds / last.ran) * left)} left` : '';
    return `${label} · ${grid.sweep.name} · ${last.done}/${last.total} cells${last.reused ? ` (${last.reused} reused)` : ''} · ${duration(elapsed)} elapsed${eta}`;
  };
  const timer = setInterval(() => line.show(status), 500);
  timer.unref();
  try {
    return await runSweep(grid, {
      out, shard, ...(workers !== undefined && { workers }),
      onProgress: (p) => { last = p; line.show(status); },
      onWriting: () => { phase = 'writing results.json and report.html…'; line.show(status); },
    });
  } finally {
    clearInterval(timer);
    line.done();
  }
}

/** What ran, what was reused, where the files are; with the whole grid, the means over seeds. */
export function sweepReport(grid: Grid, run: SweepRun, shard: Shard, source: string, out: string): string {
  const r = run.run;
  const ran = r.outcomes.filter((o) => !o.reused).length;
  const reused = r.outcomes.length - ran;
  const share = shard.count === 1 ? `${grid.cells.length} cells` : `shard ${shard.index}/${shard.count}${source ? ` (${source})` : ''}: ${r.outcomes.length} of ${grid.cells.length} cells`;
  const lines = [
    `berth sweep · ${grid.sweep.name} · ${share}`,
    `cells     ${ran} run${ran > 0 ? ` on ${r.workers} worker thread${r.workers === 1 ? '' : 's'}` : ''}, ${reused} reused from ${join(out, 'cells')}/` +
      `${r.damaged > 0 ? ` (${r.damaged} damaged cell file${r.damaged === 1 ? '' : 's'} ran again)` : ''} · ${duration(r.wallSeconds)}`,
  ];
  if (run.results) {
    lines.push('', meansTable(run.results), '',
      `results   ${join(out, 'results.json')}, results.csv · report ${join(out, 'report.html')} · timing.json`);
  } else {
    lines.push(`manifest  ${join(out, 'shards', `${shard.index}-of-${shard.count}.json`)}: merge the shards with 'berth merge DIR… --out DIR'`);
  }
  return lines.join('\n');
}

/** A row per (cluster, workload, load, scheduler), a column per metric: means over seeds (± 95 % interval). */
export function meansTable(results: SweepResults): string {
  const metrics = results.sweep.metrics;
  const byMetric = metrics.map((m) => new Map(points(results, m.key).map((p) => [JSON.stringify([p.cluster, p.workload, p.load, p.scheduler]), p])));
  const seen = new Set<string>();
  const rows: string[][] = [['cluster', 'workload', 'load', 'scheduler', ...metrics.map((m) => m.key)]];
  for (const c of results.cells) {
    const load = c.load === null ? 'trace' : String(c.load);
    const k = JSON.stringify([c.cluster, c.workload, load, c.scheduler]);
    if (seen.has(k)) continue;
    seen.add(k);
    rows.push([c.cluster, c.workload, load, c.scheduler, ...byMetric.map((m) => {
      const p = m.get(k);
      return p ? estimateText({ n: p.seeds, mean: p.mean, sd: null, halfWidth: p.halfWidth, low: null, high: null }) : '—';
    })]);
  }
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  const seeds = results.sweep.dimensions.seeds.length;
  return [
    ...rows.map((r) => r.map((x, j) => (j < 4 ? x.padEnd(widths[j]!) : x.padStart(widths[j]!))).join('  ').trimEnd()),
    '',
    seeds > 1 ? `mean ± half-width of the 95 % interval over ${seeds} seeds` : 'one seed: no interval',
  ].join('\n');
}

async function listCells(grid: Grid, shard: Shard, out: string): Promise<string> {
  const share = cellsOfShard(grid.cells, shard);
  const lines = [`# ${grid.sweep.name}: ${share.length} of ${grid.cells.length} cells${shard.count > 1 ? ` (shard ${shard.index}/${shard.count})` : ''}; sweep ${grid.hash.slice(0, 16)}`];
  for (const c of share) {
    const stored = await readCell(out, c.key);
    lines.push(`${String(c.index).padStart(5)}  ${c.key.slice(0, 12)}  ${stored === undefined ? 'to run ' : stored === 'damaged' ? 'damaged' : 'stored '}  ${describeCell(c)}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * This run's share of the grid: --shard I/N, or N from --shards and I from the batch engine's
 * environment (Kubernetes' JOB_COMPLETION_INDEX, 0-based; Slurm's SLURM_ARRAY_TASK_ID, taken
 * from SLURM_ARRAY_TASK_MIN in steps of SLURM_ARRAY_TASK_STEP, so --array=1-4 works as 0-3
 * does), or the whole grid.
 */
export function shardFrom(shardFlag: string | undefined, shardsFlag: string | undefined, env: NodeJS.ProcessEnv): { shard: Shard; source: string } {
  const whole = (text: string | undefined, what: string, min: number): number => {
    if (text === undefined || !/^\s*\d+\s*$/.test(text) || Number(text) < min) throw new UsageError(`${what} expects a whole number >= ${min}; got ${JSON.stringify(text ?? '')}`);
    return Number(text);
  };
  const inRange = (index: number, count: number, what: string): void => {
    if (index >= count) throw new UsageError(`${what} is ${index}, but with ${count} shard${count === 1 ? '' : 's'} the index goes from 0 to ${count - 1} (shards are numbered from 0)`);
  };
  if (shardFlag !== undefined) {
    if (shardsFlag !== undefined) throw new UsageError('--shard and --shards cannot be used together: --shard I/N says both');
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(shardFlag);
    if (!m) throw new UsageError(`--shard expects I/N, the 0-based index of this shard and the number of shards, such as 0/3; got ${JSON.stringify(shardFlag)}`);
    const index = Number(m[1]), count = Number(m[2]);
    if (count < 1) throw new UsageError(`--shard ${shardFlag}: the number of shards must be at least 1`);
    if (index >= count) throw new UsageError(`--shard ${shardFlag}: with ${count} shards the index goes from 0 to ${count - 1} (shards are numbered from 0)`);
    return { shard: { index, count }, source: '' };
  }
  const shards = shardsFlag === undefined ? undefined : whole(shardsFlag, '--shards', 1);
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    if (shards === undefined) {
      throw new UsageError('JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job), but not --shards: give --shards N, the Job\'s completions ' +
        '(or --shard 0/1 to run the whole grid in each pod)');
    }
    const index = whole(env.JOB_COMPLETION_INDEX, 'JOB_COMPLETION_INDEX', 0);
    inRange(index, shards, 'JOB_COMPLETION_INDEX');
    return { shard: { index, count: shards }, source: 'JOB_COMPLETION_INDEX' };
  }
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    const id = whole(env.SLURM_ARRAY_TASK_ID, 'SLURM_ARRAY_TASK_ID', 0);
    const count = whole(env.SLURM_ARRAY_TASK_COUNT, 'SLURM_ARRAY_TASK_COUNT (set by Slurm in an array job)', 1);
    const min = env.SLURM_ARRAY_TASK_MIN === undefined ? 0 : whole(env.SLURM_ARRAY_TASK_MIN, 'SLURM_ARRAY_TASK_MIN', 0);
    const step = env.SLURM_ARRAY_TASK_STEP === undefined ? 1 : whole(env.SLURM_ARRAY_TASK_STEP, 'SLURM_ARRAY_TASK_STEP', 1);
    if (shards !== undefined && shards !== count) {
      throw new UsageError(`--shards ${shards}, but this Slurm array has ${count} tasks (SLURM_ARRAY_TASK_COUNT): make #SBATCH --array=0-${shards - 1} and --shards agree`);
    }
    if (id < min || (id - min) % step !== 0) throw new UsageError(`SLURM_ARRAY_TASK_ID ${id} is not in the array from ${min} in steps of ${step}`);
    const index = (id - min) / step;
    inRange(index, count, `the shard index from SLURM_ARRAY_TASK_ID ${id} (array from ${min}${step > 1 ? ` in steps of ${step}` : ''})`);
    return { shard: { index, count }, source: 'SLURM_ARRAY_TASK_ID' };
  }
  if (shards !== undefined) {
    throw new UsageError('--shards N reads this shard\'s index from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID (a Slurm array), and neither is set: use --shard I/N to give it');
  }
  return { shard: { index: 0, count: 1 }, source: '' };
}
