// The command line as a user meets it: a process, its exit code, its output and its files.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT } from './peer-support.ts';

function berth(...args: string[]) {
  const r = spawnSync(process.execPath, [join(PROJECT, 'bin', 'berth.js'), ...args], { cwd: PROJECT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'berth-cli-'));
const small = ['--nodes', '40', '--tasks', '3000', '--quiet'];

/** An error for people: one line naming the problem, no stack trace. */
function expectCleanError(err: string) {
  expect(err).not.toMatch(/\n\s+at /);
  expect(err).not.toMatch(/internal error/);
}

describe('berth sim', () => {
  it('runs the embedded default and prints a readable summary', () => {
    const r = berth('sim', ...small);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^berth sim · first-fit · seed 1 · greedy queue$/m);
    expect(r.out).toMatch(/^tasks +3,000 submitted · 3,000 started · 3,000 completed/m);
    expect(r.out).toMatch(/^digest +sha256:[0-9a-f]{64}$/m);
    expect(r.err).toBe(''); // no progress display when stderr is not a terminal
  });

  it('writes summary.json with every documented field, placements.csv and timeseries.csv', () => {
    const out = join(dir, 'run');
    expect(berth('sim', ...small, '--out', out, '--scheduler', 'binpack').code).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s).toMatchObject({
      scheduler: 'binpack', seed: 1, digest: expect.stringMatching(/^sha256:/),
      tasks: { submitted: 3000, started: 3000, completed: 3000, pending: 0, unschedulable: 0 },
      wait: { mean: expect.any(Number), p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) },
      utilization: { cpu: expect.any(Number), memory: expect.any(Number) },
      makespan: expect.any(Number), events: expect.any(Number), wallSeconds: expect.any(Number),
      run: { command: expect.stringMatching(/^berth sim --nodes 40 --workload production --tasks 3000 --load 0.9 --scheduler binpack --seed 1/) },
    });
    expect(s.utilization.cpu).toBeGreaterThan(0);
    expect(s.utilization.cpu).toBeLessThanOrEqual(1);
    const placements = readFileSync(join(out, 'placements.csv'), 'utf8').trim().split('\n');
    expect(placements[0]).toBe('task,node,submit,start,end');
    expect(placements).toHaveLength(3001);
    expect(readFileSync(join(out, 'timeseries.csv'), 'utf8').split('\n')[0]).toBe('time,cpu_util,memory_util,gpu_util,active_nodes,pending,running');
  });

  it('repeats a generated workload exactly when it is replayed from the files berth writes', () => {
    const cluster = join(dir, 'cell.yaml');
    const trace = join(dir, 'tasks.csv');
    expect(berth('cluster', 'generate', '--nodes', '40', '--out', cluster).code).toBe(0);
    expect(berth('trace', 'generate', '--nodes', '40', '--tasks', '3000', '--seed', '9', '--out', trace).code).toBe(0);
    const generated = JSON.parse(berth('sim', ...small, '--seed', '9', '--scheduler', 'random', '--json').out);
    const replayed = JSON.parse(berth('sim', '--cluster', cluster, '--trace', trace, '--seed', '9', '--scheduler', 'random', '--json').out);
    expect(replayed.digest).toBe(generated.digest);
    expect(replayed.run.workload.files[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(replayed.run.workload.rows).toBe(3000);
  });

  it('loads a policy module given as a path', () => {
    const r = berth('sim', ...small, '--scheduler', './examples/fewest-tasks.ts');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/berth sim · fewest-tasks/);
  });

  it('counts why tasks wait when asked', () => {
    const r = berth('sim', ...small, '--load', '1.3', '--reasons');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^waiting +.*(insufficient-cpu|fragmented) [\d,]+/m);
  });
});

describe('berth on bad input', () => {
  it('names the file, line and field, exits 1, and shows no stack trace', () => {
    const cluster = join(dir, 'bad.yaml');
    writeFileSync(cluster, 'nodes:\n  - name: a\n    memory: 4\n');
    const r = berth('sim', '--cluster', cluster, '--quiet');
    expect(r.code).toBe(1);
    expect(r.err).toBe(`berth: ${cluster}:2: nodes[0].cpu: missing: every node group needs cpu (cores)\n`);

    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'nodes:\n  - {cpu: 4, memory: 8}\n');
    const trace = join(dir, 'bad.csv');
    writeFileSync(trace, 'id,submit,duration,cpu,memory\na,0,ten,1,1\n');
    const t = berth('sim', '--cluster', good, '--trace', trace, '--quiet');
    expect(t.code).toBe(1);
    expect(t.err).toBe(`berth: ${trace}:2: column "duration": expected a number (seconds) from 0 to 3153600000; got "ten"\n`);
    expectCleanError(t.err);
  });

  it('says what is wrong with the command line and exits 2', () => {
    for (const args of [['sim', '--bogus'], ['sim', '--tasks', '-5'], ['sim', '--queue', 'lifo'], ['frobnicate'], ['sim', '--trace', 'x.csv']]) {
      const r = berth(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/^berth: .+\nRun 'berth --help' for usage\.\n$/);
    }
    expect(berth('sim', '--scheduler', 'bestest').err).toMatch(/unknown scheduler "bestest"; expected one of first-fit, binpack, spread, random, round-robin/);
  });

  it('refuses a policy module that exports no scheduler, saying what it found', () => {
    const mod = join(dir, 'nothing.ts');
    writeFileSync(mod, 'export const answer = 42;\n');
    const r = berth('sim', ...small, '--scheduler', mod);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nothing\.ts: expected the module to export .* its exports are: answer/);
    expectCleanError(r.err);
  });

  it('keeps the results of an earlier run when a later run into the same folder fails', () => {
    const out = join(dir, 'keep');
    expect(berth('sim', ...small, '--out', out).code).toBe(0);
    const before = readFileSync(join(out, 'summary.json'), 'utf8');
    const cluster = join(dir, 'c.yaml');
    writeFileSync(cluster, 'nodes:\n  - {cpu: 4, memory: 8}\n');
    const trace = join(dir, 'late-error.csv');
    writeFileSync(trace, 'id,submit,duration,cpu,memory\n' + 'a,1,1,1,1\n'.repeat(5000) + 'b,0,1,1,1\n');
    const r = berth('sim', '--cluster', cluster, '--trace', trace, '--out', out, '--quiet');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/late-error\.csv:5002: column "submit": 0 comes before the previous task's submit time/);
    expect(readFileSync(join(out, 'summary.json'), 'utf8')).toBe(before);
  });
});

describe('berth with a policy in plain JavaScript', () => {
  it('loads it from outside the project and places like first-fit when it is first fit', () => {
    const mod = join(dir, 'first.js');
    writeFileSync(mod, `export default () => ({
  name: 'js-first',
  *decide(pending, cluster) {
    for (const task of pending) {
      const node = cluster.firstFit(task);
      if (node !== undefined) yield { kind: 'place', task: task.id, node };
    }
  },
});
`);
    const ours = JSON.parse(berth('sim', ...small, '--scheduler', mod, '--json').out);
    const builtin = JSON.parse(berth('sim', ...small, '--scheduler', 'first-fit', '--json').out);
    expect(ours.scheduler).toBe('js-first');
    expect(ours.digest).toBe(builtin.digest);
  });
});
