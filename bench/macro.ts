// End to end, as a user runs it: `berth sim` in a fresh process on a production-like cell and
// workload written as files, against the SimPy peer on the same files, in the same run. Checks
// that the two agree placement by placement, and reports wall times, their ratio, events/s
// and tasks/s; then the same workload under every built-in policy.
//
// The machines here are virtual and share their cores: other tenants take CPU time in bursts
// (steal), which can double a run's wall time. So berth runs before and after the peer and the
// median counts, CPU time (which steal does not inflate) is reported beside wall time, and so
// is the share of time stolen while each program ran.

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
import { format, median } from './util.ts';

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
  readonly cpuSeconds: number;
  readonly eventsPerSecond: number;
  readonly tasksPerSecond: number;
  readonly digest: string;
}

export interface MacroResult {
  readonly workload: string;
  /** Medians over the runs, which are listed. */
  readonly berth: PolicyRun & { readonly runs: readonly Timing[] };
  readonly peer: { readonly timing: Timing; readonly simulationSeconds: number; readonly identical: boolean } | { readonly skipped: string };
  /** Peer over berth (median), whole processes: by wall time, and by CPU time. */
  readonly speedup: { readonly wall: number; readonly cpu: number } | undefined;
  readonly policies: readonly PolicyRun[];
}

interface Timing {
  /** Seconds. */
  readonly wall: number;
  /** User plus system CPU seconds of the process and its threads. */
  readonly cpu: number;
  /** Share of the machine's time stolen by other tenants meanwhile (0-1). */
  readonly steal: number;
}

/** Cumulative (steal, total) jiffies of all CPUs, from /proc/stat; zeros where there is none. */
function cpuJiffies(): [number, number] {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return [fields[7] ?? 0, fields.reduce((a, b) => a + b, 0)];
  } catch {
    return [0, 0];
  }
}

