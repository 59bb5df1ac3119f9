// berth bench-ci: a branch's sweep against a baseline's results. The same code passes (exit 0);
// a baseline doctored so that a policy metric is now worse beyond the threshold fails (exit 1)
// with the regression in the table; a smaller change passes; a baseline of another sweep is
// refused, naming the cells that do not match.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareWithBaseline, regressions } from '../sim/sweep/bench.ts';
import type { SweepResults } from '../sim/sweep/results.ts';
import { PROJECT } from './peer-support.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-bench-ci-'));
const sweep = join(dir, 'bench.yaml');
const out = join(dir, 'out');
const baseline = join(dir, 'baseline.json');

function berth(...args: string[]) {
  const r = spawnSync(process.execPath, [join(PROJECT, 'bin', 'berth.js'), ...args], { cwd: PROJECT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A copy of the baseline with `edit` applied to each binpack cell's metrics. */
function doctored(name: string, edit: (m: Record<string, number>) => void): string {
  const b = JSON.parse(readFileSync(baseline, 'utf8'));
  for (const c of b.cells) if (c.scheduler === 'binpack') edit(c.metrics);
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(b, null, 2));
  return path;
}

beforeAll(() => {
  writeFileSync(sweep, 'name: bench\nschedulers: [binpack, spread]\nclusters: [{preset: production, nodes: 20}]\n' +
    'workloads: [{preset: production, tasks: 300}]\nloads: [1.1]\nseeds: [1, 2]\nmetrics: [waitMean, cpuUtil, activeNodeHours, balanceCv]\n');
  const r = berth('bench-ci', '--sweep', sweep, '--baseline', baseline, '--out', out, '--update-baseline', '--quiet');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^baseline written: .*baseline\.json$/m);
}, 60_000);

describe('berth bench-ci', () => {
  it('writes the baseline as the sweep\'s results.json', () => {
    expect(readFileSync(baseline, 'utf8')).toBe(readFileSync(join(out, 'results.json'), 'utf8'));
  });

  it('passes against a baseline of the same code, reusing the stored cells', () => {
    const r = berth('bench-ci', '--sweep', sweep, '--baseline', baseline, '--out', out, '--quiet');
    expect(r.code).toBe(0);
    const code = (path: string) => JSON.parse(readFileSync(path, 'utf8')).sweep.code;
    expect(code(join(out, 'results.json')), 'berth\'s simulation sources changed during the test: every cell ran again, as it should').toBe(code(baseline));
    expect(r.out).toMatch(/^berth bench-ci · bench · 4 cells \(0 run, 4 reused from .*\) · threshold 5 %$/m);
    expect(r.out).toMatch(/^0 regressions and 0 improvements beyond 5 %; means over seeds/m);
    expect(r.out).toMatch(/^placements differ from the baseline's in 0 of 4 cells \(digests\)$/m);
    expect(r.out).toMatch(/^ok: no regression beyond the threshold$/m);
  });

  it('fails on a policy metric worse than the baseline\'s beyond the threshold, with a table', () => {
    // The baseline's binpack used 20 % more cpu (higher is better): now 1/1.2 - 1 = -16.7 %;
    // it used half as many node-hours more (lower is better): now 1/1.5 - 1 = -33.3 %.
    const b = doctored('worse.json', (m) => { m.cpuUtil! *= 1.2; m.activeNodeHours! *= 1.5; });
    const r = berth('bench-ci', '--sweep', sweep, '--baseline', b, '--out', out, '--quiet');
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^ +metric +scheduler +cluster +workload +load +baseline +now +change$/m);
    expect(r.out).toMatch(/^REGRESSION +cpuUtil +binpack +production-20 +production-300 +1\.1 +[\d.,]+ +[\d.,]+ +−16\.7 %$/m);
    expect(r.out).toMatch(/^improvement +activeNodeHours +binpack +production-20 +production-300 +1\.1 +[\d.,]+ +[\d.,]+ +−33\.3 %$/m);
    expect(r.out).toMatch(/^1 regression and 1 improvement beyond 5 %/m);
    expect(r.out).toMatch(/^FAIL: a policy metric got worse beyond the threshold$/m);
    // The same change within a 20 % threshold passes.
    expect(berth('bench-ci', '--sweep', sweep, '--baseline', b, '--out', out, '--threshold', '20%', '--quiet').code).toBe(0);
  });

  it('refuses a missing baseline, and one of another sweep, without a stack trace', () => {
    const missing = berth('bench-ci', '--sweep', sweep, '--baseline', join(dir, 'none.json'), '--out', out);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^berth: .*none\.json: no such baseline: make one with --update-baseline/);
    const b = JSON.parse(readFileSync(baseline, 'utf8'));
    b.cells[3].id = '0'.repeat(64);
    writeFileSync(join(dir, 'other.json'), JSON.stringify(b));
    const other = berth('bench-ci', '--sweep', sweep, '--baseline', join(dir, 'other.json'), '--out', out);
    expect(other.code).toBe(1);
    expect(other.err).toMatch(/^berth: .*other\.json: a baseline of a different sweep \("bench" against "bench"\): 1 of this sweep's 4 cells are not in it \(cell 3: spread · production-20 · production-300 · load 1\.1 · seed 2\); 1 of its 4 cells are not in this sweep/);
    expect(other.err).not.toMatch(/\n\s+at /);
  });
});

describe('berth bench-ci on a team\'s own policy module', () => {
  it('runs its cells again when the branch edits it, and compares them with the baseline\'s', () => {
    // Inside the project, where the module's `import … from 'berth'` resolves.
    mkdirSync(join(PROJECT, 'test', '.tmp'), { recursive: true });
    const work = mkdtempSync(join(PROJECT, 'test', '.tmp', 'bench-policy-'));
    const policy = join(work, 'policy.ts');
    const original = readFileSync(join(PROJECT, 'examples', 'fewest-tasks.ts'), 'utf8');
    writeFileSync(policy, original);
    writeFileSync(join(work, 'sweep.yaml'), 'name: own\nschedulers: [./policy.ts]\nclusters: [{preset: production, nodes: 20}]\n' +
      'workloads: [{preset: production, tasks: 300}]\nloads: [1.1]\nmetrics: [waitMean, activeNodeHours]\n');
    const args = ['bench-ci', '--sweep', join(work, 'sweep.yaml'), '--baseline', join(work, 'baseline.json'), '--out', join(work, 'out'), '--quiet'];
    expect(berth(...args, '--update-baseline').code).toBe(0);
    // The branch packs by task count instead: the most tasks first.
    writeFileSync(policy, original.replace('score: (_task, node, cluster) => 100 / (1 + cluster.taskCount(node))', 'score: (_task, node, cluster) => 100 - 100 / (1 + cluster.taskCount(node))'));
    const r = berth(...args);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/· 1 cells \(1 run, 0 reused from /);
    expect(r.out).toMatch(/^placements differ from the baseline's in 1 of 1 cells \(digests\)$/m);
    rmSync(work, { recursive: true, force: true });
  }, 60_000);
});

describe('compareWithBaseline', () => {
  it('judges each metric by its direction, and a metric without one as a change', () => {
    const current = JSON.parse(readFileSync(baseline, 'utf8')) as SweepResults;
    const base = JSON.parse(readFileSync(doctored('mixed.json', (m) => { m.waitMean! += 10; m.balanceCv! *= 2; m.cpuUtil! *= 0.9; }), 'utf8')) as SweepResults;
    const c = compareWithBaseline(current, base, 0.05, 'mixed.json');
    const kinds = Object.fromEntries(c.changes.map((x) => [x.metric, `${x.kind}${x.beyond ? '' : ' (within)'}`]));
    // Waits fell by 10 s (improvement); cpu rose by 1/0.9 - 1 = 11.1 % (improvement); the
    // imbalance halved, which is neither better nor worse.
    expect(kinds).toEqual({ waitMean: 'improvement', cpuUtil: 'improvement', balanceCv: 'changed' });
    expect(regressions(c)).toEqual([]);
    expect(c.changes.find((x) => x.metric === 'cpuUtil')!.relative).toBeCloseTo(1 / 0.9 - 1, 9);
  });
});
