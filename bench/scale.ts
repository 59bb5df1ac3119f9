// Cost that grows as the work grows: `berth sim` (first-fit and binpack, production preset at
// 90 % load) in a fresh process, nodes and tasks doubled in turn from 1,000 nodes and 100,000
// tasks to 16,000 nodes and 3.2 million tasks. Time per task should grow no faster than log n in
// the number of nodes (the index answers a placement in about log n); doubling tasks alone
// should leave it flat. Writes the rows, and bench/scale.svg, a Vega-Lite chart of them.

import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../sim/report/render.ts';
import type { Summary } from '../sim/summary.ts';
import { PROJECT } from '../test/peer-support.ts';

export interface ScaleRow {
  readonly scheduler: string;
  readonly nodes: number;
  readonly tasks: number;
  readonly wallSeconds: number;
  /** User and system CPU seconds of the process (null where GNU time is missing). */
  readonly cpuSeconds: number | null;
  /**
   * Microseconds per task, the whole process: of CPU time where GNU time gives it (a neighbour's
   * burst on this shared machine stretches wall time, not the time the process runs), else of wall time.
   */
  readonly microsPerTask: number;
  /** Peak resident memory, MiB (null where GNU time is missing). */
  readonly peakMiB: number | null;
  readonly digest: string;
}

/** Where the series stops unless told otherwise. */
const MAX_NODES = 16_000;
const MAX_TASKS = 3_200_000;

/** (nodes, tasks): nodes doubled, then tasks, in turn. */
export function scaleSteps(maxNodes = MAX_NODES, maxTasks = MAX_TASKS): [number, number][] {
  const steps: [number, number][] = [[1000, 100_000]];
  let [nodes, tasks] = steps[0]!;
  while (nodes < maxNodes || tasks < maxTasks) {
    if (nodes < maxNodes && (nodes / 1000 <= tasks / 100_000 || tasks >= maxTasks)) nodes *= 2;
    else tasks *= 2;
    steps.push([nodes, tasks]);
  }
  return steps;
}

const TIME = '/usr/bin/time';
const TIMEOUT = '/usr/bin/timeout';

/**
 * `berth sim` on the production preset in a fresh process, timed, with its peak resident memory
 * where GNU time is present. Stopped after `limitSeconds` (by coreutils' timeout, so that the
 * simulation itself is ended, not only its timer): then undefined.
 */
function run(scheduler: string, nodes: number, tasks: number, load = 0.9, limitSeconds = Infinity): ScaleRow | undefined {
  const args = [join(PROJECT, 'bin', 'berth.js'), 'sim', '--scheduler', scheduler, '--nodes', String(nodes), '--tasks', String(tasks),
    '--load', String(load), '--json', '--quiet'];
  const limited = Number.isFinite(limitSeconds) && existsSync(TIMEOUT);
  const command = limited ? [TIMEOUT, String(limitSeconds), process.execPath, ...args] : [process.execPath, ...args];
  const timed = existsSync(TIME);
  const t0 = performance.now();
  const r = timed
    ? spawnSync(TIME, ['-f', '%U %S %M', ...command], { encoding: 'utf8', maxBuffer: 1 << 26 })
    : spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = (performance.now() - t0) / 1000;
  if (limited && r.status === 124) return undefined;
  if (r.status !== 0) throw new Error(`berth sim failed: ${r.stderr}`);
  const summary = JSON.parse(r.stdout) as Summary;
  const [user, system, kib] = timed ? r.stderr.trim().split('\n').pop()!.split(' ').map(Number) : [];
  const cpu = user !== undefined && system !== undefined && Number.isFinite(user + system) ? user + system : null;
  return {
    scheduler, nodes, tasks, wallSeconds: wall, cpuSeconds: cpu, microsPerTask: ((cpu ?? wall) * 1e6) / tasks,
    peakMiB: kib !== undefined && Number.isFinite(kib) ? kib / 1024 : null, digest: summary.digest,
  };
}

/** One row of the scale series, as the bench prints it. */
function describeRow(row: ScaleRow): string {
  return `${row.scheduler.padEnd(10)} ${row.nodes.toLocaleString('en-US').padStart(6)} nodes ${row.tasks.toLocaleString('en-US').padStart(10)} tasks  ` +
    `${row.wallSeconds.toFixed(1).padStart(6)} s${row.cpuSeconds === null ? '' : ` (${row.cpuSeconds.toFixed(1)} s CPU)`}  ` +
    `${row.microsPerTask.toFixed(1).padStart(6)} µs/task` +
    `${row.peakMiB === null ? '' : `  ${Math.round(row.peakMiB)} MiB peak`}`;
}

/** The Google-scale target (issue 7): 12,500 nodes, 25 million tasks at load 0.8, in 120 s and under 4 GiB. */
export const GOOGLE_SCALE = { nodes: 12_500, tasks: 25_000_000, load: 0.8, seconds: 120, peakMiB: 4096 } as const;

export interface GoogleScaleRow {
  readonly scheduler: string;
  readonly tasks: number;
  /** Null when the run was stopped at the time limit. */
  readonly result: ScaleRow | null;
  readonly limitSeconds: number;
  /** Within GOOGLE_SCALE's time and memory. */
  readonly met: boolean;
}

