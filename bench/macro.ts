// End to end, as a user runs it: `berth sim` in a fresh process on a production-like cell and
// workload written as files, against the SimPy peer on the same files, in the same run. Checks
// that the two agree placement by placement, and reports wall times, their ratio, events/s
// and tasks/s; then the same workload under every built-in policy.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { expandGroups } from '../sim/cluster-file.ts';
import type { Summary } from '../sim/summary.ts';
import { builtinSchedulers } from '../schedulers/registry.ts';
import { writeNativeCsv } from '../traces/native.ts';
import { productionCell, productionWorkload } from '../traces/synthetic/production.ts';
import { PEER, PROJECT, findPython, peerUnavailable } from '../test/peer-support.ts';
import { format } from './util.ts';

export interface MacroOptions {
  readonly nodes: number;
  readonly tasks: number;
  readonly load: number;
  /** berth runs of first-fit; the median counts. */
  readonly repeats: number;
  readonly peer: boolean;
  readonly policies: boolean;
}

export interface PolicyRun {
  readonly scheduler: string;
  readonly wallSeconds: number;
  readonly eventsPerSecond: number;
  readonly tasksPerSecond: number;
  readonly digest: string;
}

export interface MacroResult {
  readonly workload: string;
  readonly berth: PolicyRun & { readonly runs: readonly number[] };
  readonly peer: { readonly wallSeconds: number; readonly simulationSeconds: number; readonly identical: boolean } | { readonly skipped: string };
  /** Peer wall time over berth's (median), both whole processes. */
  readonly speedup: number | undefined;
  readonly policies: readonly PolicyRun[];
}

function timed<T>(run: () => T): [T, number] {
  const t0 = performance.now();
  const value = run();
  return [value, (performance.now() - t0) / 1000];
}

function berthSim(cluster: string, trace: string, scheduler: string, out?: string): [Summary, number] {
  const args = [join(PROJECT, 'bin', 'berth.js'), 'sim', '--cluster', cluster, '--trace', trace, '--scheduler', scheduler, '--json', '--quiet'];
  if (out) args.push('--out', out);
  const [r, wall] = timed(() => spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 }));
  if (r.status !== 0) throw new Error(`berth sim failed: ${r.stderr}`);
  return [JSON.parse(r.stdout) as Summary, wall];
}

/** Placements as sorted rows with times in integer µs, whatever the float formatting. */
function placements(path: string): string[] {
  return readFileSync(path, 'utf8').trim().split('\n').slice(1).map((line) => {
    const [task, node, ...times] = line.split(',');
    return [task, node, ...times.map((t) => Math.round(Number(t) * 1e6))].join(',');
  }).sort();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function macroBench(opts: MacroOptions, log: (line: string) => void = console.log): Promise<MacroResult> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-macro-'));
  try {
    const cluster = join(dir, 'cluster.yaml');
    const trace = join(dir, 'tasks.csv');
    const groups = productionCell(opts.nodes);
    writeFileSync(cluster, stringify({ nodes: groups }));
    // The columns the peer reads; without priorities both queues are in submit order.
    await writeNativeCsv(productionWorkload({ tasks: opts.tasks, load: opts.load, seed: 1, nodes: expandGroups(groups) }),
      trace, ['id', 'submit', 'duration', 'cpu', 'memory']);
    const workload = `${opts.nodes.toLocaleString('en-US')} nodes, ${opts.tasks.toLocaleString('en-US')} tasks, load ${opts.load} (production preset, seed 1)`;
    log(`\nend to end: first-fit on ${workload}`);

    const walls: number[] = [];
    let first: Summary | undefined;
    for (let i = 0; i < opts.repeats; i++) {
      const [summary, wall] = berthSim(cluster, trace, 'first-fit', i === 0 ? join(dir, 'berth') : undefined);
      first ??= summary;
      walls.push(wall);
      log(`  berth run ${i + 1}: ${wall.toFixed(2)} s (simulation ${summary.wallSeconds.toFixed(2)} s, ${format(summary.eventsPerSecond)} events/s)`);
    }
    const berth = {
      scheduler: 'first-fit', wallSeconds: median(walls), runs: walls,
      eventsPerSecond: first!.eventsPerSecond, tasksPerSecond: first!.tasksPerSecond, digest: first!.digest,
    };

    let peer: MacroResult['peer'] = { skipped: peerUnavailable() ?? 'not asked for (--no-peer)' };
    if (opts.peer && peerUnavailable() === undefined) {
      log('  SimPy peer: running (at 12,500 nodes this takes a few minutes)…');
      const [r, wall] = timed(() => spawnSync(findPython()!, [PEER, cluster, trace, join(dir, 'peer')], { encoding: 'utf8' }));
      if (r.status !== 0) throw new Error(`the peer failed: ${r.stderr}`);
      const own = JSON.parse(readFileSync(join(dir, 'peer', 'summary.json'), 'utf8')) as { wall_seconds: number };
      const identical = JSON.stringify(placements(join(dir, 'peer', 'placements.csv'))) === JSON.stringify(placements(join(dir, 'berth', 'placements.csv')));
      peer = { wallSeconds: wall, simulationSeconds: own.wall_seconds, identical };
      log(`  SimPy peer: ${wall.toFixed(1)} s (its simulation ${own.wall_seconds.toFixed(1)} s); placements ${identical ? 'identical' : 'DIFFERENT'}`);
    }
    const speedup = 'wallSeconds' in peer ? peer.wallSeconds / berth.wallSeconds : undefined;
    if (speedup !== undefined) log(`  berth is ${speedup.toFixed(1)}x faster than the peer, end to end (median of ${walls.length} berth runs)`);

    const policies: PolicyRun[] = [];
    if (opts.policies) {
      log('\nthe same workload under every built-in policy (one run each):');
      for (const { name } of builtinSchedulers()) {
        const [s, wall] = berthSim(cluster, trace, name);
        policies.push({ scheduler: name, wallSeconds: wall, eventsPerSecond: s.eventsPerSecond, tasksPerSecond: s.tasksPerSecond, digest: s.digest });
        log(`  ${name.padEnd(12)} ${wall.toFixed(2)} s · ${format(s.eventsPerSecond)} events/s · ${format(s.tasksPerSecond)} tasks/s`);
      }
    }
    return { workload, berth, peer, speedup, policies };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
