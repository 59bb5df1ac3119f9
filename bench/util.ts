// Shared by the benchmarks: running a tinybench suite and printing its rows.

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { Bench } from 'tinybench';
import { PROJECT } from '../test/peer-support.ts';

export interface Row {
  readonly suite: string;
  readonly name: string;
  /** Operations per second (mean), where an operation is what `unit` names. */
  readonly perSecond: number;
  readonly unit: string;
  /** Relative margin of error of perSecond (95 %), as a fraction. */
  readonly error: number;
}

export interface Case {
  readonly name: string;
  readonly fn: () => void;
  /** How many units one call of fn performs (events, queries, records). */
  readonly units: () => number;
}

/** Runs the cases one after another in one process and returns units per second for each. */
export async function measure(suite: string, unit: string, cases: readonly Case[], timeMs = 600): Promise<Row[]> {
  const bench = new Bench({ name: suite, time: timeMs, warmup: true });
  for (const c of cases) bench.add(c.name, c.fn);
  await bench.run();
  return cases.map((c) => {
    const task = bench.getTask(c.name);
    const result = task?.result;
    if (!result || result.state !== 'completed') throw new Error(`${suite} / ${c.name}: ${result?.state ?? 'no result'}`);
    return { suite, name: c.name, perSecond: result.throughput.mean * c.units(), unit, error: result.throughput.rme / 100 };
  });
}

/** A case made by calling `factory(...args)` exported from `file`, in a worker of its own. */
export interface IsolatedCase {
  readonly file: URL;
  readonly factory: string;
  readonly args: readonly unknown[];
}

/** Like measure(), but each case runs alone in a fresh worker thread, one after another. */
export async function measureIsolated(suite: string, unit: string, cases: readonly IsolatedCase[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const c of cases) {
    const worker = new Worker(new URL('./isolated.js', import.meta.url), {
      workerData: { file: c.file.href, factory: c.factory, args: c.args, suite, unit },
    });
    rows.push(await new Promise<Row>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    }));
    await worker.terminate();
  }
  return rows;
}

export function printRows(title: string, rows: readonly Row[]): void {
  console.log(`\n${title}`);
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    console.log(`  ${r.name.padEnd(width)}  ${format(r.perSecond).padStart(8)} ${r.unit}/s  ± ${(100 * r.error).toFixed(1)} %`);
  }
}

export function format(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(1);
}

/** The middle value (the upper one of the two middles for an even count). */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * A bench module bundled with esbuild as the command line ships (not run from sources through
 * tsx, whose name-keeping wrappers slow hot code), then imported.
 */
export async function bundled<T>(entry: string): Promise<T> {
  return (await import(pathToFileURL(await bundle(entry)).href)) as T;
}

/** Bundles a bench module as bundled() does; returns the bundle's path (to load in a worker). */
export async function bundle(entry: string): Promise<string> {
  const outfile = join(PROJECT, 'bench', 'results', `.${entry.replace(/\.ts$/, '')}.mjs`);
  await build({
    entryPoints: [join(PROJECT, 'bench', entry)], outfile, bundle: true, packages: 'external',
    platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
  });
  return outfile;
}
