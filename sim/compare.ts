// A comparison: every scheduler on the same inputs for each seed, in worker threads (piscina).
// Each run is the same runSimulation as in the main thread, so a run's results do not depend on
// which thread computed it, nor on the order in which the pool finished the runs.

import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isModulePath } from '../schedulers/registry.ts';
import { runSimulation, type RunSpec } from './run.ts';
import type { Summary } from './summary.ts';
import { VERSION } from './version.ts';
import { WORKER_FILE, type WorkerJob } from './worker-task.ts';
import type { ComparisonResults, RunResult, SampleRow, SeriesRow } from './report/results.ts';

export interface ComparisonSpec {
  /** Everything but the scheduler and the seed. */
  readonly base: Omit<RunSpec, 'scheduler' | 'seed'>;
  /** As given: built-in names or module paths. The first is the baseline. */
  readonly schedulers: readonly string[];
  readonly seeds: readonly number[];
  /** The command that repeats the comparison, for the report. */
  readonly command: string;
}

export interface ComparisonOptions {
  /** Each run writes its files under DIR/runs/<policy>/seed-<n>/, and its series are read back. */
  readonly out?: string;
  /** Worker threads (default: the machine's cores, at most one per run). */
  readonly threads?: number;
  /** Called as each run ends, in the order they end. */
  readonly onRunDone?: (done: number, total: number, run: { readonly scheduler: string; readonly seed: number; readonly wallSeconds: number }) => void;
}

/** The folder of one run's files under a comparison's output folder. */
export function runFolder(out: string, scheduler: string, seed: number): string {
  const name = isModulePath(scheduler) ? scheduler.replace(/^.*[\\/]/, '').replace(/\.[cm]?[jt]s$/, '') : scheduler;
  return join(out, 'runs', name.replace(/[^\w.-]+/g, '_'), `seed-${seed}`);
}

export async function runComparison(spec: ComparisonSpec, options: ComparisonOptions = {}): Promise<ComparisonResults> {
  const started = performance.now();
  const jobs = spec.seeds.flatMap((seed) => spec.schedulers.map((scheduler) => ({ scheduler, seed })));
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), jobs.length));
  // Loaded here, not at startup: every other command starts without it.
  const { Piscina } = await import('piscina');
  const pool = new Piscina<WorkerJob, Summary>({ filename: WORKER_FILE, minThreads: threads, maxThreads: threads, idleTimeout: 1000 });
  // A failed run aborts the others (their workers are stopped), and the pool is destroyed only
  // once every run has settled, so no worker answers a pool that is gone.
  const abort = new AbortController();
  let failure: { readonly error: unknown; readonly spec: RunSpec } | undefined;
  let poolError: unknown;
  pool.on('error', (err: unknown) => { poolError ??= err; });
  let done = 0;
  const settled = await Promise.allSettled(jobs.map(async ({ scheduler, seed }) => {
    const runSpec: RunSpec = { ...spec.base, scheduler, seed };
    const out = options.out === undefined ? undefined : runFolder(options.out, scheduler, seed);
    const job: WorkerJob = out === undefined ? { spec: runSpec } : { spec: runSpec, out };
    try {
      const summary = await pool.run(job, { signal: abort.signal });
      options.onRunDone?.(++done, jobs.length, { scheduler, seed, wallSeconds: summary.wallSeconds });
      return summary;
    } catch (err) {
      if (failure === undefined) {
        failure = { error: err, spec: runSpec };
        abort.abort();
      }
      throw err;
    }
  }));
  await pool.destroy();
  if (failure !== undefined) {
    // Errors lose their class on the way out of a worker. The run is deterministic, so
    // repeating it here raises the same error as the one it is (bad input, with its file and
    // line); if it somehow succeeds, the worker's error stands.
    await runSimulation(failure.spec);
    throw failure.error;
  }
  if (poolError !== undefined) throw poolError;
  const summaries = settled.map((r) => (r as PromiseFulfilledResult<Summary>).value);
  const labels = spec.schedulers.map((s, i) => (isModulePath(s) ? summaries[i]!.scheduler : s));
  const policies = labels.map((l, i) => (labels.indexOf(l) === i ? l : spec.schedulers[i]!));
  const runs: RunResult[] = [];
  for (const [p, scheduler] of spec.schedulers.entries()) {
    for (const seed of spec.seeds) {
      const summary = summaries[jobs.findIndex((j) => j.scheduler === scheduler && j.seed === seed)]!;
      const policy = policies[p]!;
      if (options.out === undefined) runs.push({ policy, seed, summary });
      else {
        const dir = runFolder(options.out, scheduler, seed);
        runs.push({
          policy, seed, summary,
          series: parseSeries(await readFile(join(dir, 'timeseries.csv'), 'utf8')),
          samples: parseSamples(await readFile(join(dir, 'samples.csv'), 'utf8')),
        });
      }
    }
  }
  const first = runs[0]!.summary.run;
  return {
    berth: VERSION,
    command: spec.command,
    policies,
    seeds: [...spec.seeds],
    inputs: { cluster: first.cluster, workload: first.workload, queue: first.queue, replay: first.replay },
    runs,
    wallSeconds: (performance.now() - started) / 1000,
    threads,
  };
}

function csvRows(text: string, header: string): number[][] {
  const lines = text.trim().split('\n');
  if (lines[0] !== header) throw new Error(`unexpected header ${JSON.stringify(lines[0])}, expected ${JSON.stringify(header)}`);
  return lines.slice(1).map((line) => line.split(',').map((f) => (f === '' ? NaN : Number(f))));
}

const orNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

/** A run's timeseries.csv. */
export function parseSeries(text: string): SeriesRow[] {
  return csvRows(text, 'time,cpu_util,memory_util,gpu_util,active_nodes,pending,running').map(([time, cpu, memory, gpu, active, pending, running]) => ({
    time: time!, cpu: orNull(cpu!), memory: orNull(memory!), gpu: orNull(gpu!), activeNodes: active!, pending: pending!, running: running!,
  }));
}

/** A run's samples.csv. */
export function parseSamples(text: string): SampleRow[] {
  return csvRows(text, 'time,pending,fragmentation_cpu,fragmentation_memory,cpu_util_cv').map(([time, pending, cpu, memory, cv]) => ({
    time: time!, pending: pending!, fragmentationCpu: cpu!, fragmentationMemory: memory!, cpuCv: cv!,
  }));
}
