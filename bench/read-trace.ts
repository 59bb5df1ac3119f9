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

/** Reads the trace, parsing it (`cache` false) or from its binary cache (written by writeCacheOf). */
export async function timeRead(format: TraceFormat, files: string[], cache = false): Promise<{ seconds: number; tasks: number }> {
  const start = process.hrtime.bigint();
  const trace = openTrace(format, files, OPTIONS, cache);
  if (cache && trace.cache === undefined) throw new Error(`the cache of ${files[0]} was not used`);
  let tasks = 0;
  for await (const batch of trace.source) for (const r of batch) if (r.kind === 'task') tasks++;
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, tasks };
}

/** Parses Google 2011 task_events rows into events, before the join: rows per second of parsing itself. */
export async function timeGoogleRows(files: string[]): Promise<{ seconds: number; rows: number }> {
  const stats = newStats();
  const start = process.hrtime.bigint();
  let rows = 0;
  for (const file of files) {
    for await (const events of taskEvents2011(file, GOOGLE_SCALE.google2011, OPTIONS, stats)) rows += events.length;
  }
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, rows };
}

export interface ReadRun {
  readonly seconds: number;
  /** Tasks read (task_events rows, for googleRows). */
  readonly count: number;
}

/** What a worker of readers.bench.ts measures for one format. */
export interface CaseRuns {
  readonly parsed: ReadRun[];
  readonly cached: ReadRun[];
  /** Google 2011 only: its task_events rows parsed alone. */
  readonly googleRows?: ReadRun[];
}

/** `repeats` reads parsing the files, then the cache written, `repeats` reads from it. */
export async function readCase(format: TraceFormat, files: string[], repeats: number): Promise<CaseRuns> {
  const times = async (read: () => Promise<ReadRun>) => {
    const runs: ReadRun[] = [];
    for (let i = 0; i < repeats; i++) runs.push(await read());
    return runs;
  };
  const parsed = await times(async () => { const r = await timeRead(format, files); return { seconds: r.seconds, count: r.tasks }; });
  await writeCacheOf(format, files);
  const cached = await times(async () => { const r = await timeRead(format, files, true); return { seconds: r.seconds, count: r.tasks }; });
  if (format !== 'google2011') return { parsed, cached };
  const googleRows = await times(async () => { const r = await timeGoogleRows(files); return { seconds: r.seconds, count: r.rows }; });
  return { parsed, cached, googleRows };
}

// Loaded as a worker by readers.bench.ts: one case, its runs posted back.
const job = workerData as { readCase?: { format: TraceFormat; files: string[]; repeats: number } } | null;
if (!isMainThread && job?.readCase) {
  const { format, files, repeats } = job.readCase;
  parentPort!.postMessage(await readCase(format, files, repeats));
}
