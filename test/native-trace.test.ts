import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InputError } from '../sim/errors.ts';
import { convertToNative } from '../traces/convert.ts';
import { ALL_COLUMNS, readNativeTrace, writeNativeCsv } from '../traces/native.ts';
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
      'FILE:1: missing required column memory; the header has id, submit, duration, cpu (expected id,submit,duration,cpu,memory, optionally gpu,priority,job,user,group,constraints,tolerations,affinity,antiAffinity,spread)');
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

describe('native trace: placement rule columns', () => {
  const RULES = 'id,submit,duration,cpu,memory,job,group,constraints,tolerations,affinity,antiAffinity,spread\n' +
    'db-0,0,10,1,1,shop,db,zone==a;gen>=2,dedicated=db:NoSchedule,,db@node,zone:1\n' +
    '"cache-0",1,10,1,1,shop,cache,"gpu-model in V100,A100;ssd exists",spot;*:PreferNoSchedule,web@zone?10;billing/*@node,shop/db@zone?,node:2?\n' +
    'plain,2,10,1,1,,,,,,,\n';

  it('reads the group, constraints, tolerations, affinity, anti-affinity and spread in their text forms', async () => {
    const [db, cache, plain] = await readAll(file('rules.csv', RULES));
    expect(db).toMatchObject({
      job: 'shop', group: 'db',
      constraints: [{ label: 'zone', op: '==', value: 'a' }, { label: 'gen', op: '>=', value: '2' }],
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }],
      antiAffinity: [{ to: { group: 'db' }, scope: 'node', required: true }],
      spread: [{ label: 'zone', maxSkew: 1, hard: true }],
    });
    expect(db!.affinity).toBeUndefined();
    expect(cache).toMatchObject({
      constraints: [{ label: 'gpu-model', op: 'in', value: 'V100', values: ['V100', 'A100'] }, { label: 'ssd', op: 'exists', value: '' }],
      tolerations: [{ key: 'spot', operator: 'Exists' }, { key: '', operator: 'Exists', effect: 'PreferNoSchedule' }],
      affinity: [{ to: { group: 'web' }, scope: 'zone', required: false, weight: 10 }, { to: { job: 'billing' }, scope: 'node', required: true }],
      antiAffinity: [{ to: { job: 'shop', group: 'db' }, scope: 'zone', required: false }],
      spread: [{ label: 'node', maxSkew: 2, hard: false }],
    });
    expect(Object.keys(plain!).sort()).toEqual(['cpu', 'duration', 'gpu', 'id', 'kind', 'memory', 'priority', 'submit']);
  });

  it('reads the same rules from JSON Lines strings', async () => {
    const jsonl = '{"id":"db-0","submit":0,"duration":10,"cpu":1,"memory":1,"job":"shop","group":"db","constraints":"zone==a;gen>=2",' +
      '"tolerations":"dedicated=db:NoSchedule","antiAffinity":"db@node","spread":"zone:1"}\n';
    const [fromJson] = await readAll(file('rules.jsonl', jsonl));
    const [fromCsv] = await readAll(file('rules.csv', RULES));
    expect(fromJson).toEqual(fromCsv);
  });

  it('writes them back exactly, names with special characters escaped', async () => {
    const rows = await readAll(file('rules.csv', RULES));
    const odd: TaskRecord = {
      kind: 'task', id: 'odd', submit: 3_000_000, duration: 1, cpu: 1, memory: 1, gpu: 0, priority: 0, job: 'j', group: 'g,1',
      constraints: [{ label: 'attr=x', op: '!=', value: 'a;b c' }, { label: 'z', op: '==', value: '' }],
      tolerations: [{ key: 'k:1', operator: 'Equal', value: '' }],
      affinity: [{ to: { job: 'a/b', group: 'c@d' }, scope: 'rack?', required: false, weight: 100 }],
      spread: [{ label: 'x:y', maxSkew: 3, hard: true }],
    };
    const out = join(dir, 'rules-round.csv');
    await writeNativeCsv([...rows, odd], out, ALL_COLUMNS);
    expect(await readAll(out)).toEqual([...rows, odd]);
    // By default the writer leaves the group and rule columns out.
    const plain = join(dir, 'rules-default.csv');
    await writeNativeCsv(rows, plain);
    expect(readFileSync(plain, 'utf8').split('\n')[0]).toBe('id,submit,duration,cpu,memory,gpu,priority,job,user');
  });

  it('trace convert keeps constraints when asked for the column, and counts them as not written otherwise', async () => {
    const rows = await readAll(file('rules.csv', RULES));
    async function* source() { yield rows; }
    const kept = join(dir, 'converted.csv');
    expect((await convertToNative(source(), kept, ALL_COLUMNS)).notWritten.constraints).toBe(0);
    expect(await readAll(kept)).toEqual(rows);
    expect((await convertToNative(source(), join(dir, 'converted-default.csv'))).notWritten.constraints).toBe(2);
  });

  it('names the file, the line and the column of a bad rule', async () => {
    const head = 'id,submit,duration,cpu,memory,constraints,tolerations,affinity,antiAffinity,spread\n';
    const bad = async (fields: string) => failure(file('bad-rules.csv', head + 'ok,0,1,1,1,,,,,\n' + `t,0,1,1,1,${fields}\n`));
    expect(await bad('zone=a,,,,')).toBe('FILE:3: column "constraints": expected LABEL OP VALUE (OP one of == != < <= > >=), "LABEL in A,B", "LABEL exists" or "LABEL missing"; got "zone=a"');
    expect(await bad('gen>=two,,,,')).toBe('FILE:3: column "constraints": "gen>=two": >= compares numbers; expected a number after it');
    expect(await bad(',dedicated=gpu:NoExecute,,,')).toBe('FILE:3: column "tolerations": "dedicated=gpu:NoExecute": expected the effect NoSchedule or PreferNoSchedule after ":"; got "NoExecute"');
    expect(await bad(',*=x,,,')).toBe('FILE:3: column "tolerations": "*=x": * (any key) takes no value');
    expect(await bad(',,web,,')).toMatch(/^FILE:3: column "affinity": expected TARGET@SCOPE/);
    expect(await bad(',,web@zone?0,,')).toBe('FILE:3: column "affinity": "web@zone?0": a preferred rule\'s weight is a whole number from 1 to 100; got 0');
    expect(await bad(',,,a/b/c@node,')).toMatch(/^FILE:3: column "antiAffinity": "a\/b\/c@node": expected the target GROUP, JOB\/GROUP, JOB\/\* or \*/);
    expect(await bad(',,,,zone')).toMatch(/^FILE:3: column "spread": expected LABEL:MAXSKEW/);
    expect(await bad(',,,,zone:0')).toBe('FILE:3: column "spread": "zone:0": maxSkew is at least 1');
    expect(await bad('zone==a%2,,,,')).toBe('FILE:3: column "constraints": value "a%2" has a bad %-escape (expected % and two hex digits)');
    const jsonl = '{"id":"a","submit":0,"duration":1,"cpu":1,"memory":1,"spread":{"label":"zone"}}\n';
    expect(await failure(file('obj.jsonl', jsonl))).toMatch(/^FILE:1: column "spread": expected LABEL:MAXSKEW/);
  });
});
