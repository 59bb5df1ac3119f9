// `berth trace generate` and `berth cluster generate`: write what the synthetic presets make,
// as files of the native formats, to inspect, edit or feed to other tools (the SimPy peer).

import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { expandGroups, loadClusterFile } from '../sim/cluster-file.ts';
import { ensureDir } from '../sim/outputs.ts';
import { dirname } from 'node:path';
import { ALL_COLUMNS, DEFAULT_COLUMNS, writeNativeCsv } from '../traces/native.ts';
import type { Column } from '../traces/fields.ts';
import { DEFAULT_WORKLOAD, WORKLOADS, workloadPreset } from '../traces/synthetic/presets.ts';
import { UsageError, exclusive, numberFlag, parseFlags, stringFlag } from './args.ts';
import { compact, thousands } from './format.ts';
import { statusLine } from './progress.ts';

export const TRACE_GENERATE_HELP = `usage: berth trace generate --out FILE.csv [--workload NAME] [--tasks N] [--load L]
                           [--cluster FILE | --nodes N] [--seed N] [--columns LIST] [--quiet]

Writes a synthetic workload as a native CSV trace: exactly the tasks \`berth sim --workload\`
would generate with the same options and seed.

  --workload NAME  ${[...WORKLOADS.keys()].join(', ')} (default ${DEFAULT_WORKLOAD})
  --columns LIST   columns to write (default ${DEFAULT_COLUMNS.join(',')}; also group,constraints,
                   tolerations,affinity,antiAffinity,spread); id,submit,duration,cpu,memory at least
  --quiet          no progress display (there is none either when stderr is not a terminal)`;

export const CLUSTER_GENERATE_HELP = `usage: berth cluster generate [--workload NAME] [--nodes N] [--out FILE.yaml]

Writes the cell a workload preset uses when no cluster file is given (to stdout without --out).`;

export async function traceGenerate(args: string[]): Promise<void> {
  const { flags } = parseFlags(args, {
    out: { type: 'string' }, workload: { type: 'string' }, tasks: { type: 'string' }, load: { type: 'string' },
    cluster: { type: 'string' }, nodes: { type: 'string' }, seed: { type: 'string' }, columns: { type: 'string' },
    quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) return void process.stdout.write(TRACE_GENERATE_HELP + '\n');
  exclusive(flags, 'cluster', 'nodes');
  const out = stringFlag(flags, 'out');
  if (out === undefined) throw new UsageError('--out FILE.csv is required');
  const name = stringFlag(flags, 'workload') ?? DEFAULT_WORKLOAD;
  const preset = workloadPreset(name);
  const clusterFile = stringFlag(flags, 'cluster');
  const nodes = clusterFile !== undefined
    ? (await loadClusterFile(clusterFile)).nodes
    : expandGroups(preset.cell(numberFlag(flags, 'nodes', { integer: true, min: 1, max: 1e7 }) ?? preset.defaultNodes));
  const columns = parseColumns(stringFlag(flags, 'columns'));
  const tasks = numberFlag(flags, 'tasks', { integer: true, min: 1, max: 1e10 }) ?? preset.defaultTasks;
  const records = preset.generate({
    tasks,
    load: numberFlag(flags, 'load', { min: 0, exclusiveMin: true, max: 100 }) ?? preset.defaultLoad,
    seed: numberFlag(flags, 'seed', { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 1,
    nodes,
  });
  await ensureDir(dirname(out));
  const status = statusLine(flags.quiet === true);
  let rows: number;
  try {
    rows = await writeNativeCsv(records, out, columns, (written) =>
      status.show(() => `berth trace generate · ${Math.floor((100 * written) / tasks)}% · ${compact(written)}/${compact(tasks)} tasks written to ${out}`));
  } finally {
    status.done();
  }
  process.stdout.write(`wrote ${thousands(rows)} tasks to ${out}\n`);
}

export function parseColumns(list: string | undefined): readonly Column[] {
  if (list === undefined) return DEFAULT_COLUMNS;
  const columns = list.split(',').map((c) => c.trim()).filter(Boolean);
  for (const c of columns) {
    if (!(ALL_COLUMNS as readonly string[]).includes(c)) throw new UsageError(`--columns: unknown column ${JSON.stringify(c)}; expected some of ${ALL_COLUMNS.join(',')}`);
  }
  return columns as Column[];
}

export async function clusterGenerate(args: string[]): Promise<void> {
  const { flags } = parseFlags(args, {
    out: { type: 'string' }, workload: { type: 'string' }, nodes: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) return void process.stdout.write(CLUSTER_GENERATE_HELP + '\n');
  const name = stringFlag(flags, 'workload') ?? DEFAULT_WORKLOAD;
  const preset = workloadPreset(name);
  const nodes = numberFlag(flags, 'nodes', { integer: true, min: 1, max: 1e7 }) ?? preset.defaultNodes;
  const groups = preset.cell(nodes);
  const text = `# The '${name}' cell of ${nodes} nodes, as \`berth cluster generate\` wrote it.\n` +
    '# cpu in cores, memory in GiB, gpu in devices.\n' + stringify({ nodes: groups });
  const out = stringFlag(flags, 'out');
  if (out === undefined) return void process.stdout.write(text);
  await ensureDir(dirname(out));
  await writeFile(out, text);
  process.stdout.write(`wrote ${thousands(nodes)} nodes in ${groups.length} groups to ${out}\n`);
}
