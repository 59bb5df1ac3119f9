// One whole read of a trace, timed: bundled by readers.bench.ts and run as the command line runs
// (an esbuild bundle, not the sources through tsx, whose name-keeping wrappers cost a reader
// that makes a closure per row about a third of its speed).

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
