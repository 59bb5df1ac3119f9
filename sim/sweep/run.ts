// Running a sweep's cells: those with a valid result under OUT/cells/<key>.json are reused, the
// others run in worker threads (piscina, the same runSimulation as everywhere), and each
// result is written, atomically, as soon as its run ends. A sweep killed at any moment leaves
// only whole cell files; started again, it runs only what is missing.

import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { InputError } from '../errors.ts';
import { runSimulation } from '../run.ts';
import type { Summary } from '../summary.ts';
import { WORKER_FILE, type WorkerJob } from '../worker-task.ts';
import { describeCell, type Cell } from './grid.ts';

/** What a cell file holds. Its key is also its name. */
export interface CellFile {
  readonly format: typeof CELL_FORMAT;
  readonly key: string;
  readonly id: string;
  readonly code: string;
  /** For people reading the folder; results take the dimensions from the grid. */
  readonly cell: string;
  readonly summary: Summary;
}

export const CELL_FORMAT = 'berth-sweep-cell/1';

export interface CellOutcome {
  readonly cell: Cell;
  readonly summary: Summary;
  /** Read from an earlier run's file rather than run now. */
  readonly reused: boolean;
}

export interface CellProgress {
  /** Cells finished so far, reused ones included. */
  readonly done: number;
  readonly total: number;
  readonly reused: number;
  /** Cells run (not reused) so far in this call, and the wall time since the first started. */
  readonly ran: number;
  readonly toRun: number;
  readonly runningSeconds: number;
}

export interface RunCellsOptions {
  readonly out: string;
  /** Worker threads (default: the machine's cores, at most one per cell to run). */
  readonly workers?: number;
  readonly code: string;
  readonly onProgress?: (p: CellProgress) => void;
}

export interface RunCellsResult {
  /** In the order of the cells given. */
  readonly outcomes: readonly CellOutcome[];
  /** Cell files that could not be read (half-written by hand, damaged): their cells ran again. */
  readonly damaged: number;
  readonly workers: number;
  readonly wallSeconds: number;
}

export const cellsDir = (out: string): string => join(out, 'cells');
export const cellPath = (out: string, key: string): string => join(cellsDir(out), `${key}.json`);

export async function runCells(cells: readonly Cell[], options: RunCellsOptions): Promise<RunCellsResult> {
  const started = performance.now();
  try {
    await mkdir(cellsDir(options.out), { recursive: true });
  } catch (err) {
    throw new InputError({ field: '--out' }, `cannot create ${cellsDir(options.out)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const outcomes = new Map<number, CellOutcome>();
  let damaged = 0;
  const toRun: Cell[] = [];
  for (const cell of cells) {
    const found = await readCell(options.out, cell.key);
    if (found === 'damaged') damaged++;
    if (found === undefined || found === 'damaged') toRun.push(cell);
    else outcomes.set(cell.index, { cell, summary: found.summary, reused: true });
  }
  const reused = outcomes.size;
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), toRun.length));
  const runStarted = performance.now();
  let ran = 0;
  const progress = () => options.onProgress?.({
    done: reused + ran, total: cells.length, reused, ran, toRun: toRun.length, runningSeconds: (performance.now() - runStarted) / 1000,
  });
  progress();
  if (toRun.length > 0) {
    await runInPool(toRun, workers, async (cell, summary) => {
      checkInputs(cell, summary);
      await writeCell(options.out, cell, summary, options.code);
      outcomes.set(cell.index, { cell, summary, reused: false });
      ran++;
      progress();
    });
  }
  return {
    outcomes: cells.map((c) => outcomes.get(c.index)!),
    damaged,
    workers: toRun.length > 0 ? workers : 0,
    wallSeconds: (performance.now() - started) / 1000,
  };
}

/** A valid cell file, 'damaged' for one that exists but cannot be used, undefined when absent. */
export async function readCell(out: string, key: string): Promise<CellFile | 'damaged' | undefined> {
  let text: string;
  try {
    text = await readFile(cellPath(out, key), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const file = JSON.parse(text) as CellFile;
    const s = file.summary as Partial<Summary> | undefined;
    if (file.format !== CELL_FORMAT || file.key !== key || typeof s?.digest !== 'string' || typeof s.run !== 'object') return 'damaged';
    return file;
  } catch {
    return 'damaged';
  }
}

async function writeCell(out: string, cell: Cell, summary: Summary, code: string): Promise<void> {
  const file: CellFile = { format: CELL_FORMAT, key: cell.key, id: cell.id, code, cell: describeCell(cell), summary };
  const path = cellPath(out, cell.key);
  // A unique temporary name: shards on several machines may share the folder (and the same pid).
  const temp = `${path}.partial-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await writeFile(temp, JSON.stringify(file, null, 1) + '\n');
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw new InputError({ file: path }, `cannot write the cell's result: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** The files a run read must be those the key was made from: a file changed during the sweep would give a result stored under a wrong key. */
function checkInputs(cell: Cell, summary: Summary): void {
  const expected = new Set(cell.inputs.map((f) => f.sha256));
  const read = [
    ...('files' in summary.run.cluster ? summary.run.cluster.files : []),
    ...('files' in summary.run.workload ? summary.run.workload.files : []),
  ];
  const changed = read.find((f) => !expected.has(f.sha256));
  if (changed) {
    throw new InputError({ file: changed.path }, 'changed while the sweep ran (its contents differ from when the sweep started); start the sweep again');
  }
}

/**
 * Runs cells in a pool of worker threads, calling `done` as each ends. A failure stops the
 * others (finished cells stay written), and the pool is destroyed once every run has settled.
 */
async function runInPool(cells: readonly Cell[], threads: number, done: (cell: Cell, summary: Summary) => Promise<void>): Promise<void> {
  const { Piscina } = await import('piscina');
  const pool = new Piscina<WorkerJob, Summary>({ filename: WORKER_FILE, minThreads: threads, maxThreads: threads, idleTimeout: 1000 });
  const abort = new AbortController();
  // Every queued run listens to the one signal.
  setMaxListeners(cells.length + 10, abort.signal);
  let failure: { readonly error: unknown; readonly cell: Cell; readonly ran: boolean } | undefined;
  let poolError: unknown;
  pool.on('error', (err: unknown) => { poolError ??= err; });
  await Promise.allSettled(cells.map(async (cell) => {
    let ran = false;
    try {
      const summary = await pool.run({ spec: cell.spec }, { signal: abort.signal });
      ran = true;
      await done(cell, summary);
    } catch (err) {
      if (failure === undefined && !abort.signal.aborted) {
        failure = { error: err, cell, ran };
        abort.abort();
      }
    }
  }));
  await pool.destroy();
  if (failure !== undefined) {
    const { cell, error, ran } = failure;
    const at = `cell ${cell.index} (${describeCell(cell)})`;
    if (error instanceof InputError || ran) throw error instanceof InputError ? new InputError({}, `${at}: ${error.message}`) : error;
    // Errors lose their class on the way out of a worker. The run is deterministic, so
    // repeating it here raises the same error (bad input, with its file and line).
    try {
      await runSimulation(cell.spec);
    } catch (err) {
      if (err instanceof InputError) throw new InputError({}, `${at}: ${err.message}`);
      throw err;
    }
    throw error;
  }
  if (poolError !== undefined) throw poolError;
}
