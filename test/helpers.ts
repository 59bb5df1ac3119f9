// Small builders and checkers shared by the test files.

import { expect } from 'vitest';
import { expandGroups, parseClusterFile, type NodeGroup, type NodeSpec } from '../sim/cluster-file.ts';
import { InputError } from '../sim/errors.ts';
import { Simulation, type AttemptRow, type QueueDiscipline } from '../sim/simulation.ts';
import { MIB_PER_GIB, MILLI_PER_CORE, MILLI_PER_GPU, secondsToMicros } from '../sim/units.ts';
import type { Scheduler } from '../schedulers/contract.ts';
import { timeOf, type NodeChange, type TaskRecord, type TraceRecord } from '../traces/record.ts';

/** A task in file units (seconds, cores, GiB, GPUs). */
export function task(
  id: string, submit: number, duration: number, cpu: number, memory: number,
  extra: { gpu?: number; priority?: number } = {},
): TaskRecord {
  return {
    kind: 'task', id, submit: secondsToMicros(submit), duration: secondsToMicros(duration),
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
  readonly kind: NodeChange;
  /** Base units, for `update`. */
  readonly capacity?: { readonly cpu: number; readonly memory: number; readonly gpu: number };
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
  // Records in time order, node changes before tasks at equal times (the stable sort keeps that).
  const changes: TraceRecord[] = (opts.nodeEvents ?? []).map((e) => ({
    kind: 'node', time: secondsToMicros(e.time), node: cluster[e.node]!.name, change: e.kind, ...(e.capacity && { capacity: e.capacity }),
  }));
  for (const r of [...changes, ...records].sort((a, b) => timeOf(a) - timeOf(b))) sim.push(r);
  sim.run();
  return { sim, rows, digest: sim.finishDigest() };
}

/**
 * Checks that no node ever holds more than its capacity of any resource: at every instant,
 * with the attempts that end at an instant released before those that start then, and the
 * capacity a node has then (after `update` events). Returns the first violation, or undefined.
 */
export function overCommit(
  cluster: readonly NodeSpec[], records: readonly TaskRecord[], rows: readonly AttemptRow[], nodeEvents: readonly NodeEventAt[] = [],
): string | undefined {
  const byId = new Map(records.map((r) => [r.id, r]));
  const byNode = new Map<string, { t: number; sign: number; r: TaskRecord }[]>();
  for (const row of rows) {
    const r = byId.get(row.task);
    if (!r) return `attempt of unknown task ${row.task}`;
    const list = byNode.get(row.node) ?? [];
    list.push({ t: row.start, sign: 1, r }, { t: row.end, sign: -1, r });
    byNode.set(row.node, list);
  }
  const spec = new Map(cluster.map((n, i) => [n.name, i]));
  for (const [name, events] of byNode) {
    const index = spec.get(name);
    if (index === undefined) return `attempt on unknown node ${name}`;
    events.sort((a, b) => a.t - b.t || a.sign - b.sign);
    const resizes = nodeEvents.filter((e) => e.node === index && e.capacity).map((e) => ({ t: secondsToMicros(e.time), cap: e.capacity! }));
    let cap: { cpu: number; memory: number; gpu: number } = cluster[index]!;
    let cpu = 0, memory = 0, gpu = 0;
    // Instant by instant: the attempts that end, then a new capacity, then the attempts that start.
    for (let i = 0; i < events.length;) {
      const t = events[i]!.t;
      for (; i < events.length && events[i]!.t === t; i++) {
        const e = events[i]!;
        if (e.sign > 0) while (resizes.length > 0 && resizes[0]!.t <= t) cap = resizes.shift()!.cap;
        cpu += e.sign * e.r.cpu;
        memory += e.sign * e.r.memory;
        gpu += e.sign * e.r.gpu;
      }
      while (resizes.length > 0 && resizes[0]!.t <= t) cap = resizes.shift()!.cap;
      if (cpu > cap.cpu || memory > cap.memory || gpu > cap.gpu) {
        return `node ${name} over capacity at ${t} µs: cpu ${cpu}/${cap.cpu}, memory ${memory}/${cap.memory}, gpu ${gpu}/${cap.gpu}`;
      }
    }
  }
  return undefined;
}

/** A cluster file's text, parsed as c.yaml. */
export const parseCluster = (text: string) => parseClusterFile(text, 'c.yaml');

/** The message a cluster file's text (as c.yaml) is refused with; fails the test when it is accepted or breaks otherwise. */
export function clusterRefusal(text: string): string {
  try {
    parseCluster(text);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error('expected the file to be refused');
}
