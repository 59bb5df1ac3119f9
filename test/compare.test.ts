// berth compare: runs in worker threads give exactly what runSimulation gives in the main
// thread; the command's table, files and errors as a user meets them.

import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runComparison } from '../sim/compare.ts';
import { runSimulation, type RunSpec } from '../sim/run.ts';
import { PROJECT } from './peer-support.ts';

function berth(...args: string[]) {
  const r = spawnSync(process.execPath, [join(PROJECT, 'bin', 'berth.js'), ...args], { cwd: PROJECT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const small = ['--nodes', '30', '--tasks', '1500'];
const base: Omit<RunSpec, 'scheduler' | 'seed'> = {
  cluster: { preset: 'production', nodes: 40 }, workload: { preset: 'production', tasks: 3000, load: 1.1 }, queue: 'greedy',
};

describe('runComparison', () => {
  it('gives, in worker threads, the digests and summaries of runs made one by one in the main thread', async () => {
    const schedulers = ['binpack', 'spread', 'random'];
    const done: string[] = [];
    const results = await runComparison({ base, schedulers, seeds: [1, 2], command: 'test' }, {
      threads: 2, onRunDone: (n, total, run) => done.push(`${n}/${total} ${run.scheduler}`),
    });
    expect(results.policies).toEqual(schedulers);
    expect(results.runs.map((r) => `${r.policy}/${r.seed}`)).toEqual(['binpack/1', 'binpack/2', 'spread/1', 'spread/2', 'random/1', 'random/2']);
    expect(done).toHaveLength(6);
    expect(done[5]).toMatch(/^6\/6 /);
    for (const run of results.runs) {
      const here = await runSimulation({ ...base, scheduler: run.policy, seed: run.seed });
      expect(run.summary.digest, `${run.policy} seed ${run.seed}`).toBe(here.digest);
      expect(run.summary.wait).toEqual(here.wait);
      expect(run.summary.fragmentation).toEqual(here.fragmentation);
    }
    // The seed changes the workload: the same policy differs between seeds.
    expect(results.runs[0]!.summary.digest).not.toBe(results.runs[1]!.summary.digest);
  });
});

describe('berth compare', () => {
  it('prints means, intervals and differences to the first policy, and no progress in a pipe', () => {
    const r = berth('compare', ...small, '--schedulers', 'first-fit,binpack', '--seeds', '3');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^berth compare · first-fit, binpack · 3 seeds \(1, 2, 3\) · greedy queue$/m);
    expect(r.out).toMatch(/^measure +first-fit +binpack +Δ vs first-fit$/m);
    expect(r.out).toMatch(/^wait, mean \(s\) +[\d.,]+ ± [\d.,]+ +[\d.,]+ ± [\d.,]+ +[+−]?[\d.,]+ %? ?± [\d.,]+( \*)?$/m);
    expect(r.out).toMatch(/^active nodes, mean \(nodes\) /m);
    expect(r.out).toMatch(/95 % interval over seeds \(Student's t\)/);
  });

  it('says there is no interval with one seed', () => {
    const r = berth('compare', ...small, '--schedulers', 'first-fit,spread', '--seed-list', '5');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/· 1 seed \(5\) ·/);
    expect(r.out).toMatch(/one seed: no interval can be estimated/);
    expect(r.out).not.toMatch(/ ± /);
  });

  it('writes results.json, tidy CSVs, each run\'s files and report.html with --out', () => {
    const out = mkdtempSync(join(tmpdir(), 'berth-compare-'));
    const r = berth('compare', ...small, '--schedulers', 'spread,first-fit', '--seeds', '2', '--out', out, '--quiet');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`report    ${join(out, 'report.html')}`);
    expect(readdirSync(out).sort()).toEqual(
      ['report.html', 'results.json', 'runs', 'runs.csv', 'samples.csv', 'timeseries.csv', 'wait-by-priority.csv', 'wait-cdf.csv']);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.policies).toEqual(['spread', 'first-fit']);
    expect(results.seeds).toEqual([1, 2]);
    expect(results.command).toBe(`berth compare --nodes 30 --tasks 1500 --schedulers spread,first-fit --seeds 2 --out ${out} --quiet`);
    expect(results.runs).toHaveLength(4);
    expect(results.runs[0].summary.run.command).toMatch(/^berth sim --nodes 30 --workload production --tasks 1500 --load 0.9 --scheduler spread --seed 1/);
    const wait = results.comparison.find((m: { measure: string }) => m.measure === 'waitMean');
    expect(wait.policies.map((p: { policy: string }) => p.policy)).toEqual(['spread', 'first-fit']);
    expect(wait.policies[1].difference.absolute.n).toBe(2);
    const series = readFileSync(join(out, 'timeseries.csv'), 'utf8').split('\n');
    expect(series[0]).toBe('policy,seed,time,cpu_util,memory_util,gpu_util,active_nodes,pending,running');
    expect(series[1]).toMatch(/^spread,1,/);
    expect(readFileSync(join(out, 'samples.csv'), 'utf8').split('\n')[0]).toBe('policy,seed,time,pending,fragmentation_cpu,fragmentation_memory,cpu_util_cv');
    expect(readFileSync(join(out, 'wait-cdf.csv'), 'utf8').split('\n')[0]).toBe('policy,seed,percent,wait_seconds');
    const runs = readFileSync(join(out, 'runs.csv'), 'utf8').trim().split('\n');
    expect(runs).toHaveLength(5);
    expect(runs[1]).toMatch(/^spread,1,.*,sha256:[0-9a-f]{64},/);
    expect(readdirSync(join(out, 'runs', 'first-fit', 'seed-2')).sort()).toEqual(['placements.csv', 'samples.csv', 'summary.json', 'timeseries.csv']);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('prints results.json with --json', () => {
    const r = berth('compare', ...small, '--schedulers', 'first-fit,round-robin', '--seeds', '2', '--json');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(JSON.parse(r.out).runs.map((x: { policy: string }) => x.policy)).toEqual(['first-fit', 'first-fit', 'round-robin', 'round-robin']);
  });

  it('stops at a bad row met in a worker thread, naming the file and line, and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-compare-bad-'));
    const trace = join(dir, 'tasks.csv');
    const cluster = join(dir, 'cell.yaml');
    expect(berth('trace', 'generate', '--nodes', '30', '--tasks', '3000', '--out', trace).code).toBe(0);
    expect(berth('cluster', 'generate', '--nodes', '30', '--out', cluster).code).toBe(0);
    appendFileSync(trace, 'bad-1,999999,10,abc,1,0,0,job-x,u1\n');
    const r = berth('compare', '--cluster', cluster, '--trace', trace, '--seeds', '2', '--quiet');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/tasks\.csv:3002: column "cpu": expected a number/);
    expect(r.err).not.toMatch(/\n\s+at |internal error/);
  });

  it.each([
    [['--schedulers', 'binpack,nope'], 1, /--scheduler: unknown scheduler "nope"; expected one of/],
    [['--schedulers', 'binpack,./missing-policy.ts'], 1, /missing-policy\.ts: no such scheduler module/],
    [['--schedulers', 'binpack,binpack'], 2, /--schedulers names "binpack" twice/],
    [['--seeds', '0'], 2, /--seeds expects a whole number >= 1/],
    [['--seeds', 'three'], 2, /--seeds expects a whole number/],
    [['--seeds', '2', '--seed-list', '1,2'], 2, /--seeds and --seed-list cannot be used together/],
    [['--seed-list', '1,x'], 2, /--seed-list expects whole numbers >= 0/],
    [['--trace', 'x.csv', '--workload', 'mmc'], 2, /--trace and --workload cannot be used together/],
    [['--threads', '0'], 2, /--threads expects a whole number >= 1/],
    // Raised in a worker thread, then repeated in the main thread to keep its class and message.
    [['--cluster', 'no-such-cluster.yaml'], 1, /no-such-cluster\.yaml: no such file/],
  ])('refuses %j with exit code %i and a clear message', (args, code, message) => {
    const r = berth('compare', ...args, '--quiet');
    expect(r.code).toBe(code);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at |internal error/);
  });
});
