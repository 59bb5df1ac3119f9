// The Standard Workload Format of the Parallel Workloads Archive (v2.2): one job per line, 18
// whitespace-separated numbers, -1 for unknown, `;` header comments (MaxNodes, MaxProcs, …).
//
// A job is a task asking for its processors (requested, else allocated), one core each; memory
// is not replayed (the logs' per-processor figures are sparse, and HPC machines are scheduled by
// processors). Its duration is the run time the log observed; the requested time is kept as the
// user's estimate (for backfilling). Jobs with no run time (cancelled before they started) or no
// processor count are left out and counted. `--replay trace` starts each job at submit + wait on
// the machine's pool of processors.
//
// Without a cluster file, the header gives one: the machine as a single pool of MaxProcs cores
// (MaxNodes when MaxProcs is missing), the usual model for replaying HPC logs, where a job takes
// processors, not a node.

import type { NodeSpec } from '../../sim/cluster-file.ts';
import { InputError } from '../../sim/errors.ts';
import { MICROS_PER_SECOND, MILLI_PER_CORE, secondsToMicros } from '../../sim/units.ts';
import { openInput } from '../input.ts';
import { mergeByTime } from '../merge.ts';
import { timeOf, type TaskRecord, type TraceRecord } from '../record.ts';
import { sortByTime } from '../sort.ts';
import { createInterface } from 'node:readline';
import {
  RowError, guarded, leaveOut, newStats, number, textLines, type OpenedTrace, type ReadOptions, type ReadStats,
} from './common.ts';

/** The name of the node a log's header describes. */
export const SWF_POOL = 'pool';

export type SwfHeader = Readonly<Record<string, string>>;

export function openSwf(files: readonly string[], options: ReadOptions): OpenedTrace {
  const stats = newStats();
  const parts = files.map((f) => swfRecords(f, options, stats));
  return { source: sortByTime(mergeByTime(parts, timeOf)), stats };
}

async function* swfRecords(path: string, options: ReadOptions, stats: ReadStats): AsyncGenerator<TraceRecord[]> {
  for await (const lines of textLines(path, stats)) {
    const batch: TraceRecord[] = [];
    for (const { text, line } of lines) {
      const trimmed = text.trim();
      if (trimmed === '' || trimmed.startsWith(';')) continue;
      const record = guarded(stats, options, path, line, () => swfJob(trimmed.split(/\s+/), options, stats));
      if (record) batch.push(record);
    }
    if (batch.length > 0) yield batch;
  }
}

const FIELDS = ['job number', 'submit time', 'wait time', 'run time', 'allocated processors', 'average CPU time',
  'used memory', 'requested processors', 'requested time', 'requested memory', 'status', 'user', 'group',
  'executable', 'queue', 'partition', 'preceding job', 'think time'] as const;

function swfJob(fields: string[], options: ReadOptions, stats: ReadStats): TaskRecord | undefined {
  if (fields.length < 18) throw new RowError('the line', `expected the 18 fields of SWF; got ${fields.length}`);
  const f = (i: number) => number(fields[i], `field ${i + 1} (${FIELDS[i]})`, 'a number (-1 when unknown)');
  const submit = f(1);
  if (submit < 0) throw new RowError(`field 2 (${FIELDS[1]})`, `expected seconds >= 0; got ${fields[1]}`);
  const run = f(3);
  if (run < 0) {
    leaveOut(stats, 'no run time (cancelled before it started)');
    return undefined;
  }
  const requested = f(7), allocated = f(4);
  const processors = requested > 0 ? requested : allocated;
  if (!(processors > 0)) {
    leaveOut(stats, 'no processor count');
    return undefined;
  }
  const wait = f(2), estimate = f(8), user = f(11);
  const submitMicros = secondsToMicros(submit);
  return {
    kind: 'task',
    id: fields[0]!,
    submit: submitMicros,
    duration: secondsToMicros(run),
    cpu: Math.round(processors) * MILLI_PER_CORE,
    memory: 0,
    gpu: 0,
    priority: 0,
    job: fields[0]!,
    ...(user >= 0 && { user: String(user) }),
    ...(estimate > 0 && { estimate: secondsToMicros(estimate) }),
    ...(options.replay === 'trace' && { placed: { node: SWF_POOL, start: submitMicros + Math.max(0, wait) * MICROS_PER_SECOND } }),
  };
}

/** The header of a log: `; Key: value` lines before the first job. */
export async function readSwfHeader(path: string): Promise<SwfHeader> {
  const header: Record<string, string> = {};
  const lines = createInterface({ input: openInput(path).stream, crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      const t = text.trim();
      if (t === '') continue;
      if (!t.startsWith(';')) break;
      const m = /^;\s*([A-Za-z]+)\s*:\s*(.*)$/.exec(t);
      if (m && !(m[1]! in header)) header[m[1]!] = m[2]!.trim();
    }
  } finally {
    lines.close();
  }
  return header;
}

/** The cluster a log's header describes: one pool of MaxProcs (else MaxNodes) cores. */
export function swfCluster(header: SwfHeader, path: string): NodeSpec[] {
  const procs = Number(header.MaxProcs ?? header.MaxNodes);
  if (!(Number.isInteger(procs) && procs > 0)) {
    throw new InputError({ file: path }, 'the header gives neither MaxProcs nor MaxNodes: give the machine with --cluster FILE');
  }
  return [{ name: SWF_POOL, cpu: procs * MILLI_PER_CORE, memory: 0, gpu: 0, labels: {} }];
}
