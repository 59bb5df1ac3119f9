// A large trace is read in a worker thread; the records, the hash and the errors must be those
// of reading it in the main thread.

import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../sim/errors.ts';
import { readNativeTrace, type TraceInput } from '../traces/native.ts';
import { THREAD_THRESHOLD_BYTES, openNativeTrace } from '../traces/threaded.ts';
import type { TaskRecord } from '../traces/record.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-threaded-'));
const rows = (n: number, bad?: number) => 'id,submit,duration,cpu,memory,priority\n' +
  Array.from({ length: n }, (_, i) => `task-${i},${i / 10},${(i % 97) + 0.5},${(i % 8) / 4 + 0.25},${i === bad ? 'x' : (i % 5) + 1},${i % 12}`).join('\n') + '\n';

async function all(trace: TraceInput): Promise<TaskRecord[]> {
  const out: TaskRecord[] = [];
  for await (const batch of trace.source) out.push(...batch);
  return out;
}

describe('reading a large trace in a worker thread', () => {
  const big = join(dir, 'big.csv');
  writeFileSync(big, rows(40_000));

  it('gives the same records and hash as reading it here', async () => {
    expect(statSync(big).size).toBeGreaterThan(THREAD_THRESHOLD_BYTES);
    const threaded = openNativeTrace(big);
    const here = readNativeTrace(big);
    expect(await all(threaded)).toEqual(await all(here));
    expect(threaded.sha256()).toBe(here.sha256());
  });

  it('reports a bad row with its file, line and column', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, rows(40_000, 31_234));
    const err = await all(openNativeTrace(bad)).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(`${bad}:31236: column "memory": expected a number (GiB) from 0 to 1000000000; got "x"`);
  });

  it('stops its worker when the reader stops early', async () => {
    const trace = openNativeTrace(big, 1000);
    let seen = 0;
    for await (const batch of trace.source) {
      seen += batch.length;
      if (seen >= 3000) break;
    }
    expect(seen).toBe(3000);
    expect(() => trace.sha256()).toThrow(/not been read to its end/);
  });

  it('names a missing file at once', () => {
    expect(() => openNativeTrace(join(dir, 'none.csv'))).toThrow(/none\.csv: cannot read the trace: ENOENT/);
  });
});
