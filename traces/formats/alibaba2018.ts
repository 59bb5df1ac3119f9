// Alibaba cluster-trace-v2018: batch_task, batch_instance and container_meta (the workload),
// machine_meta (the machines). CSV without headers; times in seconds from the start; cpu in
// hundredths of a core; memory normalised to 0-100, read as a share of a machine's memory,
// `--scale-memory` GiB (default 512, our assumption: the trace does not say).
//
// A batch instance is a task: it asks for its task's plan_cpu and plan_mem, arrives at its
// start_time and runs until its end_time. Without batch_instance, each batch_task row stands
// for instance_num identical tasks with the task's times. Task names carry the DAG: `M2_1` is
// task 2 of its job and waits for task 1, `R5_3_4` waits for tasks 3 and 4; a task (all its
// instances) starts only once the tasks it waits for have finished. Instances still running at
// the end, or never started (Running, Waiting), are left out and counted.
//
// A container (container_meta) is a long-running service: it arrives at its first row and runs
// to the end of the trace. `--replay trace` starts instances and containers on the machine the
// trace names.
//
// Limit: batch_task is held in memory (one entry per task, not per instance) to give instances
// their plans.

import { MICROS_PER_SECOND, MILLI_PER_CORE, MIB_PER_GIB, secondsToMicros } from '../../sim/units.ts';
import type { NodeSpec } from '../../sim/cluster-file.ts';
import { InputError } from '../../sim/errors.ts';
import type { NodeRecord, TaskRecord, TraceRecord } from '../record.ts';
import { sortByTime } from '../sort.ts';
import {
  RowError, byTable, csvRows, guarded, leaveOut, newStats, number, type OpenedTrace, type ReadOptions, type ReadStats,
} from './common.ts';

export const ALIBABA_MEMORY_GIB = 512;
const TABLES = ['batch_task', 'batch_instance', 'container_meta'] as const;

interface Plan {
  readonly instances: number;
  readonly cpu: number;
  readonly memory: number;
  readonly start: number;
  readonly end: number;
  readonly status: string;
  readonly group: string;
  readonly after: readonly string[];
}

/** `M2_1` → group 2 after [1]; a name without that shape is a group of its own, after nothing. */
export function parseTaskName(name: string): { group: string; after: string[] } {
  const m = /^[A-Za-z]+(\d+)((?:_\d+)*)$/.exec(name);
  if (!m) return { group: name, after: [] };
  return { group: m[1]!, after: m[2] ? m[2].split('_').filter(Boolean) : [] };
}

export function openAlibaba2018(files: readonly string[], options: ReadOptions): OpenedTrace {
  const stats = newStats();
  const tables = byTable(files, TABLES, 'alibaba2018');
  const memoryScale = (options.scaleMemory ?? ALIBABA_MEMORY_GIB) * MIB_PER_GIB;
  async function* all(): AsyncGenerator<TraceRecord[]> {
    const plans = new Map<string, Plan>();
    let end = 0; // the latest time in the tables, seconds: where containers end
    for (const file of tables.get('batch_task') ?? []) {
      for await (const rows of csvRows(file, stats)) {
        for (const { fields, line } of rows) {
          const plan = guarded(stats, options, file, line, () => readPlan(fields, memoryScale));
          if (plan) {
            plans.set(`${fields[2]}\u0000${fields[0]}`, plan);
            end = Math.max(end, plan.end, plan.start);
          }
        }
      }
    }
    const instances = tables.get('batch_instance');
    if (instances) {
      for (const file of instances) {
        for await (const rows of csvRows(file, stats)) {
          const batch: TraceRecord[] = [];
          for (const { fields, line } of rows) {
            const task = guarded(stats, options, file, line, () => readInstance(fields, plans, options, stats));
            if (task) {
              batch.push(task);
              end = Math.max(end, (task.submit + task.duration) / MICROS_PER_SECOND);
            }
          }
          yield batch;
        }
      }
    } else {
      for (const [key, plan] of plans) yield tasksOfPlan(key, plan, stats);
    }
    yield* containers(tables.get('container_meta') ?? [], end, memoryScale, options, stats);
  }
  return { source: sortByTime(all()), stats };
}

