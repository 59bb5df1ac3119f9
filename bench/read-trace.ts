// One format's reads, timed: bundled by readers.bench.ts and run as the command line runs (an
// esbuild bundle, not the sources through tsx, whose name-keeping wrappers cost a reader that
// makes a closure per row about a third of its speed), in a worker thread of its own: a user's
// process reads one format, and readers that share one V8 isolate share the JIT's feedback on
// the helpers they have in common (Google's rows parsed 0.67M rows/s after the other formats in
// one isolate, about 1.1M alone).

import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { cacheKey, cachePathFor, writeCache } from '../traces/cache.ts';
import { expandInputs } from '../traces/files.ts';
import { newStats } from '../traces/formats/common.ts';
import { GOOGLE_SCALE, taskEvents2011 } from '../traces/formats/google.ts';
import { openTrace, type TraceFormat } from '../traces/formats/index.ts';

const OPTIONS = { replay: 'reschedule', skipBadRows: false } as const;

/** Writes the binary cache of the trace, for `timeRead(…, true)`. */
export async function writeCacheOf(format: TraceFormat, files: string[]): Promise<void> {
  const trace = openTrace(format, files, OPTIONS, false);
  await writeCache(cachePathFor(files), cacheKey(format, expandInputs(files), OPTIONS), trace.source, trace.stats);
}

/**
 * The CPU seconds (every thread of the process: the reading thread, gunzip's and the file
 * system's in libuv's pool, the collector's) and the wall seconds that `work` takes. Reads are
 * compared by CPU time: on this shared 2-core machine a neighbour's burst stretches a read of a
 * tenth of a second by half, and the cache's lead over parsing moved from 2.9x to 5.1x between
 * two runs of the bench by wall time.
 */
async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; wallSeconds: number; result: T }> {
  const from = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = await work();
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(from);
  return { seconds: (used.user + used.system) / 1e6, wallSeconds, result };
}

/** Reads the trace, parsing it (`cache` false) or from its binary cache (written by writeCacheOf). */
export async function timeRead(format: TraceFormat, files: string[], cache = false): Promise<ReadRun> {
  const { seconds, wallSeconds, result } = await timed(async () => {
    const trace = openTrace(format, files, OPTIONS, cache);
    if (cache && trace.cache === undefined) throw new Error(`the cache of ${files[0]} was not used`);
    let tasks = 0;
    for await (const batch of trace.source) for (const r of batch) if (r.kind === 'task') tasks++;
    return tasks;
  });
  return { seconds, wallSeconds, count: result };
}

/** Parses Google 2011 task_events rows into events, before the join. */
export async function timeGoogleRows(files: string[]): Promise<ReadRun> {
  const stats = newStats();
  const { seconds, wallSeconds, result } = await timed(async () => {
    let rows = 0;
    for (const file of files) {
      for await (const events of taskEvents2011(file, GOOGLE_SCALE.google2011, OPTIONS, stats)) rows += events.length;
    }
    return rows;
  });
  return { seconds, wallSeconds, count: result };
}

export interface ReadRun {
  /** CPU seconds. */
  readonly seconds: number;
  readonly wallSeconds: number;
  /** Tasks read (task_events rows, for googleRows). */
  readonly count: number;
}

/** How a worker of readers.bench.ts reads: parsing the files (then writing their cache), from the cache, or Google 2011's rows alone. */
export type ReadWay = 'parse' | 'cache' | 'google-rows';

/** A small file is read again until its reads took this many CPU seconds (8,152 openb pods read in a few ms). */
const MIN_SECONDS = 1;

/**
 * At least `repeats` reads one way, timed whole, and as many more as make MIN_SECONDS. Each way
 * runs in a worker of its own, as a user's process reads a trace one way: alternating parses and
 * cached reads in one isolate left the cached read the collection of the parse's garbage (the
 * native cache's lead fell from 3.3x-6.1x to 2.8x).
 */
export async function readCase(format: TraceFormat, files: string[], repeats: number, way: ReadWay): Promise<ReadRun[]> {
  const runs: ReadRun[] = [];
  for (let spent = 0; runs.length < repeats || spent < MIN_SECONDS;) {
    const run = way === 'google-rows' ? await timeGoogleRows(files) : await timeRead(format, files, way === 'cache');
    runs.push(run);
    spent += run.seconds;
  }
  if (way === 'parse') await writeCacheOf(format, files);
  return runs;
}

// Loaded as a worker by readers.bench.ts: one case read one way, its runs posted back.
const job = workerData as { readCase?: { format: TraceFormat; files: string[]; repeats: number; way: ReadWay } } | null;
if (!isMainThread && job?.readCase) {
  const { format, files, repeats, way } = job.readCase;
  parentPort!.postMessage(await readCase(format, files, repeats, way));
}