/** Runs a program, timing it with bash's `time`, which reports the child's CPU time. */
function timedRun(program: string, args: readonly string[]): { stdout: string; timing: Timing } {
  const quoted = [program, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const [steal0, total0] = cpuJiffies();
  const t0 = performance.now();
  // bash's `time` writes "user sys" to the shell's stderr (fd 4 here); the program's own stderr
  // goes to fd 3.
  const r = spawnSync('bash', ['-c', `TIMEFORMAT='%U %S'; { time ${quoted} 2>&3 ; } 2>&4`],
    { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
  const wall = (performance.now() - t0) / 1000;
  const [steal1, total1] = cpuJiffies();
  if (r.status !== 0) throw new Error(`${program} failed: ${String(r.output[3] ?? r.stderr)}`);
  const [user, sys] = String(r.output[4] ?? '').trim().split(/\s+/).map(Number);
  return {
    stdout: r.stdout,
    timing: { wall, cpu: (user ?? NaN) + (sys ?? NaN), steal: total1 > total0 ? (steal1 - steal0) / (total1 - total0) : 0 },
  };
}

/** Options a policy needs on this workload, which has no run-time estimates. */
const NEEDS: Readonly<Record<string, readonly string[]>> = { 'easy-backfill': ['--scheduler-option', 'missingEstimate=600'] };

function berthSim(cluster: string, trace: string, scheduler: string, out?: string): [Summary, Timing] {
  const args = [join(PROJECT, 'bin', 'berth.js'), 'sim', '--cluster', cluster, '--trace', trace, '--scheduler', scheduler, ...(NEEDS[scheduler] ?? []),
    '--json', '--quiet'];
  if (out) args.push('--out', out);
  const { stdout, timing } = timedRun(process.execPath, args);
  return [JSON.parse(stdout) as Summary, timing];
}

const describe = (t: Timing) => `${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU, ${(100 * t.steal).toFixed(0)} % stolen`;

/** Placements as sorted rows with times in integer µs, whatever the float formatting. */
function placements(path: string): string[] {
  return readFileSync(path, 'utf8').trim().split('\n').slice(1).map((line) => {
    const [task, node, ...times] = line.split(',');
    return [task, node, ...times.map((t) => Math.round(Number(t) * 1e6))].join(',');
  }).sort();
}


export async function macroBench(opts: MacroOptions, log: (line: string) => void = console.log): Promise<MacroResult> {
  // Measure the command as users run it after `npm ci`: from the bundle, not through tsx.
  const build = spawnSync(process.execPath, [join(PROJECT, 'bin', 'build.js')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`could not build dist/: ${build.stderr}`);
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

    const runs: Timing[] = [];
    let first: Summary | undefined;
    const runBerth = () => {
      const [summary, timing] = berthSim(cluster, trace, 'first-fit', first ? undefined : join(dir, 'berth'));
      first ??= summary;
      runs.push(timing);
      log(`  berth run ${runs.length}: ${describe(timing)} (simulation ${summary.wallSeconds.toFixed(2)} s, ${format(summary.eventsPerSecond)} events/s)`);
    };
    const before = Math.ceil(opts.repeats / 2);
    for (let i = 0; i < before; i++) runBerth();

    let peer: MacroResult['peer'] = { skipped: peerUnavailable() ?? 'not asked for (--no-peer)' };
    if (opts.peer && peerUnavailable() === undefined) {
      log('  SimPy peer: running (at 12,500 nodes this takes a few minutes)…');
      const { timing } = timedRun(findPython()!, [PEER, cluster, trace, join(dir, 'peer')]);
      const own = JSON.parse(readFileSync(join(dir, 'peer', 'summary.json'), 'utf8')) as { wall_seconds: number };
      const identical = JSON.stringify(placements(join(dir, 'peer', 'placements.csv'))) === JSON.stringify(placements(join(dir, 'berth', 'placements.csv')));
      peer = { timing, simulationSeconds: own.wall_seconds, identical };
      log(`  SimPy peer: ${describe(timing)} (its simulation ${own.wall_seconds.toFixed(1)} s); placements ${identical ? 'identical' : 'DIFFERENT'}`);
    }
    for (let i = before; i < opts.repeats; i++) runBerth();

    const berth = {
      scheduler: 'first-fit', runs,
      wallSeconds: median(runs.map((r) => r.wall)), cpuSeconds: median(runs.map((r) => r.cpu)),
      eventsPerSecond: first!.eventsPerSecond, tasksPerSecond: first!.tasksPerSecond, digest: first!.digest,
    };
    const speedup = 'timing' in peer ? { wall: peer.timing.wall / berth.wallSeconds, cpu: peer.timing.cpu / berth.cpuSeconds } : undefined;
    if (speedup) {
      log(`  berth is ${speedup.wall.toFixed(1)}x faster than the peer by wall time and ${speedup.cpu.toFixed(1)}x by CPU time, ` +
        `end to end (medians of ${runs.length} berth runs, before and after the peer)`);
    }

    const policies: PolicyRun[] = [];
    if (opts.policies) {
      log('\nthe same workload under every built-in policy (one run each):');
      for (const { name, scansEveryNode } of builtinSchedulers()) {
        if (scansEveryNode && opts.nodes > 2000) {
          log(`  ${name.padEnd(19)} skipped: it scores every node for every task, too slow for ${opts.nodes.toLocaleString('en-US')} nodes`);
          continue;
        }
        const [s, t] = berthSim(cluster, trace, name);
        policies.push({ scheduler: name, wallSeconds: t.wall, cpuSeconds: t.cpu, eventsPerSecond: s.eventsPerSecond, tasksPerSecond: s.tasksPerSecond, digest: s.digest });
        log(`  ${name.padEnd(19)} ${describe(t)} · ${format(s.eventsPerSecond)} events/s · ${format(s.tasksPerSecond)} tasks/s`);
      }
    }
    return { workload, berth, peer, speedup, policies };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
