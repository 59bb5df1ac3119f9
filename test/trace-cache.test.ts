// The binary cache of a parsed trace: it gives back exactly the records and stats of parsing,
// for every format and what only some records carry; it is used only while the files, the
// format and the reading options are the same; a failed write leaves none; berth sim replays
// from it to the same digest.

import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheKey, cachePathFor, writeCache } from '../traces/cache.ts';
import { expandInputs } from '../traces/files.ts';
import type { ReadOptions } from '../traces/formats/common.ts';
import { openTrace, type TraceFormat } from '../traces/formats/index.ts';
import type { TraceRecord } from '../traces/record.ts';
import { PROJECT } from './peer-support.ts';

// Fixtures are copied: a cache is written beside its trace.
const dir = mkdtempSync(join(tmpdir(), 'berth-cache-'));
cpSync(join(PROJECT, 'test', 'fixtures'), dir, { recursive: true });
const at = (...files: string[]) => files.map((f) => join(dir, f));
const RESCHEDULE: ReadOptions = { replay: 'reschedule', skipBadRows: false };

async function readAll(format: TraceFormat, inputs: string[], options = RESCHEDULE, useCache = true) {
  const trace = openTrace(format, inputs, options, useCache);
  const records: TraceRecord[] = [];
  for await (const batch of trace.source) records.push(...batch);
  return { records, stats: trace.stats, cache: trace.cache };
}

async function cache(format: TraceFormat, inputs: string[], options = RESCHEDULE): Promise<number> {
  const trace = openTrace(format, inputs, options, false);
  return writeCache(cachePathFor(inputs), cacheKey(format, expandInputs(inputs), options), trace.source, trace.stats);
}

const CASES: [string, TraceFormat, string[], ReadOptions][] = [
  ['google2011 (constraints, scheduling classes)', 'google2011', at('google2011/task_events', 'google2011/task_constraints'), RESCHEDULE],
  ['google2011 as the trace ran it (placements)', 'google2011', at('google2011/task_events'), { replay: 'trace', skipBadRows: false }],
  ['google2019', 'google2019', at('google2019/instance_events.json'), RESCHEDULE],
  ['alibaba2018 (dependencies)', 'alibaba2018', at('alibaba2018/batch_task.csv', 'alibaba2018/batch_instance.csv', 'alibaba2018/container_meta.csv'), RESCHEDULE],
  ['openb (GPU shares, GPU-model constraints)', 'openb', at('openb/pods.csv'), RESCHEDULE],
  ['azure2019', 'azure2019', at('azure/vmtable-2019.csv'), RESCHEDULE],
  ['swf (estimates)', 'swf', at('swf/small.swf'), RESCHEDULE],
  ['swf scaled', 'swf', at('swf/small.swf'), { replay: 'reschedule', skipBadRows: false, scaleCpu: 2 }],
];

