// A sweep gives the same results.json, byte for byte, whether its cells ran on one worker
// thread or two, or as three shards (in this process, and as processes reading their index
// from a Kubernetes Indexed Job's and a Slurm array's environment) merged afterwards; merge
// refuses shards of another sweep, disagreeing shards, and says which shards are missing.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSimulation } from '../sim/run.ts';
import { loadSweepFile } from '../sim/sweep/file.ts';
import { buildGrid, type Grid } from '../sim/sweep/grid.ts';
import { FileHasher } from '../sim/sweep/hash.ts';
import { runSweep } from '../sim/sweep/sweep.ts';
import { PROJECT } from './peer-support.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-sweep-shards-'));
const SWEEP = join(PROJECT, 'test', 'fixtures', 'sweep', 'grid.yaml');
const read = (...path: string[]) => readFileSync(join(...path), 'utf8');

function berth(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(PROJECT, 'bin', 'berth.js'), ...args], {
    cwd: PROJECT, encoding: 'utf8', env: { ...process.env, ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let grid: Grid;
const whole = join(dir, 'whole');

beforeAll(async () => {
  grid = await buildGrid(await loadSweepFile(SWEEP), await FileHasher.open());
  await runSweep(grid, { out: whole, shard: { index: 0, count: 1 }, workers: 2 });
}, 120_000);

describe('a sweep', () => {
  it('covers the grid in the documented order, each cell with its digest', () => {
    const results = JSON.parse(read(whole, 'results.json'));
    expect(results.cells).toHaveLength(16);
    expect(results.cells.map((c: { index: number }) => c.index)).toEqual([...Array(16).keys()]);
    // clusters, workloads, loads, schedulers, seeds: seeds vary fastest; a trace has no load.
    expect(results.cells.slice(0, 3).map((c: { scheduler: string; seed: number; load: number }) => `${c.load} ${c.scheduler} ${c.seed}`))
      .toEqual(['1.1 binpack 1', '1.1 binpack 2', '1.1 nomad-binpack jobType=batch 1']);
    expect(results.cells[4]).toMatchObject({ cluster: 'production-30', workload: 'tasks.csv', load: null, scheduler: 'binpack', seed: 1 });
    expect(results.cells[8]).toMatchObject({ cluster: 'two-groups', workload: 'production-500', load: 1.1 });
    for (const c of results.cells) expect(c.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Paths relative to the sweep file, never absolute: the same bytes on any machine.
    expect(read(whole, 'results.json')).not.toContain(PROJECT);
    expect(results.cells[12].run.command).toBe('berth sim --cluster cluster.yaml --trace tasks.csv --format berth --scheduler binpack --seed 1 --queue greedy');
    expect(results.cells[12].inputs.map((f: { path: string }) => f.path)).toEqual(['cluster.yaml', 'tasks.csv']);
  });

  it('gives the digest of the same run made in the main thread', async () => {
    const cell = grid.cells[10]!;
    const here = await runSimulation(cell.spec);
    expect(JSON.parse(read(whole, 'results.json')).cells[10].digest).toBe(here.digest);
  });

  it('gives the same results.json on one worker thread as on two', async () => {
    const serial = join(dir, 'serial');
    const run = await runSweep(grid, { out: serial, shard: { index: 0, count: 1 }, workers: 1 });
    expect(run.run.workers).toBe(1);
    expect(run.run.outcomes.every((o) => !o.reused)).toBe(true);
    expect(read(serial, 'results.json')).toBe(read(whole, 'results.json'));
    expect(read(serial, 'results.csv')).toBe(read(whole, 'results.csv'));
  }, 120_000);
});

describe('three shards merged', () => {
  const shards = [0, 1, 2].map((i) => join(dir, `shard-${i}`));

  beforeAll(async () => {
    await runSweep(grid, { out: shards[0]!, shard: { index: 0, count: 3 }, workers: 1 });
    const k8s = berth({ JOB_COMPLETION_INDEX: '1' }, 'sweep', SWEEP, '--shards', '3', '--out', shards[1]!, '--workers', '1', '--quiet');
    expect(k8s.err).toBe('');
    expect(k8s.out).toMatch(/^berth sweep · fixture · shard 1\/3 \(JOB_COMPLETION_INDEX\): 5 of 16 cells$/m);
    const slurm = berth({ SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '3' }, 'sweep', SWEEP, '--out', shards[2]!, '--workers', '1', '--quiet');
    expect(slurm.out).toMatch(/shard 2\/3 \(SLURM_ARRAY_TASK_ID\): 5 of 16 cells/);
  }, 120_000);

  it('write only their manifests, and merge into the unsharded results, byte for byte', () => {
    expect(() => read(shards[0]!, 'results.json')).toThrow(/ENOENT/);
    const manifest = JSON.parse(read(shards[1]!, 'shards', '1-of-3.json'));
    expect(manifest.cells.map((c: { index: number }) => c.index)).toEqual([1, 4, 7, 10, 13]);
    const merged = join(dir, 'merged');
    const r = berth({}, 'merge', ...shards, '--out', merged, '--quiet');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^berth merge · fixture · 16 cells from 3 shard manifests \(0\/3, 1\/3, 2\/3\)$/m);
    expect(read(merged, 'results.json')).toBe(read(whole, 'results.json'));
    expect(read(merged, 'results.csv')).toBe(read(whole, 'results.csv'));
    expect(read(merged, 'report.html')).toMatch(/<svg/);
  });

  it('merge a folder the shards shared', () => {
    const shared = join(dir, 'shared');
    for (const s of shards) cpSync(s, shared, { recursive: true });
    const r = berth({}, 'merge', shared, '--out', shared, '--quiet');
    expect(r.code).toBe(0);
    expect(read(shared, 'results.json')).toBe(read(whole, 'results.json'));
  });

  it('say which shards and cells are missing', () => {
    const r = berth({}, 'merge', shards[0]!, shards[2]!, '--out', join(dir, 'incomplete'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^berth: the shards given hold 11 of the sweep's 16 cells; missing shard 1\/3; missing cells 1, 4, 7, 10, 13 /);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('refuse a shard of another sweep, naming it', async () => {
    const other = join(dir, 'other.yaml');
    writeFileSync(other, 'name: fixture\nschedulers: [binpack]\nclusters: [{preset: production, nodes: 20}]\nworkloads: [{preset: production, tasks: 100}]\n');
    const otherGrid = await buildGrid(await loadSweepFile(other), await FileHasher.open());
    await runSweep(otherGrid, { out: join(dir, 'other'), shard: { index: 0, count: 3 }, workers: 1 });
    const r = berth({}, 'merge', shards[0]!, join(dir, 'other'), '--out', join(dir, 'mixed'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^berth: .*other\/shards\/0-of-3\.json: from a different sweep than .*shard-0\/shards\/0-of-3\.json \(hash [0-9a-f]{12}… against [0-9a-f]{12}…\): its sweep has 1 cells, not 16; shards of different sweeps cannot be merged \(a manifest left by an earlier version of the sweep may be deleted\)\n$/);
  }, 60_000);

  it('refuse shards that disagree on a cell', () => {
    const doctored = join(dir, 'doctored');
    cpSync(shards[1]!, doctored, { recursive: true });
    const path = join(doctored, 'shards', '1-of-3.json');
    const m = JSON.parse(read(path));
    m.cells[0].digest = 'sha256:' + '0'.repeat(64);
    writeFileSync(path, JSON.stringify(m));
    const r = berth({}, 'merge', ...shards, doctored, '--out', join(dir, 'disagree'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cell 1 \(binpack · production-30 · production-500 · load 1\.1 · seed 2\) is also in .*shard-1\/shards\/1-of-3\.json, with different results/);
  });
});
