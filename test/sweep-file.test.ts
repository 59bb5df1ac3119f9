// The sweep file and the shard flags: a bad field gets an error naming the file, the line and
// the field, and what was expected; the command exits non-zero without a stack trace.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shardFrom } from '../cli/sweep.ts';
import { loadSweepFile, parseSweep } from '../sim/sweep/file.ts';
import { PROJECT } from './peer-support.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-sweep-file-'));
const FIXTURES = join(PROJECT, 'test', 'fixtures', 'sweep');

const GOOD = `name: t
schedulers: [binpack, {name: nomad-binpack, options: {jobType: batch}}]
clusters: [{preset: production, nodes: 20}]
workloads: [{preset: production, tasks: 100}]
loads: [0.6, 0.8]
seeds: {count: 2}
`;

function sweepFile(text: string, name = 'sweep.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function berth(...args: string[]) {
  const r = spawnSync(process.execPath, [join(PROJECT, 'bin', 'berth.js'), ...args], { cwd: PROJECT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('a sweep file', () => {
  it('reads the grid, with defaults and labels', () => {
    const s = parseSweep(GOOD, 'sweep.yaml');
    expect(s.schedulers.map((x) => x.label)).toEqual(['binpack', 'nomad-binpack jobType=batch']);
    expect(s.clusters.map((x) => x.label)).toEqual(['production-20']);
    expect(s.loads).toEqual([0.6, 0.8]);
    expect(s.seeds).toEqual([1, 2]);
    expect(s.queue).toBe('greedy');
    expect(s.metrics.map((m) => m.key)).toContain('waitMean');
  });

  it.each([
    ['an unknown key, naming it and the keys expected', GOOD + 'schedulerz: [spread]\n', /^sweep\.yaml:7: schedulerz: unknown field; expected one of name, description, schedulers, /],
    ['a load of the wrong type', GOOD.replace('loads: [0.6, 0.8]', 'loads: [0.6, high]'), /^sweep\.yaml:5: loads\[1\]: expected a number in \(0, 100\] \(offered load as a fraction of capacity\); got "high"$/],
    ['a load out of range', GOOD.replace('loads: [0.6, 0.8]', 'loads: [0.6, -1]'), /^sweep\.yaml:5: loads\[1\]: expected a number in \(0, 100\]/],
    ['a seed given twice', GOOD.replace('seeds: {count: 2}', 'seeds: [1, 2, 1]'), /^sweep\.yaml:6: seeds\[2\]: 1 is already listed as seeds\[0\]$/],
    ['an unknown metric', GOOD + 'metrics: [waitMean, meanWait]\n', /^sweep\.yaml:7: metrics\[1\]: unknown metric "meanWait"; expected one of waitMean, /],
    ['a cluster with two kinds', GOOD.replace('{preset: production, nodes: 20}', '{preset: production, file: c.yaml}'), /^sweep\.yaml:3: clusters\[0\]: give one of preset and file, not both$/],
    ['a field that does not go with the kind', GOOD.replace('{preset: production, nodes: 20}', '{preset: production, format: berth}'), /^sweep\.yaml:3: clusters\[0\]\.format: does not go with preset; expected preset, nodes$/],
    ['a task count that is not a whole number', GOOD.replace('tasks: 100', 'tasks: 10.5'), /^sweep\.yaml:4: workloads\[0\]\.tasks: expected a whole number from 1 to 10,000,000,000; got 10\.5$/],
    ['a missing dimension', GOOD.replace('workloads: [{preset: production, tasks: 100}]\n', ''), /^sweep\.yaml(:\d+)?: workloads: missing: expected a list of workloads$/],
    ['an empty list', GOOD.replace('schedulers: [binpack, {name: nomad-binpack, options: {jobType: batch}}]', 'schedulers: []'), /^sweep\.yaml:2: schedulers: expected at least one of schedulers; the list is empty$/],
    ['two schedulers results could not tell apart', GOOD.replace('[binpack, ', '[binpack, binpack, '), /^sweep\.yaml:2: schedulers\[1\]: its label "binpack" is the same as schedulers\[0\]'s/],
    ['a queue that does not exist', GOOD + 'queue: fifo\n', /^sweep\.yaml:7: queue: expected one of greedy, strict-fifo; got "fifo"$/],
    ['seeds of a wrong shape', GOOD.replace('seeds: {count: 2}', 'seeds: {n: 2}'), /^sweep\.yaml:6: seeds\.n: unknown field; expected one of count$/],
    ['YAML that does not parse', 'schedulers: [binpack\n', /^sweep\.yaml:\d+: not valid YAML or JSON/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parseSweep(text, 'sweep.yaml')).toThrow(message);
  });

  it('refuses loads when every workload is a trace', () => {
    const text = `schedulers: [binpack]\nclusters: [{file: ${join(FIXTURES, 'cluster.yaml')}}]\nworkloads: [{trace: ${join(FIXTURES, 'tasks.csv')}}]\nloads: [0.5]\n`;
    expect(() => parseSweep(text, 'sweep.yaml')).toThrow(/^sweep\.yaml:4: loads: loads apply to synthetic workloads \(preset\), and every workload here is a trace$/);
  });

  it('refuses the machines of a trace for a synthetic workload', () => {
    const text = GOOD.replace('{preset: production, nodes: 20}', '{fromTrace: true}');
    expect(() => parseSweep(text, 'sweep.yaml')).toThrow(/^sweep\.yaml:3: clusters\[0\]\.fromTrace: the machines a trace describes exist only for SWF traces, and workloads\[0\] is synthetic/);
  });

  it('names a missing input file through its field, relative to the sweep file', () => {
    const text = GOOD.replace('{preset: production, nodes: 20}', '{file: no-such-cluster.yaml}');
    expect(() => parseSweep(text, join(dir, 'sweep.yaml'))).toThrow(/sweep\.yaml:3: clusters\[0\]\.file: .*no-such-cluster\.yaml: no such file or folder$/);
  });

  it('checks scheduler names and options before anything runs', async () => {
    await expect(loadSweepFile(sweepFile(GOOD.replace('[binpack, ', '[binpak, ')))).rejects.toThrow(/sweep\.yaml:2: schedulers\[0\]: unknown scheduler "binpak"; expected one of first-fit, /);
    await expect(loadSweepFile(sweepFile(GOOD.replace('{jobType: batch}', '{jobTipe: batch}')))).rejects.toThrow(/sweep\.yaml:2: schedulers\[1\]: nomad-binpack takes the options jobType; got jobTipe$/);
  });

  it('reads a policy module relative to the sweep file', async () => {
    const path = join(PROJECT, 'examples', 'tmp-sweep-module-test.yaml');
    const s = parseSweep(GOOD.replace('[binpack, ', '[./fewest-tasks.ts, '), path);
    expect(s.schedulers[0]).toMatchObject({ label: 'fewest-tasks', written: './fewest-tasks.ts', scheduler: join(PROJECT, 'examples', 'fewest-tasks.ts') });
  });
});

describe('the shard of this run', () => {
  it('is the whole grid without a flag or a batch engine', () => {
    expect(shardFrom(undefined, undefined, {}).shard).toEqual({ index: 0, count: 1 });
  });

  it('is --shard I/N, 0-based, with the valid range in the error', () => {
    expect(shardFrom('2/3', undefined, {}).shard).toEqual({ index: 2, count: 3 });
    expect(() => shardFrom('3/3', undefined, {})).toThrow('--shard 3/3: with 3 shards the index goes from 0 to 2 (shards are numbered from 0)');
    expect(() => shardFrom('1-3', undefined, {})).toThrow(/--shard expects I\/N, .* got "1-3"/);
    expect(() => shardFrom('0/0', undefined, {})).toThrow(/the number of shards must be at least 1/);
  });

  it('reads a Kubernetes Indexed Job\'s index with --shards', () => {
    expect(shardFrom(undefined, '4', { JOB_COMPLETION_INDEX: '3' })).toEqual({ shard: { index: 3, count: 4 }, source: 'JOB_COMPLETION_INDEX' });
    expect(() => shardFrom(undefined, '4', { JOB_COMPLETION_INDEX: '4' })).toThrow(/JOB_COMPLETION_INDEX is 4, but with 4 shards the index goes from 0 to 3/);
    expect(() => shardFrom(undefined, undefined, { JOB_COMPLETION_INDEX: '1' })).toThrow(/JOB_COMPLETION_INDEX is set .* but not --shards/);
    expect(() => shardFrom(undefined, '4', {})).toThrow(/neither is set: use --shard I\/N/);
  });

  it('reads a Slurm array, 0-based or 1-based, in steps', () => {
    expect(shardFrom(undefined, undefined, { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '0' }).shard).toEqual({ index: 2, count: 4 });
    expect(shardFrom(undefined, undefined, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1' }).shard).toEqual({ index: 0, count: 4 });
    expect(shardFrom(undefined, '3', { SLURM_ARRAY_TASK_ID: '14', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_STEP: '2' }).shard).toEqual({ index: 2, count: 3 });
    expect(() => shardFrom(undefined, '5', { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '4' })).toThrow(/--shards 5, but this Slurm array has 4 tasks/);
    expect(() => shardFrom(undefined, undefined, { SLURM_ARRAY_TASK_ID: '0' })).toThrow(/SLURM_ARRAY_TASK_COUNT .* expects a whole number >= 1/);
  });
});

describe('berth sweep on bad input', () => {
  it('exits 1 with the file, line and field, and no stack trace', () => {
    const r = berth('sweep', sweepFile(GOOD.replace('loads: [0.6, 0.8]', 'loads: [0.6, high]'), 'bad.yaml'), '--quiet');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^berth: .*bad\.yaml:5: loads\[1\]: expected a number in \(0, 100\] .*; got "high"\n$/);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.out).toBe('');
  });

  it('exits 2 on a bad shard, before reading the sweep', () => {
    const r = berth('sweep', 'no-such.yaml', '--shard', '3/3');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^berth: --shard 3\/3: with 3 shards the index goes from 0 to 2 \(shards are numbered from 0\)\nRun 'berth --help' for usage\.\n$/);
  });

  it('exits 2 without a sweep file, and merge without --out', () => {
    expect(berth('sweep').code).toBe(2);
    const r = berth('merge', dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/berth merge needs --out DIR/);
  });
});
