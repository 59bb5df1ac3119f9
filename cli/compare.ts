// `berth compare`: every scheduler on the same inputs for each seed, in worker threads; a table
// of means, 95 % intervals and paired differences to the first policy; with --out, the results,
// tidy CSVs and report.html.

import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runComparison } from '../sim/compare.ts';
import { buildReport } from '../sim/report/html.ts';
import { resultsJson, runsCsv, samplesCsv, seriesCsv, waitByPriorityCsv, waitCdfCsv } from '../sim/report/files.ts';
import { comparisonTable, type ComparisonResults } from '../sim/report/results.ts';
import { differenceText, estimateText, measureTitle } from '../sim/report/text.ts';
import { InputError } from '../sim/errors.ts';
import { createScheduler } from '../schedulers/registry.ts';
import { DEFAULT_WORKLOAD, workloadPreset } from '../traces/synthetic/presets.ts';
import { UsageError, exclusive, numberFlag, parseFlags, stringFlag, type Flags } from './args.ts';
import { duration, thousands } from './format.ts';
import { statusLine } from './progress.ts';
import { INPUT_OPTIONS, simSpec } from './sim.ts';

export const DEFAULT_SCHEDULERS = ['binpack', 'spread', 'first-fit'];
export const DEFAULT_SEEDS = 3;

export const COMPARE_HELP = `usage: berth compare [--cluster FILE… [--cluster-format F] | --nodes N]
                     [--trace FILE… --format F | --workload NAME [--tasks N] [--load L]]
                     [--schedulers A,B,…] [--seeds N | --seed-list S,S,…] [--queue Q]
                     [--out DIR] [--threads N] [--json] [--quiet]

Runs every scheduler on the same inputs for each seed, in parallel worker threads, and prints
for each policy each measure's mean over seeds with its 95 % confidence interval, and the paired
difference to the first policy named. With no arguments: ${DEFAULT_SCHEDULERS.join(', ')} on the embedded
default ('${DEFAULT_WORKLOAD}' workload, ${workloadPreset(DEFAULT_WORKLOAD).defaultTasks.toLocaleString('en-US')} tasks on ${workloadPreset(DEFAULT_WORKLOAD).defaultNodes.toLocaleString('en-US')} nodes), ${DEFAULT_SEEDS} seeds.

  --schedulers LIST    policies to compare, built-in names or module paths; the first is the
                       baseline (default ${DEFAULT_SCHEDULERS.join(',')})
  --seeds N            seeds 1…N (default ${DEFAULT_SEEDS}); a seed changes a synthetic workload and the
                       schedulers' random streams (for a trace, only the streams)
  --seed-list LIST     these seeds instead, e.g. 7,8,9
  --out DIR            write results.json, tidy CSVs of the time series, report.html, and
                       each run's files under DIR/runs/
  --threads N          worker threads (default: one per core)
  --json               print results.json instead of the table
  --quiet              no progress display
  cluster, workload, --queue, --replay, --scale-*: as in 'berth sim --help'`;

