// `berth sim`: one run, a readable summary, and with --out the files of the design.

import { QUEUE_DISCIPLINES, REPLAY_MODES, VICTIM_FATES, type Explanation } from '../sim/simulation.ts';
import { parseFailureSpec, type FailureSpec } from '../sim/failures.ts';
import { CLUSTER_FORMATS, TRACE_FORMATS } from '../traces/formats/index.ts';
import { runSimulation, type ClusterSpec, type RunSpec, type WorkloadSpec } from '../sim/run.ts';
import { DEFAULT_WORKLOAD, WORKLOADS, workloadPreset } from '../traces/synthetic/presets.ts';
import { builtinSchedulers } from '../schedulers/registry.ts';
import type { SchedulerOptions } from '../schedulers/contract.ts';
import { UsageError, choiceFlag, exclusive, numberFlag, parseFlags, stringFlag, type Flags } from './args.ts';
import { formatSummary } from './format.ts';
import { progressLine } from './progress.ts';

export const SIM_HELP = `usage: berth sim [--cluster FILE… [--cluster-format F] | --nodes N]
                 [--trace FILE… --format F [--replay reschedule|trace] [--skip-bad-rows] | --workload NAME [--tasks N] [--load L]]
                 [--scheduler NAME|./policy.ts [--scheduler-option K=V…]] [--seed N] [--queue greedy|strict-fifo]
                 [--preempt requeue|fail] [--failures SPEC] [--services FILE]
                 [--scale-cpu CORES] [--scale-memory GIB] [--out DIR] [--reasons] [--json] [--quiet]

Runs one simulation and prints a summary. With no arguments it runs the embedded default:
the '${DEFAULT_WORKLOAD}' workload on its own cell of ${workloadPreset(DEFAULT_WORKLOAD).defaultNodes} nodes.

  --cluster FILE       the machines: a cluster file, or a trace's machine table (repeat, or give
                       a folder or a glob, for several files); without it, the workload preset's
                       own cell, or the machines an SWF log's header describes
  --cluster-format F   ${CLUSTER_FORMATS.join(', ')} (default berth)
  --nodes N            size of the preset's cell (default: the preset's)
  --trace FILE         a trace: files, folders or globs (part-*.csv.gz), gzipped or not
  --format F           ${TRACE_FORMATS.join(', ')} (default berth)
  --replay MODE        reschedule (default: the scheduler places every task) or trace (tasks run
                       where and when the trace says: its own placement, as a baseline)
  --skip-bad-rows      pass over malformed rows, counting them, instead of stopping
  --scale-cpu CORES    what 1.0 (Google) is worth in cores
  --scale-memory GIB   what 1.0 (Google), or 100 (Alibaba), of memory is worth in GiB
  --workload NAME      synthetic workload: ${[...WORKLOADS.keys()].join(', ')} (default ${DEFAULT_WORKLOAD})
  --tasks N            tasks to generate
  --load L             offered load as a fraction of the cluster's capacity
  --scheduler S        ${builtinSchedulers().map((s) => s.name).join(', ')}, or a module path (default first-fit)
  --scheduler-option K=V  an option of the scheduler (repeat for several), e.g. jobType=batch for nomad-*
  --seed N             run seed (default 1)
  --queue Q            greedy (default: go on past a task that fits nowhere) or strict-fifo
  --failures SPEC      inject machine failures from seeded streams: mtbf=30d,mttr=2h per node, and/or
                       zone-mtbf=90d,zone-mttr=4h[,zone-label=zone] for whole zones at once
  --services FILE      run the services of an app file (berth deploy's) as long-lived replicas that
                       are placed again when a failure evicts them
  --preempt FATE       a task no node has room for may evict lower-priority tasks (as Kubernetes'
                       DefaultPreemption picks them); the victims requeue or fail
  --out DIR            write summary.json, placements.csv, timeseries.csv and samples.csv there
  --reasons            count why tasks wait (by reason) in the summary; slower when many wait
  --explain TASK       every node's verdict for each decision about TASK (trace ids, comma-separated):
                       rejected and why, or its scores; 'all' explains every decision into
                       DIR/explain.jsonl (needs --out). Placements do not change.
  --json               print summary.json to stdout instead of the text summary
  --quiet              no progress display`;

