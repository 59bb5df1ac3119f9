// `berth bench-ci --sweep S.yaml --baseline B.json`: the scheduler benchmark a team runs on every
// pull request. Runs the sweep (reusing the cells stored under --out), compares each scheduler's
// policy metrics with the baseline's (a results.json of the same sweep, from the main branch),
// prints the regressions and improvements, and exits 1 on a regression beyond the threshold.

import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { InputError } from '../sim/errors.ts';
import { loadSweepFile } from '../sim/sweep/file.ts';
import { asResults, compareWithBaseline, regressions, type BenchComparison, type Change } from '../sim/sweep/bench.ts';
import { resultsJson } from '../sim/sweep/results.ts';
import { num } from '../sim/report/text.ts';
import { UsageError, parseFlags, stringFlag } from './args.ts';
import { defaultOut, openGrid, runWithProgress, workersFlag } from './sweep.ts';

export const DEFAULT_THRESHOLD = 0.05;

export const BENCH_CI_HELP = `usage: berth bench-ci --sweep S.yaml --baseline B.json [--threshold 5%] [--out DIR] [--workers N]
                      [--update-baseline] [--quiet]

Runs the sweep S.yaml (cells already stored under DIR are reused) and compares, for each
scheduler in each cluster, workload and load, every kept metric's mean over seeds with the
baseline's: a results.json of the same sweep, for instance from the main branch. Prints the
regressions and improvements (by each metric's direction: lower waits, higher utilization…;
never wall time) and exits 1 when a metric got worse by more than the threshold, 0 otherwise.

  --sweep FILE         the sweep file
  --baseline FILE      the baseline's results.json
  --threshold P        a relative change that matters, in percent (default ${100 * DEFAULT_THRESHOLD}%)
  --out DIR            the sweep's output folder (default out/sweeps/<name>)
  --workers N          worker threads (default: one per core)
  --update-baseline    write this run's results.json to the baseline file (after comparing with
                       the old one, if any), and exit 0
  --quiet              no progress display`;

const OPTIONS = {
  sweep: { type: 'string' },
  baseline: { type: 'string' },
  threshold: { type: 'string' },
  out: { type: 'string' },
  workers: { type: 'string' },
  'update-baseline': { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Returns the exit code: 1 on a regression beyond the threshold. */
export async function benchCiCommand(args: string[]): Promise<number> {
  const { flags } = parseFlags(args, OPTIONS);
  if (flags.help) {
    process.stdout.write(BENCH_CI_HELP + '\n');
    return 0;
  }
  const sweepFile = stringFlag(flags, 'sweep');
  const baselineFile = stringFlag(flags, 'baseline');
  if (sweepFile === undefined) throw new UsageError('bench-ci needs --sweep S.yaml, the sweep to run');
  if (baselineFile === undefined) throw new UsageError('bench-ci needs --baseline B.json, the results.json to compare with');
  const threshold = thresholdFlag(stringFlag(flags, 'threshold'));
  const update = flags['update-baseline'] === true;
  const workers = workersFlag(flags);
  const baselineText = await readFile(baselineFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' && update) return undefined;
    throw new InputError({ file: baselineFile }, err.code === 'ENOENT'
      ? 'no such baseline: make one with --update-baseline (from the branch to compare against)'
      : `cannot read the baseline: ${err.code ?? String(err)}`);
  });
  let baseline = baselineText === undefined ? undefined : asResults(parseJson(baselineText, baselineFile), baselineFile);

  const sweep = await loadSweepFile(sweepFile);
  const out = stringFlag(flags, 'out') ?? defaultOut(sweep.name);
  const grid = await openGrid(sweep, out, true);
  const run = await runWithProgress('berth bench-ci', grid, out, { index: 0, count: 1 }, workers, flags.quiet === true);
  const results = run.results!;
  const ran = run.run.outcomes.filter((o) => !o.reused).length;
  const head = `berth bench-ci · ${sweep.name} · ${results.cells.length} cells (${ran} run, ${results.cells.length - ran} reused from ${out}) · threshold ${num(100 * threshold)} %`;

  let comparison: BenchComparison | undefined;
  let note = '';
  if (baseline) {
    try {
      comparison = compareWithBaseline(results, baseline, threshold, baselineFile);
    } catch (err) {
      if (!(update && err instanceof InputError)) throw err;
      note = `the old baseline was of another sweep; not compared (${err.problem.split(':')[0]})`;
      baseline = undefined;
    }
  }
  if (update) {
    await mkdir(dirname(baselineFile), { recursive: true });
    const temp = `${baselineFile}.partial-${process.pid}`;
    await writeFile(temp, resultsJson(results));
    await rename(temp, baselineFile);
  }
  const lines = [head];
  if (comparison) lines.push(`baseline  ${baselineFile} (${JSON.stringify(baseline!.sweep.name)}, berth ${baseline!.sweep.code})`, '', formatComparison(comparison));
  if (note) lines.push(note);
  if (update) lines.push(`baseline ${baseline ? 'updated' : 'written'}: ${baselineFile}`);
  process.stdout.write(lines.join('\n') + '\n');
  return comparison && !update && regressions(comparison).length > 0 ? 1 : 0;
}

/** "5%", "5" or "0.5 %": a percentage, returned as a share. */
export function thresholdFlag(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_THRESHOLD;
  const m = /^\s*(\d+\.?\d*|\.\d+)\s*%?\s*$/.exec(raw);
  if (!m) throw new UsageError(`--threshold expects a percentage such as 5% or 0.5%; got ${JSON.stringify(raw)}`);
  return Number(m[1]) / 100;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError({ file }, `not valid JSON: ${(err as Error).message}`);
  }
}

