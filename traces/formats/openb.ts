// Alibaba's GPU cluster trace 2023 ("openb", the FGD paper): a pod list and a node list, CSV with
// headers.
//
// A pod is a task asking for its milli-CPUs and MiB, and for GPUs: num_gpu whole GPUs, or, when
// it shares one (num_gpu 1, gpu_milli below 1000), that share of a GPU. gpu_spec, the GPU models
// a pod accepts (`V100M16|V100M32`), becomes a constraint on the node label `gpu-model`. It
// arrives at creation_time and runs from its scheduling to its deletion (a pod the trace never
// scheduled, from its creation). The pod list does not say which node ran a pod, so
// `--replay trace` cannot replay it.
//
// Limit: a GPU is a quantity per node here, so a shared pod may take halves of two GPUs.

import type { NodeSpec } from '../../sim/cluster-file.ts';
import { InputError } from '../../sim/errors.ts';
import { MILLI_PER_GPU, secondsToMicros } from '../../sim/units.ts';
import { mergeByTime } from '../merge.ts';
import { timeOf, type TaskRecord, type TraceRecord } from '../record.ts';
import { sortByTime } from '../sort.ts';
import {
  RowError, csvRows, guarded, leaveOut, newStats, number, optionalNumber, type OpenedTrace, type ReadOptions, type ReadStats, type Row,
} from './common.ts';

export const OPENB_NO_PLACEMENT = 'openb pod lists do not say which node ran a pod';

const POD_COLUMNS = ['name', 'cpu_milli', 'memory_mib', 'num_gpu', 'gpu_milli', 'gpu_spec', 'creation_time', 'deletion_time', 'scheduled_time'] as const;
const NODE_COLUMNS = ['sn', 'cpu_milli', 'memory_mib', 'gpu', 'model'] as const;

export function openOpenb(files: readonly string[], options: ReadOptions): OpenedTrace {
  const stats = newStats();
  return { source: sortByTime(mergeByTime(files.map((f) => pods(f, options, stats)), timeOf)), stats };
}

async function* pods(path: string, options: ReadOptions, stats: ReadStats): AsyncGenerator<TraceRecord[]> {
  let at: Record<(typeof POD_COLUMNS)[number], number> | undefined;
  for await (const rows of csvRows(path, stats)) {
    const batch: TraceRecord[] = [];
    for (const row of rows) {
      if (!at) {
        at = header(row, POD_COLUMNS, path);
        continue;
      }
      const cols = at;
      const pod = guarded(stats, options, path, row.line, () => readPod(row, cols, stats));
      if (pod) batch.push(pod);
    }
    yield batch;
  }
}

function readPod(row: Row, at: Record<(typeof POD_COLUMNS)[number], number>, stats: ReadStats): TaskRecord | undefined {
  const get = (c: (typeof POD_COLUMNS)[number]) => row.fields[at[c]];
  const seconds = (c: 'creation_time' | 'deletion_time') => {
    const v = number(get(c), `column "${c}"`, 'seconds');
    if (v < 0) throw new RowError(`column "${c}"`, `expected seconds >= 0; got ${get(c)}`);
    return v;
  };
  const created = seconds('creation_time');
  const deleted = seconds('deletion_time');
  const scheduled = optionalNumber(get('scheduled_time'), 'column "scheduled_time"', 'seconds');
  const from = scheduled ?? created;
  if (deleted < from) {
    leaveOut(stats, 'deleted before it was scheduled');
    return undefined;
  }
  const amount = (c: 'cpu_milli' | 'memory_mib' | 'num_gpu' | 'gpu_milli') => {
    const v = number(get(c), `column "${c}"`, 'a number >= 0');
    if (v < 0) throw new RowError(`column "${c}"`, `expected a number >= 0; got ${get(c)}`);
    return v;
  };
  const gpus = amount('num_gpu');
  const share = amount('gpu_milli');
  const spec = (get('gpu_spec') ?? '').trim();
  const models = spec === '' ? [] : spec.split('|').map((m) => m.trim()).filter(Boolean);
  return {
    kind: 'task',
    id: get('name')!,
    submit: secondsToMicros(created),
    duration: secondsToMicros(deleted - from),
    cpu: Math.round(amount('cpu_milli')),
    memory: Math.round(amount('memory_mib')),
    gpu: gpus === 1 && share > 0 && share < MILLI_PER_GPU ? Math.round(share) : Math.round(gpus * MILLI_PER_GPU),
    priority: 0,
    ...(models.length > 0 && { constraints: [{ label: 'gpu-model', op: 'in' as const, value: models[0]!, values: models }] }),
  };
}

/** The node list as cluster nodes, labelled with their GPU model. */
export async function loadOpenbNodes(path: string): Promise<{ nodes: NodeSpec[]; sha256: string }> {
  const stats = newStats();
  const nodes: NodeSpec[] = [];
  let at: Record<(typeof NODE_COLUMNS)[number], number> | undefined;
  for await (const rows of csvRows(path, stats)) {
    for (const row of rows) {
      if (!at) {
        at = header(row, NODE_COLUMNS, path);
        continue;
      }
      const cols = at;
      const node = guarded(stats, { replay: 'reschedule', skipBadRows: false }, path, row.line, () => {
        const f = (c: (typeof NODE_COLUMNS)[number]) => row.fields[cols[c]];
        const amount = (c: 'cpu_milli' | 'memory_mib' | 'gpu') => {
          const v = number(f(c), `column "${c}"`, 'a number >= 0');
          if (v < 0) throw new RowError(`column "${c}"`, `expected a number >= 0; got ${f(c)}`);
          return v;
        };
        const model = (f('model') ?? '').trim();
        return {
          name: f('sn')!, cpu: Math.round(amount('cpu_milli')), memory: Math.round(amount('memory_mib')),
          gpu: Math.round(amount('gpu') * MILLI_PER_GPU), labels: model ? { 'gpu-model': model } : {},
        };
      });
      if (node) nodes.push(node);
    }
  }
  if (nodes.length === 0) throw new InputError({ file: path }, 'the node list has no nodes');
  return { nodes, sha256: stats.files[0]!.sha256 };
}

function header<C extends string>(row: Row, columns: readonly C[], path: string): Record<C, number> {
  const index = new Map(row.fields.map((name, i) => [name.trim(), i]));
  const missing = columns.filter((c) => !index.has(c));
  if (missing.length > 0) {
    throw new InputError({ file: path, line: row.line }, `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; the header has ${row.fields.join(', ')}`);
  }
  return Object.fromEntries(columns.map((c) => [c, index.get(c)!])) as Record<C, number>;
}