/** The options berth sim and berth compare share: the cluster, the workload, the queue, scheduler options. */
export const INPUT_OPTIONS = {
  cluster: { type: 'string', multiple: true },
  'cluster-format': { type: 'string' },
  nodes: { type: 'string' },
  trace: { type: 'string', multiple: true },
  format: { type: 'string' },
  replay: { type: 'string' },
  'skip-bad-rows': { type: 'boolean' },
  'scale-cpu': { type: 'string' },
  'scale-memory': { type: 'string' },
  workload: { type: 'string' },
  tasks: { type: 'string' },
  load: { type: 'string' },
  queue: { type: 'string' },
  preempt: { type: 'string' },
  failures: { type: 'string' },
  services: { type: 'string' },
  'scheduler-option': { type: 'string', multiple: true },
} as const;

const OPTIONS = {
  ...INPUT_OPTIONS,
  scheduler: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  reasons: { type: 'boolean' },
  explain: { type: 'string' },
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
  const explainFlag = stringFlag(flags, 'explain');
  if (explainFlag === 'all' && out === undefined) throw new UsageError('--explain all writes explain.jsonl: give --out DIR');
  const explanations: Explanation[] = [];
  const explain = explainFlag === undefined ? undefined : explainFlag === 'all'
    ? { tasks: 'all' as const }
    : { tasks: explainFlag.split(',').map((t) => t.trim()).filter(Boolean), onExplain: (e: Explanation) => explanations.push(e) };
  let summary;
  try {
    summary = await runSimulation(spec, {
      ...(out !== undefined && { out }), onProgress: progress.update, reasons: flags.reasons === true, ...(explain && { explain }),
    });
  } finally {
    progress.done();
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    return;
  }
  process.stdout.write(formatSummary(summary) + '\n');
  if (explain && explain.tasks !== 'all') process.stdout.write('\n' + formatExplanations(explain.tasks, explanations) + '\n');
  if (out !== undefined) {
    process.stdout.write(`\nwrote ${out}/summary.json, ${out}/placements.csv, ${out}/timeseries.csv, ${out}/samples.csv` +
      `${explain ? `, ${out}/explain.jsonl` : ''}\n`);
  }
}