function readPlan(f: string[], memoryScale: number): Plan {
  if (f.length < 9) throw new RowError('the row', `expected the 9 columns of batch_task; got ${f.length}`);
  const instances = number(f[1], 'column 2 (instance_num)', 'a count');
  if (!(instances >= 1 && Number.isInteger(instances))) throw new RowError('column 2 (instance_num)', `expected a whole number >= 1; got ${f[1]}`);
  const { group, after } = parseTaskName(f[0]!);
  return {
    instances,
    cpu: Math.round(number(f[7], 'column 8 (plan_cpu)', 'hundredths of a core') * (MILLI_PER_CORE / 100)),
    memory: Math.round((number(f[8], 'column 9 (plan_mem)', 'a share of 0-100') / 100) * memoryScale),
    start: number(f[5], 'column 6 (start_time)', 'seconds'),
    end: number(f[6], 'column 7 (end_time)', 'seconds'),
    status: f[4] ?? '',
    group,
    after,
  };
}

/** The tasks a batch_task row stands for, when no instance table is given. */
function tasksOfPlan(key: string, plan: Plan, stats: ReadStats): TaskRecord[] {
  const [job, name] = key.split('\u0000') as [string, string];
  if (!(plan.end > plan.start)) {
    leaveOut(stats, `task ${plan.status === 'Waiting' ? 'never started' : 'with no end (still running)'}`);
    return [];
  }
  return Array.from({ length: plan.instances }, (_, k) => ({
    kind: 'task' as const, id: `${job}/${name}/${k}`, submit: secondsToMicros(plan.start), duration: secondsToMicros(plan.end - plan.start),
    cpu: plan.cpu, memory: plan.memory, gpu: 0, priority: 0, job,
    group: plan.group, groupSize: plan.instances, ...(plan.after.length > 0 && { after: plan.after }),
  }));
}

function readInstance(f: string[], plans: Map<string, Plan>, options: ReadOptions, stats: ReadStats): TaskRecord | undefined {
  if (f.length < 8) throw new RowError('the row', `expected the 14 columns of batch_instance; got ${f.length}`);
  const plan = plans.get(`${f[2]}\u0000${f[1]}`);
  if (!plan) {
    leaveOut(stats, 'instance of a task batch_task does not list');
    return undefined;
  }
  const start = number(f[5], 'column 6 (start_time)', 'seconds');
  const end = number(f[6], 'column 7 (end_time)', 'seconds');
  if (!(end > start) || start <= 0) {
    leaveOut(stats, `instance ${f[4] === 'Waiting' || f[4] === 'Ready' ? 'never started' : 'with no end (still running)'}`);
    return undefined;
  }
  const submit = secondsToMicros(start);
  return {
    kind: 'task', id: f[0]!, submit, duration: secondsToMicros(end - start), cpu: plan.cpu, memory: plan.memory, gpu: 0, priority: 0,
    job: f[2]!, group: plan.group, groupSize: plan.instances, ...(plan.after.length > 0 && { after: plan.after }),
    ...(options.replay === 'trace' && f[7] && { placed: { node: f[7], start: submit } }),
  };
}

/** Containers, from their first row to the end of the trace (`end`, seconds, or later rows). */
async function* containers(
  files: readonly string[], end: number, memoryScale: number, options: ReadOptions, stats: ReadStats,
): AsyncGenerator<TraceRecord[]> {
  const seen = new Map<string, { first: number; machine: string; cpu: number; memory: number }>();
  let last = end;
  for (const file of files) {
    for await (const rows of csvRows(file, stats)) {
      for (const { fields: f, line } of rows) {
        guarded(stats, options, file, line, () => {
          if (f.length < 8) throw new RowError('the row', `expected the 8 columns of container_meta; got ${f.length}`);
          const time = number(f[2], 'column 3 (time_stamp)', 'seconds');
          last = Math.max(last, time);
          if (seen.has(f[0]!)) return;
          seen.set(f[0]!, {
            first: time, machine: f[1]!,
            cpu: Math.round(number(f[5], 'column 6 (cpu_request)', 'hundredths of a core') * (MILLI_PER_CORE / 100)),
            memory: Math.round((number(f[7], 'column 8 (mem_size)', 'a share of 0-100') / 100) * memoryScale),
          });
        });
      }
    }
  }
  const out: TraceRecord[] = [];
  for (const [id, c] of seen) {
    const submit = secondsToMicros(c.first);
    out.push({
      kind: 'task', id, submit, duration: secondsToMicros(last) - submit, cpu: c.cpu, memory: c.memory, gpu: 0, priority: 0,
      ...(options.replay === 'trace' && { placed: { node: c.machine, start: submit } }),
    });
  }
  if (out.length > 0) yield out;
}

