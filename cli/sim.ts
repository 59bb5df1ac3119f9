// `berth sim`: one run, a readable summary, and with --out the files of the design.

import { QUEUE_DISCIPLINES } from '../sim/simulation.ts';
import { runSimulation, type ClusterSpec, type RunSpec, type WorkloadSpec } from '../sim/run.ts';
import { DEFAULT_WORKLOAD, WORKLOADS, workloadPreset } from '../traces/synthetic/presets.ts';
import { builtinSchedulers } from '../schedulers/registry.ts';
import { UsageError, choiceFlag, exclusive, numberFlag, parseFlags, stringFlag, type Flags } from './args.ts';
import { formatSummary } from './format.ts';
import { progressLine } from './progress.ts';

export const SIM_HELP = `usage: berth sim [--cluster FILE | --nodes N]
                 [--trace FILE [--format berth] | --workload NAME [--tasks N] [--load L]]
                 [--scheduler NAME|./policy.ts] [--seed N] [--queue greedy|strict-fifo]
                 [--out DIR] [--reasons] [--json] [--quiet]

Runs one simulation and prints a summary. With no arguments it runs the embedded default:
the '${DEFAULT_WORKLOAD}' workload on its own cell of ${workloadPreset(DEFAULT_WORKLOAD).defaultNodes} nodes.

  --cluster FILE     cluster file (YAML or JSON); without it, the workload preset's own cell
  --nodes N          size of that cell (default: the preset's)
  --trace FILE       native trace, CSV or JSON Lines, optionally gzipped
  --format F         trace format (berth)
  --workload NAME    synthetic workload: ${[...WORKLOADS.keys()].join(', ')} (default ${DEFAULT_WORKLOAD})
  --tasks N          tasks to generate
  --load L           offered load as a fraction of the cluster's capacity
  --scheduler S      ${builtinSchedulers().map((s) => s.name).join(', ')}, or a module path (default first-fit)
  --seed N           run seed (default 1)
  --queue Q          greedy (default: go on past a task that fits nowhere) or strict-fifo
  --out DIR          write summary.json, placements.csv and timeseries.csv there
  --reasons          count why tasks wait (by reason) in the summary; slower when many wait
  --json             print summary.json to stdout instead of the text summary
  --quiet            no progress display`;

const OPTIONS = {
  cluster: { type: 'string' },
  nodes: { type: 'string' },
  trace: { type: 'string' },
  format: { type: 'string' },
  workload: { type: 'string' },
  tasks: { type: 'string' },
  load: { type: 'string' },
  scheduler: { type: 'string' },
  seed: { type: 'string' },
  queue: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  reasons: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function simCommand(args: string[]): Promise<void> {
  const { flags } = parseFlags(args, OPTIONS);
  if (flags.help) {
    process.stdout.write(SIM_HELP + '\n');
    return;
  }
  const spec = simSpec(flags);
  const progress = progressLine('berth sim', flags.quiet === true || flags.json === true);
  const out = stringFlag(flags, 'out');
  let summary;
  try {
    summary = await runSimulation(spec, { ...(out !== undefined && { out }), onProgress: progress.update, reasons: flags.reasons === true });
  } finally {
    progress.done();
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    return;
  }
  process.stdout.write(formatSummary(summary) + '\n');
  if (out !== undefined) process.stdout.write(`\nwrote ${out}/summary.json, ${out}/placements.csv, ${out}/timeseries.csv\n`);
}

/** The run the flags ask for, with defaults applied. */
export function simSpec(flags: Flags): RunSpec {
  exclusive(flags, 'trace', 'workload');
  exclusive(flags, 'cluster', 'nodes');
  const trace = stringFlag(flags, 'trace');
  for (const f of ['tasks', 'load'] as const) {
    if (trace !== undefined && flags[f] !== undefined) throw new UsageError(`--${f} goes with --workload, not with --trace`);
  }
  if (trace === undefined && flags.format !== undefined) throw new UsageError('--format goes with --trace');
  const file = stringFlag(flags, 'cluster');
  if (trace !== undefined && file === undefined) throw new UsageError('--trace needs --cluster FILE: a trace does not say which nodes it ran on');

  let workload: WorkloadSpec;
  const presetName = stringFlag(flags, 'workload') ?? DEFAULT_WORKLOAD;
  const preset = workloadPreset(presetName);
  if (trace !== undefined) {
    workload = { trace, format: choiceFlag(flags, 'format', ['berth'] as const) ?? 'berth' };
  } else {
    workload = {
      preset: presetName,
      tasks: numberFlag(flags, 'tasks', { integer: true, min: 1, max: 1e10 }) ?? preset.defaultTasks,
      load: numberFlag(flags, 'load', { min: 0, exclusiveMin: true, max: 100 }) ?? preset.defaultLoad,
    };
  }
  const cluster: ClusterSpec = file !== undefined
    ? { file }
    : { preset: presetName, nodes: numberFlag(flags, 'nodes', { integer: true, min: 1, max: 1e7 }) ?? preset.defaultNodes };
  return {
    cluster,
    workload,
    scheduler: stringFlag(flags, 'scheduler') ?? 'first-fit',
    seed: numberFlag(flags, 'seed', { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 1,
    queue: choiceFlag(flags, 'queue', QUEUE_DISCIPLINES) ?? 'greedy',
  };
}
