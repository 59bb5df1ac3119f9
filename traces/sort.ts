// Putting records in order of time when a table does not come that way (Alibaba's and Azure's
// tables, the tasks a Google join completes in order of end): an external sort. Records are
// kept in memory up to a limit, then sorted and written to a temporary file (a run); at the end
// the runs are merged. Memory stays within the limit whatever the length of the trace; equal
// times keep their input order.

import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { mergeByTime } from './merge.ts';
import { timeOf, type TraceRecord } from './record.ts';

/** Records held in memory before a run is written out. */
export const SORT_MEMORY_RECORDS = 500_000;
const BATCH = 4096;

export async function* sortByTime(
  source: AsyncIterable<readonly TraceRecord[]>, limit = SORT_MEMORY_RECORDS,
): AsyncGenerator<TraceRecord[]> {
  let buffer: TraceRecord[] = [];
  const runs: string[] = [];
  let dir: string | undefined;
  try {
    for await (const batch of source) {
      for (const r of batch) buffer.push(r);
      if (buffer.length >= limit) {
        dir ??= mkdtempSync(join(tmpdir(), 'berth-sort-'));
        runs.push(await writeRun(sorted(buffer), join(dir, `run-${runs.length}.jsonl`)));
        buffer = [];
      }
    }
    const last = sorted(buffer);
    buffer = [];
    const streams = [...runs.map(readRun), inBatches(last)];
    yield* mergeByTime(streams, timeOf, BATCH);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** A stable sort by time (Array.prototype.sort is stable). */
function sorted(records: TraceRecord[]): TraceRecord[] {
  return records.sort((a, b) => timeOf(a) - timeOf(b));
}

async function writeRun(records: readonly TraceRecord[], path: string): Promise<string> {
  const out = createWriteStream(path);
  let chunk = '';
  for (const r of records) {
    chunk += JSON.stringify(r) + '\n';
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'close');
  return path;
}

async function* readRun(path: string): AsyncGenerator<TraceRecord[]> {
  let batch: TraceRecord[] = [];
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    batch.push(JSON.parse(line) as TraceRecord);
    if (batch.length >= BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

async function* inBatches(records: readonly TraceRecord[]): AsyncGenerator<TraceRecord[]> {
  for (let i = 0; i < records.length; i += BATCH) yield records.slice(i, i + BATCH);
}