/**
 * machine_meta: the machines, labelled with their failure domains, and their changes of status
 * (USING is up; any other status, such as IMPORT_INSTALLING, is not) and of capacity.
 */
export async function loadAlibabaMachines(files: readonly string[], scaleMemory = ALIBABA_MEMORY_GIB): Promise<{
  nodes: NodeSpec[]; events: NodeRecord[]; files: { path: string; sha256: string }[];
}> {
  const stats = newStats();
  const rows: { machine: string; time: number; fd1: string; fd2: string; cpu: number; memory: number; up: boolean }[] = [];
  for (const file of files) {
    for await (const batch of csvRows(file, stats)) {
      for (const { fields: f, line } of batch) {
        const row = guarded(stats, { replay: 'reschedule', skipBadRows: false }, file, line, () => {
          if (f.length < 7) throw new RowError('the row', `expected the 7 columns of machine_meta; got ${f.length}`);
          return {
            machine: f[0]!, time: number(f[1], 'column 2 (time_stamp)', 'seconds'), fd1: f[2]!, fd2: f[3]!,
            cpu: Math.round(number(f[4], 'column 5 (cpu_num)', 'a core count') * MILLI_PER_CORE),
            memory: Math.round((number(f[5], 'column 6 (mem_size)', 'a share of 0-100') / 100) * scaleMemory * MIB_PER_GIB),
            up: f[6] === 'USING',
          };
        });
        if (row) rows.push(row);
      }
    }
  }
  if (rows.length === 0) throw new InputError({ file: files[0] }, 'machine_meta lists no machine');
  rows.sort((a, b) => a.time - b.time);
  const start = rows[0]!.time;
  const nodes = new Map<string, NodeSpec>();
  // Per machine: whether it has joined the cluster, is up, and its capacity.
  const state = new Map<string, { joined: boolean; up: boolean; cpu: number; memory: number }>();
  const events: NodeRecord[] = [];
  for (const r of rows) {
    const time = secondsToMicros(r.time);
    const change = (c: NodeRecord['change'], capacity?: NodeRecord['capacity']) =>
      events.push({ kind: 'node', time, node: r.machine, change: c, ...(capacity && { capacity }) });
    let m = state.get(r.machine);
    if (!m) {
      // In use at the start: there from the start. Otherwise it joins when it is in use.
      const fromStart = r.time === start && r.up;
      nodes.set(r.machine, {
        name: r.machine, cpu: r.cpu, memory: r.memory, gpu: 0,
        labels: { 'failure-domain-1': r.fd1, 'failure-domain-2': r.fd2 }, status: fromStart ? 'up' : 'absent',
      });
      m = { joined: fromStart, up: fromStart, cpu: r.cpu, memory: r.memory };
      state.set(r.machine, m);
    }
    if (r.cpu !== m.cpu || r.memory !== m.memory) {
      change('update', { cpu: r.cpu, memory: r.memory, gpu: 0 });
      m.cpu = r.cpu;
      m.memory = r.memory;
    }
    if (r.up && !m.joined) change('add');
    else if (r.up && !m.up) change('recover');
    else if (!r.up && m.up) change('fail');
    m.joined ||= r.up;
    m.up = r.up;
  }
  return { nodes: [...nodes.values()], events, files: stats.files };
}
