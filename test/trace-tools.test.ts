// `berth trace inspect` and `berth trace convert`: the characterisation checked against a plain
// computation over the same records, and a converted trace replaying as its original does.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runSimulation, type RunSpec } from '../sim/run.ts';
import { convertToNative } from '../traces/convert.ts';
import { openTrace, type TraceFormat } from '../traces/formats/index.ts';
import { inspectTrace } from '../traces/inspect.ts';
import type { TaskRecord, TraceRecord } from '../traces/record.ts';
import { PROJECT, SHARED } from './peer-support.ts';

const F = join(PROJECT, 'test', 'fixtures');
const dir = mkdtempSync(join(tmpdir(), 'berth-trace-tools-'));
const GOOGLE = [join(F, 'google2011/task_events'), join(F, 'google2011/task_constraints')];
const open = (format: TraceFormat, files: string[]) => openTrace(format, files, { replay: 'reschedule', skipBadRows: false });

async function tasksOf(format: TraceFormat, files: string[]): Promise<TaskRecord[]> {
  const out: TaskRecord[] = [];
  for await (const batch of open(format, files).source) for (const r of batch) if (r.kind === 'task') out.push(r);
  return out;
}

/** Nearest-rank percentile by sorting: the plain computation inspect must agree with. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

function berth(...args: string[]) {
  const r = spawnSync(process.execPath, [join(PROJECT, 'bin', 'berth.js'), ...args], { cwd: PROJECT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('berth trace inspect', () => {
  it('characterises the google2011 fixture as a plain computation over its tasks does', async () => {
    const tasks = await tasksOf('google2011', GOOGLE);
    const p = await inspectTrace(open('google2011', GOOGLE).source);
    expect(p.tasks).toBe(tasks.length);
    expect(p.jobs).toBe(new Set(tasks.map((t) => t.job)).size);
    expect(p.users).toBe(new Set(tasks.map((t) => t.user)).size);
    expect(p.submit).toEqual({ first: 0, last: 1000, span: 1000 });
    for (const [name, values, unit] of [
      ['cpuCores', tasks.map((t) => t.cpu), 1000], ['memoryGiB', tasks.map((t) => t.memory), 1024], ['durationSeconds', tasks.map((t) => t.duration), 1e6],
    ] as const) {
      const d = p[name];
      // Exact below 2048 base units, within 1/1024 above (the histogram's buckets).
      for (const q of [50, 90, 99] as const) {
        const want = percentile([...values], q) / unit;
        expect(Math.abs(d[`p${q}`] - want)).toBeLessThanOrEqual(want / 1024);
      }
      expect(d.min).toBe(Math.min(...values) / unit);
      expect(d.max).toBe(Math.max(...values) / unit);
      expect(d.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length / unit, 9);
    }
    expect(p.gpus).toBeNull();
    expect(p.priorities).toEqual([{ priority: 9, tasks: 1 }, { priority: 4, tasks: 2 }, { priority: 2, tasks: 2 }, { priority: 0, tasks: 2 }]);
    expect(p.withConstraints).toBe(tasks.filter((t) => t.constraints?.length).length);
    expect(p.withConstraints).toBe(2);
    expect(p.arrivals.counts).toEqual([7]); // all within the first hour
  });

  it('counts arrivals per hour, widening the bins of a long trace, and counts machine changes', async () => {
    const hour = 3600e6;
    const records: TraceRecord[] = Array.from({ length: 10_001 }, (_, i) => ({
      kind: 'task' as const, id: String(i), submit: i * hour, duration: 1e6, cpu: 1000, memory: 1024, gpu: 0, priority: 0,
    }));
    records.splice(3, 0, { kind: 'node', time: 2 * hour, node: 'm1', change: 'fail' }, { kind: 'node', time: 3 * hour, node: 'm1', change: 'recover' });
    async function* source() {
      yield records;
    }
    const p = await inspectTrace(source());
    expect(p.arrivals.binSeconds).toBe(4 * 3600); // 10,001 hourly bins > 4,096: doubled twice
    expect(p.arrivals.counts.reduce((a, b) => a + b, 0)).toBe(10_001);
    expect(p.arrivals.counts[0]).toBe(4);
    expect(p.arrivals.meanPerHour).toBeCloseTo(10_001 / 10_000, 9);
    expect(p.nodeChanges).toEqual({ fail: 1, recover: 1 });
    expect(p.jobs).toBeNull();
  });

  it('prints a readable characterisation, or JSON', () => {
    const r = berth('trace', 'inspect', join(F, 'swf/small.swf'), '--format', 'swf');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^rows +5 read · 1 left out \(no run time \(cancelled before it started\)\) · 1 left out \(no processor count\)$/m);
    expect(r.out).toMatch(/^tasks +3 · 3 jobs · 3 users$/m);
    expect(r.out).toMatch(/^cpu cores +4 +8 +16 +16 +16 +9\.33$/m);
    expect(r.out).toMatch(/^tasks also +2 with run-time estimates$/m);
    const json = JSON.parse(berth('trace', 'inspect', join(F, 'swf/small.swf'), '--format', 'swf', '--json').out);
    expect(json).toMatchObject({ format: 'swf', rows: 5, tasks: 3, cpuCores: { max: 16 }, files: [{ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }] });
  });

  it('bad input: a clean error naming the file and line, or a usage error', () => {
    const bad = berth('trace', 'inspect', join(F, 'bad/vmtable.csv'), '--format', 'azure2017');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/bad\/vmtable\.csv:2: column 5 \(vmdeleted\): expected seconds; got "x"/);
    expect(bad.err).not.toMatch(/\n\s+at /);
    const skipped = berth('trace', 'inspect', join(F, 'bad/vmtable.csv'), '--format', 'azure2017', '--skip-bad-rows');
    expect(skipped.out).toMatch(/1 malformed passed over/);
    expect(berth('trace', 'inspect', '--format', 'swf').code).toBe(2);
    expect(berth('trace', 'inspect', join(F, 'swf/small.swf'), '--format', 'swf2').err).toMatch(/--format expects one of berth, google2011/);
    expect(berth('trace', 'inspect', join(F, 'nope.csv')).err).toMatch(/nope\.csv: no such file or folder/);
  });
});

describe('berth trace convert', () => {
  it('writes the tasks a reader gives, and they read back the same', async () => {
    const out = join(dir, 'google.csv');
    const result = await convertToNative(open('google2011', GOOGLE).source, out);
    const original = await tasksOf('google2011', GOOGLE);
    expect(result.tasks).toBe(original.length);
    expect(result.notWritten).toEqual({ constraints: 2, dependencies: 0, estimates: 0, schedulingClasses: 7, machineChanges: 0 });
    const back = await tasksOf('berth', [out]);
    const fields = (t: TaskRecord) => [t.id, t.submit, t.duration, t.cpu, t.memory, t.gpu, t.priority, t.job, t.user];
    expect(back.map(fields)).toEqual(original.map(fields));
  });

  it('a converted SWF log replays exactly as the log does (same digest)', async () => {
    const cell = join(dir, 'cell.yaml');
    writeFileSync(cell, 'nodes:\n  - {name: pool, count: 1, cpu: 16, memory: 64}\n');
    const out = join(dir, 'small.csv.gz');
    const r = berth('trace', 'convert', join(F, 'swf/small.swf'), '--format', 'swf', '--out', out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^wrote 3 tasks to .*small\.csv\.gz \(from 5 rows, 1 left out: no run time/m);
    expect(r.out).toMatch(/^not written, the native format cannot hold it: 2 tasks had run-time estimates$/m);
    expect(gunzipSync(readFileSync(out)).toString().split('\n')[0]).toBe('id,submit,duration,cpu,memory,gpu,priority,job,user');
    const base = { scheduler: 'binpack', seed: 1, queue: 'greedy', cluster: { files: [cell], format: 'berth' } } as const;
    const fromLog = await runSimulation({ ...base, workload: { files: [join(F, 'swf/small.swf')], format: 'swf' } } as RunSpec);
    const fromCsv = await runSimulation({ ...base, workload: { files: [out], format: 'berth' } } as RunSpec);
    expect(fromCsv.digest).toBe(fromLog.digest);
    expect(fromCsv.tasks).toEqual(fromLog.tasks);
  });

  it('refuses an output that is not CSV, and leaves no partial file on bad input', () => {
    expect(berth('trace', 'convert', join(F, 'swf/small.swf'), '--format', 'swf', '--out', join(dir, 'x.json')).err).toMatch(/ending in \.csv or \.csv\.gz/);
    const out = join(dir, 'bad.csv');
    const r = berth('trace', 'convert', join(F, 'bad/truncated.swf.gz'), '--format', 'swf', '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/truncated\.swf\.gz: the gzip data ends early/);
    expect(existsSync(out)).toBe(false);
  });
});

const lanl = join(SHARED, 'traces', 'swf', 'LANL-CM5-1994-4.1-cln.swf.gz');
describe.skipIf(!existsSync(lanl))(`inspecting a real log${existsSync(lanl) ? '' : ' (skipped: ../shared/traces is not beside the project)'}`, () => {
  it('LANL-CM5: every job read is a task or left out, and every task is in an arrival bin', async () => {
    const trace = open('swf', [lanl]);
    const p = await inspectTrace(trace.source);
    const leftOut = Object.values(trace.stats.leftOut).reduce((a, b) => a + b, 0);
    expect(p.tasks + leftOut).toBe(122_060); // the SOURCES file's job count
    expect(p.arrivals.counts.reduce((a, b) => a + b, 0)).toBe(p.tasks);
    expect(p.cpuCores.max).toBe(1024); // MaxProcs
  });
});
