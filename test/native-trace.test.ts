import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InputError } from '../sim/errors.ts';
import { readNativeTrace, writeNativeCsv } from '../traces/native.ts';
import type { TaskRecord } from '../traces/record.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-trace-'));
let n = 0;
function file(name: string, content: string | Buffer): string {
  const path = join(dir, `${n++}-${name}`);
  writeFileSync(path, content);
  return path;
}

async function readAll(path: string): Promise<TaskRecord[]> {
  const out: TaskRecord[] = [];
  for await (const batch of readNativeTrace(path, 2).source) for (const r of batch) if (r.kind === 'task') out.push(r);
  return out;
}

async function failure(path: string): Promise<string> {
  try {
    await readAll(path);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message.replace(path, 'FILE');
  }
  throw new Error('expected the trace to be refused');
}

const CSV = 'id,submit,duration,cpu,memory,gpu,priority,job,user,extra\n' +
  'a,0,10.5,0.25,1.5,,3,j1,alice,x\n' +
  'b,0.000001,0,2,0.001,0.5,,j1,,y\n' +
  '"c,1",7,1,1,1,1,-2,,bob,z\n';

describe('native trace', () => {
  it('reads CSV in base units, with optional and unknown columns', async () => {
    const rows = await readAll(file('t.csv', CSV));
    expect(rows).toEqual([
      { kind: 'task', id: 'a', submit: 0, duration: 10_500_000, cpu: 250, memory: 1536, gpu: 0, priority: 3, job: 'j1', user: 'alice' },
      { kind: 'task', id: 'b', submit: 1, duration: 0, cpu: 2000, memory: 1, gpu: 500, priority: 0, job: 'j1' },
      { kind: 'task', id: 'c,1', submit: 7_000_000, duration: 1_000_000, cpu: 1000, memory: 1024, gpu: 1000, priority: -2, user: 'bob' },
    ]);
  });

  it('reads the same tasks from JSON Lines and from gzip, and hashes the stored bytes', async () => {
    const jsonl = '{"id":"a","submit":0,"duration":10.5,"cpu":0.25,"memory":1.5,"priority":3,"job":"j1","user":"alice"}\n\n' +
      '{"id":"b","submit":0.000001,"duration":0,"cpu":2,"memory":0.001,"gpu":0.5,"job":"j1"}\n' +
      '{"id":"c,1","submit":7,"duration":1,"cpu":1,"memory":1,"gpu":1,"priority":-2,"user":"bob"}\n';
    const csv = await readAll(file('t.csv', CSV));
    expect(await readAll(file('t.jsonl', jsonl))).toEqual(csv);
    const gz = file('t.csv.gz', gzipSync(CSV));
    expect(await readAll(gz)).toEqual(csv);
    const trace = readNativeTrace(gz);
    for await (const _ of trace.source) void _;
    expect(trace.sha256()).toBe((await import('node:crypto')).createHash('sha256').update(readFileSync(gz)).digest('hex'));
  });

  it('names the line and column of bad values', async () => {
    const head = 'id,submit,duration,cpu,memory\n';
    expect(await failure(file('neg.csv', head + 'a,0,10,1,1\nb,1,-3,1,2\n')))
      .toBe('FILE:3: column "duration": expected a number (seconds) from 0 to 3153600000; got "-3"');
    expect(await failure(file('nan.csv', head + 'a,0,10,1e,1\n')))
      .toBe('FILE:2: column "cpu": expected a number (cores) from 0 to 10000000; got "1e"');
    expect(await failure(file('empty.csv', head + 'a,0,10,,1\n')))
      .toBe('FILE:2: column "cpu": missing: expected a number (cores) from 0 to 10000000');
    expect(await failure(file('prio.csv', 'id,submit,duration,cpu,memory,priority\na,0,1,1,1,1.5\n')))
      .toBe('FILE:2: column "priority": expected a whole number; got "1.5"');
    expect(await failure(file('noid.csv', head + ',0,1,1,1\n'))).toBe('FILE:2: column "id": missing: expected a task id');
  });

  it('names a missing column and shows the header it found', async () => {
    expect(await failure(file('missing.csv', 'id,submit,duration,cpu\na,0,1,1\n'))).toBe(
      'FILE:1: missing required column memory; the header has id, submit, duration, cpu (expected id,submit,duration,cpu,memory, optionally gpu,priority,job,user)');
    expect(await failure(file('dup.csv', 'id,submit,submit,duration,cpu,memory\n'))).toMatch(/^FILE:1: column "submit": the header names this column twice$/);
    expect(await failure(file('none.csv', ''))).toMatch(/^FILE:1: the file is empty/);
  });

  it('refuses rows out of submit order, short rows, bad JSON and truncated gzip', async () => {
    const head = 'id,submit,duration,cpu,memory\n';
    expect(await failure(file('order.csv', head + 'a,5,1,1,1\nb,4,1,1,1\n'))).toMatch(/^FILE:3: column "submit": 4 comes before the previous task's submit time/);
    expect(await failure(file('short.csv', head + 'a,5,1,1\n'))).toBe('FILE:2: expected 5 fields, as in the header; got 4');
    expect(await failure(file('quote.csv', head + 'a,5,1,1,1\n"b,5,1,1,1\n'))).toBe('FILE:3: not valid CSV: a quoted field is not closed before the end of the file');
    expect(await failure(file('bad.jsonl', '{"id":"a","submit":0,"duration":1,"cpu":1,"memory":1}\n{oops\n'))).toMatch(/^FILE:2: not valid JSON/);
    expect(await failure(file('arr.jsonl', '[1,2]\n'))).toMatch(/^FILE:1: expected a JSON object/);
    const whole = gzipSync(head + 'a,0,1,1,1\n'.repeat(2000));
    expect(await failure(file('cut.csv.gz', whole.subarray(0, whole.length - 20)))).toBe('FILE: the gzip data ends early: the file is truncated');
    expect(await failure(join(dir, 'nope.csv'))).toBe('FILE: cannot read the trace: ENOENT');
    expect(() => readNativeTrace(file('t.txt', head))).toThrow(/cannot tell the encoding/);
  });

  it('writes what it reads: CSV round trip, exactly', async () => {
    const rows = await readAll(file('t.csv', CSV));
    const out = join(dir, 'round.csv');
    expect(await writeNativeCsv(rows, out)).toBe(3);
    expect(await readAll(out)).toEqual(rows);
    const narrow = join(dir, 'narrow.csv');
    await writeNativeCsv(rows, narrow, ['id', 'submit', 'duration', 'cpu', 'memory']);
    expect(readFileSync(narrow, 'utf8').split('\n')[0]).toBe('id,submit,duration,cpu,memory');
    await expect(writeNativeCsv(rows, narrow, ['id', 'submit'])).rejects.toThrow(/must include duration, cpu, memory/);
  });
});