/** The run the flags ask for, with defaults applied. */
export function simSpec(flags: Flags): RunSpec {
  exclusive(flags, 'trace', 'workload');
  exclusive(flags, 'cluster', 'nodes');
  const traces = listFlag(flags, 'trace');
  const clusters = listFlag(flags, 'cluster');
  for (const f of ['tasks', 'load'] as const) {
    if (traces && flags[f] !== undefined) throw new UsageError(`--${f} goes with --workload, not with --trace`);
  }
  for (const f of ['format', 'replay', 'skip-bad-rows'] as const) {
    if (!traces && flags[f] !== undefined) throw new UsageError(`--${f} goes with --trace`);
  }
  if (!clusters && flags['cluster-format'] !== undefined) throw new UsageError('--cluster-format goes with --cluster');

  const presetName = stringFlag(flags, 'workload') ?? DEFAULT_WORKLOAD;
  const preset = workloadPreset(presetName);
  const format = choiceFlag(flags, 'format', TRACE_FORMATS) ?? 'berth';
  const workload: WorkloadSpec = traces
    ? { files: traces, format, ...(flags['skip-bad-rows'] === true && { skipBadRows: true }) }
    : {
      preset: presetName,
      tasks: numberFlag(flags, 'tasks', { integer: true, min: 1, max: 1e10 }) ?? preset.defaultTasks,
      load: numberFlag(flags, 'load', { min: 0, exclusiveMin: true, max: 100 }) ?? preset.defaultLoad,
    };
  let cluster: ClusterSpec;
  if (clusters) cluster = { files: clusters, format: choiceFlag(flags, 'cluster-format', CLUSTER_FORMATS) ?? 'berth' };
  else if (!traces) cluster = { preset: presetName, nodes: numberFlag(flags, 'nodes', { integer: true, min: 1, max: 1e7 }) ?? preset.defaultNodes };
  else if (format === 'swf') cluster = { fromTrace: true };
  else throw new UsageError(`--trace needs --cluster: a ${format} trace does not describe the machines it ran on (only SWF logs do)`);
  const scaleCpu = numberFlag(flags, 'scale-cpu', { min: 0, exclusiveMin: true, max: 1e6 });
  const scaleMemory = numberFlag(flags, 'scale-memory', { min: 0, exclusiveMin: true, max: 1e9 });
  const schedulerOptions = schedulerOptionsFlag(flags);
  const preempt = choiceFlag(flags, 'preempt', VICTIM_FATES);
  const services = stringFlag(flags, 'services');
  const failuresText = stringFlag(flags, 'failures');
  let failures: FailureSpec | undefined;
  try {
    failures = failuresText === undefined ? undefined : parseFailureSpec(failuresText);
  } catch (err) {
    throw new UsageError(`--failures: ${(err as Error).message}`);
  }
  return {
    cluster,
    workload,
    scheduler: stringFlag(flags, 'scheduler') ?? 'first-fit',
    seed: numberFlag(flags, 'seed', { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 1,
    queue: choiceFlag(flags, 'queue', QUEUE_DISCIPLINES) ?? 'greedy',
    replay: choiceFlag(flags, 'replay', REPLAY_MODES) ?? 'reschedule',
    ...(preempt !== undefined && { preempt }),
    ...(failures !== undefined && { failures }),
    ...(services !== undefined && { services }),
    ...(scaleCpu !== undefined && { scaleCpu }),
    ...(scaleMemory !== undefined && { scaleMemory }),
    ...(schedulerOptions && { schedulerOptions }),
  };
}

/** `--scheduler-option KEY=VALUE`, repeated: numbers and true/false are read as such. */
function schedulerOptionsFlag(flags: Flags): SchedulerOptions | undefined {
  const given = flags['scheduler-option'] as string[] | undefined;
  if (given === undefined || given.length === 0) return undefined;
  const options: Record<string, string | number | boolean> = {};
  for (const item of given) {
    const m = /^([A-Za-z][\w-]*)=(.*)$/.exec(item);
    if (!m) throw new UsageError(`--scheduler-option expects KEY=VALUE, such as jobType=batch; got ${JSON.stringify(item)}`);
    const [, key, raw] = m as unknown as [string, string, string];
    options[key] = raw === 'true' ? true : raw === 'false' ? false : raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return options;
}

function listFlag(flags: Flags, name: string): string[] | undefined {
  const v = flags[name] as unknown;
  if (v === undefined) return undefined;
  const list = (Array.isArray(v) ? v : [v]).flatMap((x: string) => x.split(',')).filter(Boolean);
  return list.length > 0 ? list : undefined;
}

/**
 * The decisions about the asked tasks, each with its nodes: how many were rejected for each
 * reason, and the best-scored feasible ones (explain.jsonl, with --out, has every node).
 */
export function formatExplanations(tasks: readonly string[], explanations: readonly Explanation[], top = 5): string {
  const lines: string[] = [];
  for (const name of tasks) {
    const mine = explanations.filter((e) => e.task === name);
    if (mine.length === 0) {
      lines.push(`explain   ${name}: no decision was made about it (not in the workload, or never offered to the scheduler)`);
      continue;
    }
    for (const e of mine) {
      const d = e.decision;
      const what = d.kind === 'wait' ? `waits (${d.reason})` : `${d.kind === 'place' ? 'placed on' : 'preempts on'} ${d.node}` +
        (d.victims ? `, evicting ${d.victims.join(', ')}` : '');
      lines.push(`explain   ${name} at ${e.time} s: ${what}`);
      const rejected = new Map<string, number>();
      const feasible: { node: string; total: number | undefined; scores: Readonly<Record<string, number>> }[] = [];
      for (const n of e.nodes) {
        if ('rejected' in n) rejected.set(n.rejected, (rejected.get(n.rejected) ?? 0) + 1);
        else feasible.push({ node: n.node, total: n.total, scores: n.scores });
      }
      const byReason = [...rejected].map(([r, k]) => `${r} ${k}`).join(' · ');
      lines.push(`          ${e.nodes.length} nodes: ${feasible.length} feasible${byReason ? ` · rejected: ${byReason}` : ''}`);
      const ranked = feasible.filter((f) => f.total !== undefined).sort((a, b) => b.total! - a.total!).slice(0, top);
      for (const f of ranked) {
        const parts = Object.entries(f.scores).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(' · ');
        lines.push(`          ${f.node.padEnd(24)} ${f.total!.toFixed(2).padStart(7)}   ${parts}`);
      }
    }
  }
  return lines.join('\n');
}
