// Merging sorted part files by time, and sorting what does not come sorted (in memory, or
// through runs on disk), equal times keeping their input order.

import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stream } from '../sim/random.ts';
import { expandInputs } from '../traces/files.ts';
import { mergeByTime } from '../traces/merge.ts';
import { sortByTime } from '../traces/sort.ts';
import type { TaskRecord, TraceRecord } from '../traces/record.ts';

async function collect<T>(source: AsyncIterable<readonly T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const b of source) out.push(...b);
  return out;
}

async function* batches<T>(items: readonly T[], size: number): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

const rec = (id: string, submit: number): TaskRecord => ({ kind: 'task', id, submit, duration: 1, cpu: 1, memory: 1, gpu: 0, priority: 0 });

describe('merging by time', () => {
  it('interleaves sorted streams in order, equal times in stream order', async () => {
    const a = [1, 3, 3, 7].map((t) => ({ t, s: 'a' }));
    const b = [0, 3, 8].map((t) => ({ t, s: 'b' }));
    const c: { t: number; s: string }[] = [];
    const merged = await collect(mergeByTime([batches(a, 2), batches(b, 1), batches(c, 1)], (x) => x.t, 3));
    expect(merged.map((x) => `${x.s}${x.t}`)).toEqual(['b0', 'a1', 'a3', 'a3', 'b3', 'a7', 'b8']);
  });
});

describe('sorting by time', () => {
  for (const limit of [1_000_000, 7]) {
    it(`sorts, stably, ${limit < 100 ? 'through runs written to disk' : 'in memory'}`, async () => {
      const r = stream(1, 'sort');
      const records: TraceRecord[] = Array.from({ length: 200 }, (_, i) => rec(`t${i}`, Math.floor(r() * 20)));
      records.push({ kind: 'node', time: 5, node: 'n', change: 'fail' });
      const out = await collect(sortByTime(batches(records, 13), limit));
      const expected = [...records].sort((x, y) => (x.kind === 'task' ? x.submit : x.time) - (y.kind === 'task' ? y.submit : y.time));
      expect(out).toEqual(expected);
    });
  }
});

describe('naming inputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-files-'));
  mkdirSync(join(dir, 'task_events'));
  for (const f of ['part-00001-of-00003.csv.gz', 'part-00000-of-00003.csv.gz', 'part-00002-of-00003.csv.gz', '.hidden']) {
    writeFileSync(join(dir, 'task_events', f), '');
  }
  writeFileSync(join(dir, 'single.csv'), '');

  it('expands folders and globs, in order of name, and keeps plain files', () => {
    const parts = ['part-00000-of-00003.csv.gz', 'part-00001-of-00003.csv.gz', 'part-00002-of-00003.csv.gz'];
    expect(expandInputs([join(dir, 'task_events')])).toEqual(parts.map((p) => join(dir, 'task_events', p)));
    expect(expandInputs([join(dir, 'task_events', 'part-0000[?]-*.csv.gz').replace('[?]', '?')])).toEqual(parts.map((p) => join(dir, 'task_events', p)));
    expect(expandInputs([join(dir, 'single.csv')])).toEqual([join(dir, 'single.csv')]);
  });

  it('says when nothing matches or a file is missing', () => {
    expect(() => expandInputs([join(dir, 'task_events', 'nope-*.csv')])).toThrow(/no file matches this pattern/);
    expect(() => expandInputs([join(dir, 'missing.csv')])).toThrow(/missing\.csv: no such file or folder/);
    expect(() => expandInputs([join(dir, '*', 'x.csv')])).toThrow(/only the file name may hold/);
  });
});
