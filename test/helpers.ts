// Small builders and checkers shared by the test files.

import { expandGroups, type NodeGroup, type NodeSpec } from '../sim/cluster-file.ts';
import { Simulation, type AttemptRow, type QueueDiscipline } from '../sim/simulation.ts';
import { MIB_PER_GIB, MILLI_PER_CORE, MILLI_PER_GPU, secondsToMicros } from '../sim/units.ts';
import type { Scheduler } from '../schedulers/contract.ts';
import type { TaskRecord } from '../traces/record.ts';

/** A task in file units (seconds, cores, GiB, GPUs). */
export function task(
  id: string, submit: number, duration: number, cpu: number, memory: number,
  extra: { gpu?: number; priority?: number } = {},
): TaskRecord {
  return {
    id, submit: secondsToMicros(submit), duration: secondsToMicros(duration),
    cpu: Math.round(cpu * MILLI_PER_CORE), memory: Math.round(memory * MIB_PER_GIB),
    gpu: Math.round((extra.gpu ?? 0) * MILLI_PER_GPU), priority: extra.priority ?? 0,
  };
}

export function nodes(groups: NodeGroup[]): NodeSpec[] {
  return expandGroups(groups);
}

export interface NodeEventAt {
  readonly time: number; // seconds
  readonly node: number;
  readonly kind: 'fail' | 'recover';
}

export interface SimOutcome {
  readonly sim: Simulation;
  readonly rows: AttemptRow[];
  readonly digest: string;
}

/** Runs records through a simulation synchronously; rows are the ended attempts in log order. */
export function simulate(
  cluster: readonly NodeSpec[], records: readonly TaskRecord[], scheduler: Scheduler,
  opts: { seed?: number; queue?: QueueDiscipline; nodeEvents?: readonly NodeEventAt[]; reasons?: boolean } = {},
): SimOutcome {
  const rows: AttemptRow[] = [];
  const sim = new Simulation(cluster, {
    scheduler, seed: opts.seed ?? 1, queue: opts.queue ?? 'greedy', reasons: opts.reasons ?? false,
    onAttemptEnd: (row) => rows.push(row),
  });
  for (const e of opts.nodeEvents ?? []) {
    if (e.kind === 'fail') sim.failNode(secondsToMicros(e.time), e.node);
    else sim.recoverNode(secondsToMicros(e.time), e.node);
  }
  for (const r of records) sim.submit(r);
  sim.run();
  return { sim, rows, digest: sim.finishDigest() };
}

/**
 * Checks that no node ever holds more than its capacity of any resource: at every instant,
 * with the attempts that end at an instant released before those that start then.
 * Returns a description of the first violation, or undefined.
 */
export function overCommit(cluster: readonly NodeSpec[], records: readonly TaskRecord[], rows: readonly AttemptRow[]): string | undefined {
  const byId = new Map(records.map((r) => [r.id, r]));
  const byNode = new Map<string, { t: number; sign: number; r: TaskRecord }[]>();
  for (const row of rows) {
    const r = byId.get(row.task);
    if (!r) return `attempt of unknown task ${row.task}`;
    const list = byNode.get(row.node) ?? [];
    list.push({ t: row.start, sign: 1, r }, { t: row.end, sign: -1, r });
    byNode.set(row.node, list);
  }
  const spec = new Map(cluster.map((n) => [n.name, n]));
  for (const [name, events] of byNode) {
    const n = spec.get(name);
    if (!n) return `attempt on unknown node ${name}`;
    events.sort((a, b) => a.t - b.t || a.sign - b.sign);
    let cpu = 0, memory = 0, gpu = 0;
    for (const e of events) {
      cpu += e.sign * e.r.cpu;
      memory += e.sign * e.r.memory;
      gpu += e.sign * e.r.gpu;
      if (cpu > n.cpu || memory > n.memory || gpu > n.gpu) {
        return `node ${name} over capacity at ${e.t} µs: cpu ${cpu}/${n.cpu}, memory ${memory}/${n.memory}, gpu ${gpu}/${n.gpu}`;
      }
    }
  }
  return undefined;
}