/**
 * `berth sim` at Google scale (12,500 nodes, 25 million tasks at load 0.8) for each scheduler,
 * each stopped after `limitSeconds`; reports the time, the peak memory and whether the target
 * holds.
 */
export async function googleScaleBench(options: { schedulers?: readonly string[]; tasks?: number; limitSeconds?: number } = {},
  log: (line: string) => void = console.log): Promise<GoogleScaleRow[]> {
  buildBundle();
  const tasks = options.tasks ?? GOOGLE_SCALE.tasks;
  const limitSeconds = options.limitSeconds ?? 1200;
  log(`\nGoogle scale: berth sim, production preset, ${GOOGLE_SCALE.nodes.toLocaleString('en-US')} nodes, ` +
    `${tasks.toLocaleString('en-US')} tasks at load ${GOOGLE_SCALE.load} (target: ${GOOGLE_SCALE.seconds} s and ${GOOGLE_SCALE.peakMiB / 1024} GiB at ` +
    `${GOOGLE_SCALE.tasks.toLocaleString('en-US')} tasks), each stopped after ${limitSeconds} s`);
  const rows: GoogleScaleRow[] = [];
  for (const scheduler of options.schedulers ?? ['first-fit', 'binpack']) {
    const result = run(scheduler, GOOGLE_SCALE.nodes, tasks, GOOGLE_SCALE.load, limitSeconds) ?? null;
    const met = result !== null && tasks >= GOOGLE_SCALE.tasks && result.wallSeconds <= GOOGLE_SCALE.seconds &&
      result.peakMiB !== null && result.peakMiB < GOOGLE_SCALE.peakMiB;
    rows.push({ scheduler, tasks, result, limitSeconds, met });
    log(`  ${result === null ? `${scheduler.padEnd(10)} stopped after ${limitSeconds} s, not finished` : describeRow(result)}  ` +
      `${met ? 'target met' : 'target not met'}`);
  }
  return rows;
}

/** Builds dist/: the runs measure the command as users run it after `npm ci`, from the bundle. */
function buildBundle(): void {
  const build = spawnSync(process.execPath, [join(PROJECT, 'bin', 'build.js')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`could not build dist/: ${build.stderr}`);
}

export async function scaleBench(options: { schedulers?: readonly string[]; maxNodes?: number; maxTasks?: number } = {},
  log: (line: string) => void = console.log): Promise<ScaleRow[]> {
  buildBundle();
  const rows: ScaleRow[] = [];
  log('\nCost as the work grows: berth sim, production preset at load 0.9, nodes and tasks doubled in turn (fresh process each)');
  for (const scheduler of options.schedulers ?? ['first-fit', 'binpack']) {
    for (const [nodes, tasks] of scaleSteps(options.maxNodes, options.maxTasks)) {
      const row = run(scheduler, nodes, tasks)!;
      rows.push(row);
      log(`  ${describeRow(row)}`);
    }
    const k = logGrowthExponent(rows.filter((r) => r.scheduler === scheduler));
    log(`  ${scheduler}: time per task ∝ (log n)^${k.toFixed(2)} in the nodes n (least squares over the steps): ` +
      `${Number.isNaN(k) ? 'cannot tell from one node count' : k <= 1 ? 'no faster than log n' : 'faster than log n'}`);
  }
  writeFileSync(join(PROJECT, 'bench', 'scale.svg'), await renderSvg(scaleSpec(rows)));
  log('  wrote bench/scale.svg');
  return rows;
}

/**
 * How time per task grows with the number of nodes n, over a series: the exponent k of the
 * least-squares fit of log(µs per task) against log(log n), time per task ∝ (log n)^k. k ≤ 1 is
 * growth no faster than log n. Every step weighs in, so one noisy step moves k less than it moves
 * the ratio of the last step to the first. NaN with fewer than two node counts.
 */
export function logGrowthExponent(rows: readonly Pick<ScaleRow, 'nodes' | 'microsPerTask'>[]): number {
  const xs = rows.map((r) => Math.log(Math.log(r.nodes)));
  const ys = rows.map((r) => Math.log(r.microsPerTask));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length, my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let cov = 0, variance = 0;
  xs.forEach((x, i) => { cov += (x - mx) * (ys[i]! - my); variance += (x - mx) ** 2; });
  return variance > 0 ? cov / variance : NaN;
}

/** The chart: µs per task against nodes, a line per scheduler and task count doubling. */
export function scaleSpec(rows: readonly ScaleRow[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Time per task as nodes and tasks double', subtitle: 'berth sim, production preset at 90 % load, whole process' },
    width: 420, height: 260,
    data: { values: rows.map((r) => ({ ...r, step: `${r.nodes / 1000}k nodes, ${r.tasks / 1000}k tasks` })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'nodes', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'nodes (log scale)' },
      y: { field: 'microsPerTask', type: 'quantitative', title: `µs of ${rows.every((r) => r.cpuSeconds !== null) ? 'CPU' : 'wall'} time per task` },
      color: { field: 'scheduler', type: 'nominal', title: 'scheduler' },
      detail: { field: 'tasks', type: 'quantitative' },
      tooltip: [{ field: 'step' }, { field: 'wallSeconds', format: '.1f', title: 'seconds' }],
    },
  };
}

