// --explain: every node's verdict for a decision, rejected with its reason or scored, without
// changing any placement.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createScheduler } from '../schedulers/registry.ts';
import { Simulation, type Explanation } from '../sim/simulation.ts';
import { PROJECT } from './peer-support.ts';
import { productionCell, productionWorkload } from '../traces/synthetic/production.ts';
import { expandGroups } from '../sim/cluster-file.ts';
import { nodes, task } from './helpers.ts';
import type { TaskRecord } from '../traces/record.ts';

// 4-core nodes: one down (it fails at 0 s), one too small, one in zone b, one tainted, two that fit.
const cell = nodes([
  { name: 'down', count: 1, cpu: 4, memory: 16, labels: { zone: 'a' } },
  { name: 'small', count: 1, cpu: 1, memory: 16, labels: { zone: 'a' } },
  { name: 'zone-b', count: 1, cpu: 4, memory: 16, labels: { zone: 'b' } },
  { name: 'tainted', count: 1, cpu: 4, memory: 16, labels: { zone: 'a' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] },
  { name: 'fits', count: 2, cpu: 4, memory: 16, labels: { zone: 'a' } },
]);

async function explained(scheduler: string, records: readonly TaskRecord[] = [{ ...task('t', 0, 10, 2, 1), constraints: [{ label: 'zone', op: '==', value: 'a' }] }]) {
  const out: Explanation[] = [];
  const sim = new Simulation(cell, { scheduler: await createScheduler(scheduler), seed: 1, explain: { tasks: 'all', onExplain: (e) => out.push(e) } });
  sim.push({ kind: 'node', time: 0, node: 'down', change: 'fail' });
  for (const r of records) sim.push(r);
  sim.run();
  return { out, digest: sim.finishDigest() };
}

describe('explanations', () => {
  it('name the reason for every rejected node and score the feasible ones', async () => {
    const { out } = await explained('binpack');
    expect(out).toHaveLength(1);
    const e = out[0]!;
    expect(e.decision).toEqual({ kind: 'place', node: 'fits-0' });
    const verdict = Object.fromEntries(e.nodes.map((n) => [n.node, 'rejected' in n ? n.rejected : 'scored']));
    expect(verdict).toEqual({ down: 'node-down', small: 'insufficient-cpu', 'zone-b': 'constraint', tainted: 'taint', 'fits-0': 'scored', 'fits-1': 'scored' });
    // Both empty 4-core nodes score MostAllocated (2/4 cpu + 1/16 memory) / 2 = 28.125; the tie goes to fits-0.
    for (const n of e.nodes) if ('scores' in n) expect(n.scores).toEqual({ 'most-allocated': 28.125 });
  });

  it('say why a task waits, for a policy that does not explain itself too', async () => {
    // Three 4-core tasks take zone-b, fits-0 and fits-1; then w (2 cores) finds no node.
    const records = [task('a', 0, 100, 4, 1), task('b', 0, 100, 4, 1), task('c', 0, 100, 4, 1), task('w', 0, 10, 2, 1)];
    for (const policy of ['binpack', 'k8s-default']) {
      const { out } = await explained(policy, records);
      const w = out.find((e) => e.task === 'w')!;
      expect(w.decision.kind).toBe('wait');
      expect(Object.fromEntries(w.nodes.map((n) => [n.node, 'rejected' in n ? n.rejected : 'scored']))).toEqual({
        down: 'node-down', small: 'insufficient-cpu', 'zone-b': 'insufficient-cpu', tainted: 'taint', 'fits-0': 'insufficient-cpu', 'fits-1': 'insufficient-cpu',
      });
    }
  });

  it('change no placement, for deterministic and randomized policies', async () => {
    const cluster = expandGroups(productionCell(24));
    const records = [...productionWorkload({ tasks: 800, load: 1.2, seed: 3, nodes: cluster })];
    for (const policy of ['binpack', 'power-of-two', 'k8s-default']) {
      const plain = new Simulation(cluster, { scheduler: await createScheduler(policy), seed: 2 });
      let count = 0;
      const loud = new Simulation(cluster, { scheduler: await createScheduler(policy), seed: 2, explain: { tasks: 'all', onExplain: () => count++ } });
      for (const r of records) { plain.push(r); loud.push(r); }
      plain.run();
      loud.run();
      expect(loud.finishDigest()).toBe(plain.finishDigest());
      expect(count).toBeGreaterThanOrEqual(records.length);
    }
  });

  it('go to explain.jsonl with --explain all, which needs --out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-explain-'));
    const run = (...args: string[]) => spawnSync(process.execPath, [join(PROJECT, 'bin', 'berth.js'), 'sim', '--nodes', '20', '--tasks', '300', '--quiet', ...args], { encoding: 'utf8' });
    const bad = run('--explain', 'all');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--explain all writes explain.jsonl: give --out DIR/);
    const ok = run('--explain', 'all', '--out', dir);
    expect(ok.status).toBe(0);
    const lines = readFileSync(join(dir, 'explain.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Explanation);
    expect(lines.length).toBeGreaterThanOrEqual(300);
    expect(lines.every((e) => e.nodes.length === 20)).toBe(true);
    const one = run('--explain', 'task-7');
    expect(one.stdout).toMatch(/^explain {3}task-7 at [\d.]+ s: placed on \S+$/m);
  });
});