const OPTIONS = {
  ...INPUT_OPTIONS,
  schedulers: { type: 'string', multiple: true },
  seeds: { type: 'string' },
  'seed-list': { type: 'string' },
  out: { type: 'string' },
  threads: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function compareCommand(args: string[]): Promise<void> {
  const { flags } = parseFlags(args, OPTIONS);
  if (flags.help) return void process.stdout.write(COMPARE_HELP + '\n');
  const schedulers = schedulersFlag(flags);
  const seeds = seedsFlag(flags);
  const threads = numberFlag(flags, 'threads', { integer: true, min: 1, max: 1024 });
  const out = stringFlag(flags, 'out');
  const { scheduler: _s, seed: _n, ...base } = simSpec(flags);
  // Fail here, with the file or name, rather than in a worker thread.
  for (const s of schedulers) await createScheduler(s, base.schedulerOptions ?? {});

  const started = performance.now();
  const line = statusLine(flags.quiet === true || flags.json === true);
  const total = schedulers.length * seeds.length;
  let done = 0;
  const status = () => `berth compare · ${done}/${total} runs done · ${duration((performance.now() - started) / 1000)} elapsed`;
  const timer = setInterval(() => line.show(status), 500);
  timer.unref();
  line.show(status);
  let results: ComparisonResults;
  try {
    results = await runComparison(
      { base, schedulers, seeds, command: commandLine(args) },
      {
        ...(out !== undefined && { out }), ...(threads !== undefined && { threads }),
        onRunDone: (n) => { done = n; line.show(status); },
      },
    );
    if (out !== undefined) {
      line.show(() => 'berth compare · writing the report…');
      await writeOutputs(out, results);
    }
  } finally {
    clearInterval(timer);
    line.done();
  }
  if (flags.json) return void process.stdout.write(resultsJson(results));
  process.stdout.write(formatComparison(results) + '\n');
  if (out !== undefined) {
    process.stdout.write(`\nreport    ${join(out, 'report.html')}\n` +
      `data      ${join(out, 'results.json')}, runs.csv, timeseries.csv, samples.csv, wait-cdf.csv, wait-by-priority.csv; each run's files in ${join(out, 'runs')}/\n`);
  }
}

function schedulersFlag(flags: Flags): string[] {
  const raw = flags.schedulers as string[] | undefined;
  const list = raw === undefined ? DEFAULT_SCHEDULERS : raw.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
  if (list.length === 0) throw new UsageError('--schedulers expects a comma-separated list of policies, e.g. binpack,spread');
  const twice = list.find((s, i) => list.indexOf(s) !== i);
  if (twice !== undefined) throw new UsageError(`--schedulers names ${JSON.stringify(twice)} twice`);
  return list;
}

function seedsFlag(flags: Flags): number[] {
  exclusive(flags, 'seeds', 'seed-list');
  const list = stringFlag(flags, 'seed-list');
  if (list !== undefined) {
    const seeds = list.split(',').map((x) => x.trim()).filter(Boolean).map((x) => {
      if (!/^\d+$/.test(x) || !Number.isSafeInteger(Number(x))) throw new UsageError(`--seed-list expects whole numbers >= 0 separated by commas; got ${JSON.stringify(x)}`);
      return Number(x);
    });
    if (seeds.length === 0) throw new UsageError('--seed-list expects whole numbers >= 0 separated by commas');
    const twice = seeds.find((s, i) => seeds.indexOf(s) !== i);
    if (twice !== undefined) throw new UsageError(`--seed-list names seed ${twice} twice`);
    return seeds;
  }
  const n = numberFlag(flags, 'seeds', { integer: true, min: 1, max: 10_000 }) ?? DEFAULT_SEEDS;
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** The command as typed, for the report's "how to repeat". */
function commandLine(args: readonly string[]): string {
  return ['berth', 'compare', ...args].map((a) => (/^[\w./:=,@+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

async function writeOutputs(out: string, results: ComparisonResults): Promise<void> {
  try {
    await mkdir(out, { recursive: true });
  } catch (err) {
    throw new InputError({ file: out }, `cannot create the output folder: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const files: [string, string][] = [
    ['results.json', resultsJson(results)],
    ['runs.csv', runsCsv(results)],
    ['timeseries.csv', seriesCsv(results)],
    ['samples.csv', samplesCsv(results)],
    ['wait-cdf.csv', waitCdfCsv(results)],
    ['wait-by-priority.csv', waitByPriorityCsv(results)],
    ['report.html', await buildReport(results)],
  ];
  // Written under temporary names, then renamed: a failure leaves an earlier report whole.
  for (const [name, text] of files) await writeFile(join(out, `${name}.partial`), text);
  for (const [name] of files) await rename(join(out, `${name}.partial`), join(out, name));
}

/** The terminal table: measures down, policies across; each mean ± its interval, and Δ to the first. */
export function formatComparison(results: ComparisonResults): string {
  const table = comparisonTable(results);
  const [first] = results.policies;
  const w = results.inputs.workload, c = results.inputs.cluster;
  const workload = 'preset' in w ? `${w.preset}: ${thousands(w.tasks)} tasks at load ${w.load}` : `${w.files.map((f) => f.path).join(', ')} (${w.format})`;
  const cluster = `${thousands(c.nodes)} nodes${'preset' in c ? ` (preset ${c.preset})` : ''}`;
  const seeds = results.seeds.length;
  const header = [
    `berth compare · ${results.policies.join(', ')} · ${seeds} seed${seeds === 1 ? '' : 's'} (${results.seeds.length <= 6 ? results.seeds.join(', ') : `${results.seeds[0]}…${results.seeds[results.seeds.length - 1]}`}) · ${results.inputs.queue} queue`,
    `cluster   ${cluster}`,
    `workload  ${workload}`,
    `runs      ${results.runs.length} in ${duration(results.wallSeconds)} on ${results.threads} worker thread${results.threads === 1 ? '' : 's'}`,
    '',
  ];
  const columns: string[][] = [['measure', ...table.map((r) => measureTitle(r.measure))]];
  for (const [i, policy] of results.policies.entries()) {
    columns.push([policy, ...table.map((r) => estimateText(r.cells[i]!.estimate))]);
    if (i > 0) columns.push([`Δ vs ${first}`, ...table.map((r) => {
      const d = r.cells[i]!.difference!;
      return `${differenceText(d)}${d.significant ? ' *' : ''}`;
    })]);
  }
  const widths = columns.map((col) => Math.max(...col.map((x) => x.length)));
  const lines = columns[0]!.map((_, row) => columns.map((col, j) => (j === 0 ? col[row]!.padEnd(widths[j]!) : col[row]!.padStart(widths[j]!))).join('   ').trimEnd());
  const note = seeds > 1
    ? `mean ± half-width of the 95 % interval over seeds (Student's t); Δ: paired difference to ${first}, relative to its mean; * the interval excludes 0`
    : `one seed: no interval can be estimated (use --seeds 3 or more); Δ: difference to ${first}, relative to its mean`;
  return [...header, ...lines, '', note].join('\n');
}
