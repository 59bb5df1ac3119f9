// A sweep killed mid-way and started again runs only the cells that are missing: a finished
// cell's file is left as it was (same inode, same modification time) and counted as reused; a
// damaged cell file runs again; a changed input file or option runs its cells again, and only
// those.

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { loadSweepFile } from '../sim/sweep/file.ts';
import { buildGrid } from '../sim/sweep/grid.ts';
import { FileHasher } from '../sim/sweep/hash.ts';
import { runSweep } from '../sim/sweep/sweep.ts';
import { PROJECT } from './peer-support.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-sweep-resume-'));
const FIXTURES = join(PROJECT, 'test', 'fixtures', 'sweep');
const SWEEP = join(FIXTURES, 'grid.yaml');
const BERTH = join(PROJECT, 'bin', 'berth.js');

function berth(...args: string[]) {
  const r = spawnSync(process.execPath, [BERTH, ...args], { cwd: PROJECT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Finished cell files by name, with what tells a rewritten file from an untouched one. */
function cellFiles(out: string): Map<string, { ino: number; mtimeMs: number }> {
  const cells = join(out, 'cells');
  if (!existsSync(cells)) return new Map();
  return new Map(readdirSync(cells).filter((f) => f.endsWith('.json')).map((f) => {
    const s = statSync(join(cells, f));
    return [f, { ino: s.ino, mtimeMs: s.mtimeMs }];
  }));
}

/** berth's code fingerprint in a sweep's results. */
const codeOf = (out: string): string => JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).sweep.code;
/** A cell's key holds berth's code: edited sources (someone at work in the tree) rightly rerun every cell. */
const CHANGED = 'berth\'s simulation sources changed during the test, so every cell ran again (as it should); run the test again on a quiet tree';

async function sweepOf(path: string, out: string, workers = 1) {
  const grid = await buildGrid(await loadSweepFile(path), await FileHasher.open());
  return runSweep(grid, { out, shard: { index: 0, count: 1 }, workers });
}

describe('a sweep started again', () => {
  const out = join(dir, 'killed');

  it('after being killed mid-way, runs only the missing cells and gives the uninterrupted results', async () => {
    const child = spawn(process.execPath, [BERTH, 'sweep', SWEEP, '--out', out, '--workers', '1', '--quiet'], { cwd: PROJECT, stdio: 'ignore' });
    const exited = once(child, 'exit');
    const deadline = Date.now() + 60_000;
    while (cellFiles(out).size === 0 && Date.now() < deadline) await sleep(20);
    process.kill(child.pid!, 'SIGKILL');
    await exited;
    const before = cellFiles(out);
    expect(before.size).toBeGreaterThan(0);
    expect(before.size).toBeLessThan(16);
    // Only whole files: every one a cell's complete result.
    for (const f of before.keys()) expect(JSON.parse(readFileSync(join(out, 'cells', f), 'utf8')).summary.digest).toMatch(/^sha256:/);
    expect(existsSync(join(out, 'results.json'))).toBe(false);

    const r = berth('sweep', SWEEP, '--out', out, '--workers', '2', '--quiet');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(codeOf(out), CHANGED).toBe(JSON.parse(readFileSync(join(out, 'cells', [...before.keys()][0]!), 'utf8')).code);
    expect(r.out).toContain(`cells     ${16 - before.size} run on 2 worker threads, ${before.size} reused from ${join(out, 'cells')}/`);
    const after = cellFiles(out);
    expect(after.size).toBe(16);
    for (const [f, stat] of before) expect(after.get(f), `${f} was written again`).toEqual(stat);
    const timing = JSON.parse(readFileSync(join(out, 'timing.json'), 'utf8'));
    const reused = timing.cells.filter((c: { reused: boolean }) => c.reused).map((c: { key: string }) => `${c.key}.json`);
    expect(reused.sort()).toEqual([...before.keys()].sort());

    const uninterrupted = join(dir, 'uninterrupted');
    await sweepOf(SWEEP, uninterrupted, 2);
    expect(codeOf(uninterrupted), CHANGED).toBe(codeOf(out));
    expect(readFileSync(join(out, 'results.json'), 'utf8')).toBe(readFileSync(join(uninterrupted, 'results.json'), 'utf8'));
  }, 180_000);

  it('runs a damaged cell file again, and nothing else', () => {
    const results = readFileSync(join(out, 'results.json'), 'utf8');
    const [name] = [...cellFiles(out).keys()];
    const path = join(out, 'cells', name!);
    writeFileSync(path, readFileSync(path, 'utf8').slice(0, 200)); // as if cut short
    const r = berth('sweep', SWEEP, '--out', out, '--quiet');
    expect(r.code).toBe(0);
    expect(codeOf(out), CHANGED).toBe(JSON.parse(results).sweep.code);
    expect(r.out).toMatch(/cells +1 run on 1 worker thread, 15 reused from .* \(1 damaged cell file ran again\)/);
    expect(readFileSync(join(out, 'results.json'), 'utf8')).toBe(results);
  }, 60_000);
});

describe('a changed input', () => {
  it('runs again the cells that read it, and reuses the others', async () => {
    const copy = join(dir, 'inputs');
    cpSync(FIXTURES, copy, { recursive: true });
    const path = join(copy, 'small.yaml');
    const sweep = (options = '') => writeFileSync(path, `name: small\nschedulers: [{name: nomad-binpack${options}}]\n` +
      'clusters: [{preset: production, nodes: 20}, {file: cluster.yaml}]\nworkloads: [{preset: production, tasks: 200}]\nseeds: [1, 2]\n');
    sweep();
    const out = join(copy, 'out');
    const first = await sweepOf(path, out);
    expect(first.run.outcomes.map((o) => o.reused)).toEqual([false, false, false, false]);

    // The cluster file changes: its two cells run again, the preset's two are reused.
    writeFileSync(join(copy, 'cluster.yaml'), readFileSync(join(copy, 'cluster.yaml'), 'utf8').replace('count: 8', 'count: 9'));
    const second = await sweepOf(path, out);
    expect(second.run.outcomes.map((o) => `${o.cell.cluster} ${o.reused ? 'reused' : 'ran'}`))
      .toEqual(['production-20 reused', 'production-20 reused', 'cluster.yaml ran', 'cluster.yaml ran']);
    expect(second.results!.cells[2]!.digest).not.toBe(first.results!.cells[2]!.digest);
    expect(second.results!.sweep.hash).not.toBe(first.results!.sweep.hash);

    // An option changes: every cell of that scheduler runs again.
    sweep(', options: {jobType: batch}');
    const third = await sweepOf(path, out);
    expect(third.run.outcomes.every((o) => !o.reused)).toBe(true);
  }, 120_000);
});