const relativeText = (c: Change): string => (Number.isFinite(c.relative) ? `${c.relative > 0 ? '+' : '−'}${num(Math.abs(100 * c.relative))} %` : 'from 0');

/** The verdict, then a table of the changes beyond the threshold, and a count of the smaller ones. */
export function formatComparison(c: BenchComparison): string {
  const bad = regressions(c);
  const beyond = c.changes.filter((x) => x.beyond);
  const within = c.changes.length - beyond.length;
  const lines: string[] = [];
  if (beyond.length > 0) {
    const rows = [['', 'metric', 'scheduler', 'cluster', 'workload', 'load', 'baseline', 'now', 'change']];
    for (const x of beyond) {
      rows.push([
        x.kind === 'regression' ? 'REGRESSION' : x.kind === 'improvement' ? 'improvement' : 'changed', x.metric, x.scheduler, x.cluster, x.workload,
        x.load === null ? 'trace' : String(x.load), num(x.baseline), num(x.current), relativeText(x),
      ]);
    }
    const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
    lines.push(...rows.map((r) => r.map((v, j) => (j >= 6 ? v.padStart(widths[j]!) : v.padEnd(widths[j]!))).join('  ').trimEnd()), '');
  }
  const improvements = beyond.filter((x) => x.kind === 'improvement').length;
  lines.push(
    `${bad.length} regression${bad.length === 1 ? '' : 's'} and ${improvements} improvement${improvements === 1 ? '' : 's'} beyond ${num(100 * c.threshold)} %` +
      `${within > 0 ? `; ${within} smaller change${within === 1 ? '' : 's'}` : ''}; means over seeds per scheduler, cluster, workload and load`,
    `placements differ from the baseline's in ${c.digestsChanged} of ${c.cells} cells (digests)`,
  );
  if (c.notInBaseline.length > 0) lines.push(`not in the baseline, not compared: ${c.notInBaseline.join(', ')}`);
  lines.push(bad.length > 0 ? 'FAIL: a policy metric got worse beyond the threshold' : 'ok: no regression beyond the threshold');
  return lines.join('\n');
}