describe('the binary cache of a trace', () => {
  for (const [name, format, inputs, options] of CASES) {
    it(`gives back exactly what parsing gives: ${name}`, async () => {
      const parsed = await readAll(format, inputs, options, false);
      expect(await cache(format, inputs, options)).toBe(parsed.records.length);
      const cached = await readAll(format, inputs, options);
      expect(cached.cache).toBe(cachePathFor(inputs));
      expect(cached.records).toEqual(parsed.records);
      expect(cached.stats).toEqual(parsed.stats);
    });
  }

  it('gives back exactly what parsing gives: a native trace with placement rules', async () => {
    const file = join(dir, 'rules.csv');
    writeFileSync(file, 'id,submit,duration,cpu,memory,job,constraints,tolerations,affinity,antiAffinity,spread\n' +
      'db-0,0,10,1,1,shop,zone==a,dedicated=db:NoSchedule,,db@node,zone:1\n' +
      'cache-0,1,10,1,1,shop,"gpu-model in V100,A100",*,web@zone?10,,node:2?\n' +
      'plain,2,10,1,1,,,,,,\n');
    const parsed = await readAll('berth', [file], RESCHEDULE, false);
    expect(parsed.records.filter((r) => r.kind === 'task' && r.tolerations !== undefined)).toHaveLength(2);
    expect(await cache('berth', [file])).toBe(3);
    const cached = await readAll('berth', [file]);
    expect(cached.cache).toBe(cachePathFor([file]));
    expect(cached.records).toEqual(parsed.records);
  });

  it('holds machine changes and records of every kind in more than one chunk', async () => {
    const rows = ['id,submit,duration,cpu,memory,job,user'];
    for (let i = 0; i < 70_000; i++) rows.push(`t${i},${i},10,1,1,${i % 3 ? `j${i % 7}` : ''},${i % 5 ? 'u' : ''}`);
    const file = join(dir, 'many.csv');
    writeFileSync(file, rows.join('\n') + '\n');
    const parsed = await readAll('berth', [file], RESCHEDULE, false);
    // Machine changes among the tasks, as a source of records may hold them.
    const records: TraceRecord[] = [...parsed.records];
    records.splice(5, 0, { kind: 'node', time: 5, node: 'n1', change: 'fail' });
    records.splice(69_000, 0, { kind: 'node', time: 68_999, node: 'n2', change: 'update', capacity: { cpu: 1000, memory: 512, gpu: 250 } });
    async function* source() { yield records; }
    await writeCache(cachePathFor([file]), cacheKey('berth', [file], RESCHEDULE), source(), parsed.stats);
    const cached = await readAll('berth', [file]);
    expect(cached.cache).toBeDefined();
    expect(cached.records).toEqual(records);
    expect(cached.records.filter((r) => r.kind === 'task' && r.job === undefined)).toHaveLength(23_334);
  });

  it('keeps any string: non-ASCII, empty, repeated, and one holding the newline that joins them', async () => {
    const file = join(dir, 'strings.csv');
    writeFileSync(file, 'id,submit,duration,cpu,memory\nx,0,1,1,1\n');
    const task = (id: string, job?: string, user?: string): TraceRecord =>
      ({ kind: 'task', id, submit: 0, duration: 1, cpu: 1, memory: 1, gpu: 0, priority: 0, ...(job !== undefined && { job }), ...(user !== undefined && { user }) });
    for (const odd of ['plain', 'line\nbreak']) {
      const records = [task('zürich-1', 'ジョブ', ''), task('', 'ジョブ', 'u'), task('zürich-1', undefined, 'u'), task(odd, odd), { kind: 'node', time: 3, node: 'n\u2028', change: 'fail' } as const];
      async function* source() { yield records; }
      await writeCache(cachePathFor([file]), cacheKey('berth', [file], RESCHEDULE), source(), (await readAll('berth', [file], RESCHEDULE, false)).stats);
      const cached = await readAll('berth', [file]);
      expect(cached.cache).toBeDefined();
      expect(cached.records).toStrictEqual(records);
    }
  });

  it('is not used once a file changes, the options differ, or it is damaged; the trace is parsed instead', async () => {
    const inputs = at('swf/small.swf');
    await cache('swf', inputs);
    expect((await readAll('swf', inputs)).cache).toBeDefined();
    expect((await readAll('swf', inputs, { replay: 'reschedule', skipBadRows: true })).cache).toBeUndefined();
    expect((await readAll('swf', inputs, { replay: 'trace', skipBadRows: false })).cache).toBeUndefined();
    expect((await readAll('swf', inputs, { replay: 'reschedule', skipBadRows: false, scaleMemory: 4 })).cache).toBeUndefined();
    utimesSync(inputs[0]!, new Date(), new Date(Date.now() + 5000)); // modified since
    const stale = await readAll('swf', inputs);
    expect(stale.cache).toBeUndefined();
    expect(stale.records.length).toBeGreaterThan(0);
    await cache('swf', inputs);
    truncateSync(cachePathFor(inputs), 100);
    const damaged = await readAll('swf', inputs);
    expect(damaged.cache).toBeUndefined();
    expect(damaged.records).toEqual(stale.records);
  });

  it('leaves no cache when reading fails, and an earlier one as it was', async () => {
    const inputs = at('bad/vmtable.csv');
    await expect(cache('azure2017', inputs)).rejects.toThrow(/vmtable\.csv:2: column 5/);
    expect(existsSync(cachePathFor(inputs))).toBe(false);
    expect(readdirSync(join(dir, 'bad')).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('is not taken for a trace file when its folder is read', async () => {
    await cache('google2011', at('google2011/task_events/part-00000-of-00002.csv'));
    expect(expandInputs(at('google2011/task_events')).map((f) => f.split('/').pop())).toEqual(['part-00000-of-00002.csv', 'part-00001-of-00002.csv.gz']);
  });
});

describe('berth trace convert --to cache', () => {
  const berth = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(PROJECT, 'bin', 'berth.js'), ...args], { cwd: PROJECT, encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('writes the cache, and berth sim replays from it to the same digest', () => {
    const trace = join(dir, 'lanl.swf');
    cpSync(join(dir, 'swf/small.swf'), trace);
    const sim = () => JSON.parse(berth('sim', '--trace', trace, '--format', 'swf', '--json', '--quiet').out) as { digest: string; run: { workload: unknown } };
    const before = sim();
    const r = berth('trace', 'convert', trace, '--format', 'swf', '--to', 'cache', '--quiet');
    expect(r.err).toBe('');
    expect(r.out).toMatch(/wrote a cache of 3 records \(from 5 rows of 1 file\) to .*lanl\.swf\.berth-cache/);
    expect(existsSync(`${trace}.berth-cache`)).toBe(true);
    const after = sim();
    expect(after.digest).toBe(before.digest);
    expect(after.run.workload).toEqual(before.run.workload);
  });

  it('goes to the user\'s cache folder when the trace\'s folder may not be written, and is found there', () => {
    const shared = join(dir, 'read-only');
    mkdirSync(shared);
    cpSync(join(dir, 'swf', 'small.swf'), join(shared, 'small.swf'));
    chmodSync(shared, 0o555);
    const userCache = join(dir, 'user-cache');
    const env = { ...process.env, BERTH_CACHE_DIR: userCache };
    const run = (...args: string[]) => spawnSync(process.execPath, [join(PROJECT, 'bin', 'berth.js'), ...args], { cwd: PROJECT, encoding: 'utf8', env });
    const trace = join(shared, 'small.swf');
    const r = run('trace', 'convert', trace, '--format', 'swf', '--to', 'cache', '--quiet');
    expect(r.stdout).toContain(userCache);
    expect(readdirSync(shared).filter((f) => f.endsWith('.berth-cache'))).toEqual([]);
    expect(readdirSync(userCache)).toHaveLength(1);
    const before = JSON.parse(berth('sim', '--trace', trace, '--format', 'swf', '--json', '--quiet').out) as { digest: string };
    const after = JSON.parse(run('sim', '--trace', trace, '--format', 'swf', '--json', '--quiet').stdout) as { digest: string };
    expect(after.digest).toBe(before.digest);
    chmodSync(shared, 0o755);
  });

  it('refuses --out and --columns with --to cache, and --replay without it', () => {
    const trace = join(dir, 'swf/small.swf');
    expect(berth('trace', 'convert', trace, '--format', 'swf', '--to', 'cache', '--out', 'x.csv').err).toMatch(/--out and --columns do not apply/);
    expect(berth('trace', 'convert', trace, '--format', 'swf', '--out', join(dir, 'x.csv'), '--replay', 'trace').err).toMatch(/--replay goes with --to cache/);
    expect(berth('trace', 'convert', trace, '--format', 'swf', '--to', 'parquet').code).toBe(2);
  });
});
