// One run of a sweep, or of one shard of it: the cells of the share run (or are reused), then
// the files are written. Every run writes its shard manifest (OUT/shards/<i>-of-<n>.json) and
// timing; a run of the whole grid also writes results.json, results.csv and report.html,
// exactly what `berth merge` writes from shards.

import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.ts';
import { cellsOfShard, type Grid, type Shard } from './grid.ts';
import { buildSweepReport } from './report.ts';
import { runCells, type CellProgress, type RunCellsResult } from './run.ts';
import { MANIFEST_FORMAT, manifestJson, manifestName, resultsCsv, resultsJson, sweepHeader, sweepRow, type ShardManifest, type SweepResults } from './results.ts';

export interface SweepRunOptions {
  readonly out: string;
  readonly shard: Shard;
  readonly workers?: number;
  readonly onProgress?: (p: CellProgress) => void;
  /** Before the report is rendered (it takes a second or two). */
  readonly onWriting?: () => void;
}

export interface SweepRun {
  readonly manifest: ShardManifest;
  /** When the share is the whole grid. */
  readonly results: SweepResults | undefined;
  readonly run: RunCellsResult;
  /** Files written, relative to the output folder. */
  readonly files: readonly string[];
}

export async function runSweep(grid: Grid, options: SweepRunOptions): Promise<SweepRun> {
  const share = cellsOfShard(grid.cells, options.shard);
  const run = await runCells(share, {
    out: options.out, code: grid.code,
    ...(options.workers !== undefined && { workers: options.workers }),
    ...(options.onProgress && { onProgress: options.onProgress }),
  });
  const sweep = sweepHeader(grid);
  const rows = run.outcomes.map((o) => sweepRow(grid, o.cell, o.summary));
  const manifest: ShardManifest = { format: MANIFEST_FORMAT, sweep, shard: options.shard, cells: rows };
  const timing = {
    sweep: sweep.hash, shard: options.shard, workers: run.workers, wallSeconds: Number(run.wallSeconds.toFixed(3)),
    ran: run.outcomes.filter((o) => !o.reused).length, reused: run.outcomes.filter((o) => o.reused).length, damaged: run.damaged,
    cells: run.outcomes.map((o) => ({ index: o.cell.index, key: o.cell.key, reused: o.reused, wallSeconds: o.summary.wallSeconds })),
  };
  const name = manifestName(options.shard);
  const files: [string, string | (() => Promise<string>)][] = [
    [join('shards', name), manifestJson(manifest)],
    [join('shards', name.replace(/\.json$/, '.timing.json')), JSON.stringify(timing, null, 1) + '\n'],
  ];
  const whole = options.shard.count === 1;
  const results = whole ? { sweep, cells: rows } : undefined;
  if (results) {
    options.onWriting?.();
    files.push(['timing.json', JSON.stringify(timing, null, 1) + '\n'], ...resultFiles(results));
  }
  await writeAll(options.out, files);
  return { manifest, results, run, files: files.map(([n]) => n) };
}

/** results.json, results.csv and report.html (rendered when written). */
export function resultFiles(results: SweepResults): [string, string | (() => Promise<string>)][] {
  return [['results.json', resultsJson(results)], ['results.csv', resultsCsv(results)], ['report.html', () => buildSweepReport(results)]];
}

/** Writes files under temporary names, then renames them: a failure leaves earlier files whole. */
export async function writeAll(out: string, files: readonly (readonly [string, string | (() => Promise<string>)])[]): Promise<void> {
  const suffix = `.partial-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    for (const dir of new Set(files.map(([name]) => dirname(join(out, name))))) await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new InputError({ field: '--out' }, `cannot create ${out}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    for (const [name, text] of files) await writeFile(join(out, name + suffix), typeof text === 'string' ? text : await text());
    for (const [name] of files) await rename(join(out, name + suffix), join(out, name));
  } finally {
    for (const [name] of files) await rm(join(out, name + suffix), { force: true });
  }
}
