// easy-backfill: EASY backfilling (Lifka, "The ANL/IBM SP scheduling system", 1995; Mu'alem and
// Feitelson, IEEE TPDS 2001), for batch logs whose jobs state a run-time estimate (SWF's
// requested time):
//
//   tasks start in queue order (priority, then submit) while they fit, first fit;
//   the first that cannot start is the head: it gets a reservation, the earliest time its
//   request will be free on one node, from the running tasks' expected ends (start + estimate);
//   a later task may start now only if it cannot delay that reservation: on another node than
//   the reserved one, or on it if it ends (by its estimate) by the reservation's time, or if it
//   fits in the extra room, what the reserved node will have at that time beyond the head's
//   request (the extra room it takes is then spent).
//
// Tasks run on one node each (an SWF log replays as one pool of processors, so there the node is
// the machine and this is EASY as the papers state it); the reservation is a node and a time,
// chosen as the earliest over the up nodes whose labels and taints allow the head (ties to the
// lowest index), and recomputed every round; the head's rules on running tasks (affinity,
// spread) are not part of it. A running task past its estimate is expected to end at once. A
// task that no such up node could hold even when empty cannot be the head (nothing that ends
// would let it start); it waits and the next one is considered. Later tasks start only where
// their own placement rules allow.
// Placements of later tasks come out of queue order, so `--queue strict-fifo` stops the round at
// the first of them: use the default greedy queue.
//
// Estimates (option `missingEstimate`): by default a task without one is an error, raised the
// first time the policy needs it (to reserve room for a head, or to let a task pass one);
// `missingEstimate=SECONDS` gives such tasks that estimate (as Slurm's DefaultTime does);
// `missingEstimate=forever` takes them to run forever: they free nothing a reservation can count
// on and pass a head only where they cannot delay it, and a head that only such tasks stand in
// front of gets no reservation, so nothing passes it (strict FCFS until it starts).
//
// Not modelled: jobs spanning nodes, conservative backfilling (a reservation for every waiting
// job), killing tasks at their estimate, priorities beyond the queue order.

import { InputError } from '../../sim/errors.ts';
import {
  RESOURCES, nodeId, type ClusterView, type DecideContext, type Decision, type NodeId, type PendingTask, type Resources,
  type RunningTask, type Scheduler, type SchedulerOptions,
} from '../contract.ts';
import { hasPlacementRules, placementAllows } from '../constraints.ts';
import { RunningLedger, couldHoldWhenEmpty, firstAllowed } from '../direct.ts';
import { FailedRequests, waitReason } from '../per-task.ts';

/** What a missing estimate means: an error, a run forever, or a default estimate in µs. */
export type MissingEstimate = 'error' | 'forever' | { readonly default: number };

/** A running task as a reservation sees it: when it is expected to end, and what it frees. */
interface Ending extends Resources {
  /** µs; Infinity when not known (no estimate). */
  readonly end: number;
  /** Set when the end is unknown because the task has no estimate and that is an error. */
  readonly unknown?: string;
}

/** Room for the head of the queue: on `node`, from `time`, with `extra` beyond its request then. */
export interface Reservation {
  readonly node: NodeId;
  readonly time: number;
  readonly extra: Resources;
}

const fits = (r: Resources, room: Resources): boolean => r.cpu <= room.cpu && r.memory <= room.memory && r.gpu <= room.gpu;

export function missingEstimateError(task: string): InputError {
  return new InputError({},
    `easy-backfill needs run-time estimates (SWF's requested time) to reserve room for the head of the queue and let later ` +
    `tasks pass it; task ${task} has none. Replay a trace that gives estimates, or say what a missing one means with ` +
    '--scheduler-option missingEstimate=SECONDS (a default estimate, as Slurm\'s DefaultTime) or missingEstimate=forever ' +
    '(a task without one may run forever)');
}

class EasyBackfill implements Scheduler {
  readonly name = 'easy-backfill';
  // ignoresUnfit is left unset: the head's reservation is made for a task that fits nowhere now.
  private readonly ledger: RunningLedger<Ending>;
  /** Per node, its endings sorted by end, and the ledger version they were sorted at. */
  private readonly sorted: { version: number; list: Ending[] }[] = [];

  constructor(private readonly missing: MissingEstimate) {
    this.ledger = new RunningLedger<Ending>((r) => this.ending(r));
  }

  *decide(pending: readonly PendingTask[], cluster: ClusterView, ctx: DecideContext): Generator<Decision> {
    let head: PendingTask | undefined;
    /** The head's reservation once needed; null when it can have none (nothing may pass it). */
    let reservation: Reservation | null | undefined;
    // Behind the head, a request without placement rules covering one that found no room finds none either.
    const failed = new FailedRequests();
    for (const task of pending) {
      if (head === undefined) {
        const node = firstAllowed(task, cluster);
        if (node !== undefined) {
          yield { kind: 'place', task: task.id, node };
          this.ledger.placed(cluster, task.id, node);
          continue;
        }
        if (this.couldEverStart(task, cluster)) head = task;
        if (ctx.reasons) yield { kind: 'wait', task: task.id, reason: waitReason(task, cluster) };
        continue;
      }
      // Behind the head: only what cannot delay its reservation starts.
      if (reservation === null && !ctx.reasons) break; // nothing may pass the head
      const plain = !hasPlacementRules(task, cluster);
      let node: NodeId | undefined;
      let roomy = false;
      for (const candidate of plain && failed.covers(task) ? [] : cluster.feasible(task)) {
        if (!placementAllows(task, candidate, cluster)) continue;
        roomy = true;
        if (reservation === undefined) reservation = this.reserve(head, cluster, ctx.now);
        if (reservation === null) break;
        if (candidate !== reservation.node) {
          node = candidate;
          break;
        }
        if (fits(task, reservation.extra)) {
          reservation = { ...reservation, extra: { cpu: reservation.extra.cpu - task.cpu, memory: reservation.extra.memory - task.memory, gpu: reservation.extra.gpu - task.gpu } };
          node = candidate;
          break;
        }
        if (ctx.now + this.estimate(task) <= reservation.time) {
          node = candidate;
          break;
        }
      }
      if (node !== undefined) {
        yield { kind: 'place', task: task.id, node };
        this.ledger.placed(cluster, task.id, node);
        continue;
      }
      if (plain && !roomy) failed.add(task);
      if (ctx.reasons) {
        // Room, but only where it would delay the head: the policy's rule keeps it waiting.
        yield { kind: 'wait', task: task.id, reason: roomy ? 'constraint' : waitReason(task, cluster) };
      }
    }
  }

  /**
   * The head's reservation: the earliest time its request is free on an up node whose labels and
   * taints allow it, counting the running tasks expected to end by then (ties to the lowest
   * node), or null when no such time is known.
   */
  reserve(head: PendingTask, cluster: ClusterView, now: number): Reservation | null {
    this.ledger.sync(cluster);
    let best: Reservation | null = null;
    for (let i = 0; i < cluster.nodeCount; i++) {
      const node = nodeId(i);
      if (!couldHoldWhenEmpty(head, node, cluster)) continue;
      const room = { cpu: cluster.free(node, 'cpu'), memory: cluster.free(node, 'memory'), gpu: cluster.free(node, 'gpu') };
      const list = this.endings(node);
      let time: number | undefined = fits(head, room) ? now : undefined;
      let k = 0;
      for (; time === undefined && k < list.length; k++) {
        const e = list[k]!;
        if (best !== null && e.end > best.time) break; // this node cannot beat the best one
        if (e.unknown !== undefined) throw missingEstimateError(e.unknown);
        if (e.end === Infinity) break;
        for (const r of RESOURCES) room[r] += e[r];
        if (fits(head, room)) time = Math.max(now, e.end);
      }
      if (time === undefined || (best !== null && time >= best.time)) continue;
      // Tasks ending at that same instant free their room by then too.
      for (; k < list.length && list[k]!.end <= time; k++) for (const r of RESOURCES) room[r] += list[k]![r];
      best = { node, time, extra: { cpu: room.cpu - head.cpu, memory: room.memory - head.memory, gpu: room.gpu - head.gpu } };
    }
    return best;
  }

  private couldEverStart(task: PendingTask, cluster: ClusterView): boolean {
    for (let i = 0; i < cluster.nodeCount; i++) if (couldHoldWhenEmpty(task, nodeId(i), cluster)) return true;
    return false;
  }

  /** The node's endings by expected end (overdue ones first, as ending now). */
  private endings(node: NodeId): Ending[] {
    const version = this.ledger.version(node);
    const cached = this.sorted[node];
    if (cached !== undefined && cached.version === version) return cached.list;
    const list = [...this.ledger.on(node)].sort((a, b) => a.end - b.end);
    this.sorted[node] = { version, list };
    return list;
  }

  private ending(r: RunningTask): Ending {
    const request = { cpu: r.cpu, memory: r.memory, gpu: r.gpu };
    if (r.estimate !== undefined) return { ...request, end: r.start + r.estimate };
    if (this.missing === 'forever') return { ...request, end: Infinity };
    if (this.missing === 'error') return { ...request, end: Infinity, unknown: r.name };
    return { ...request, end: r.start + this.missing.default };
  }

  /** The task's estimate, µs (Infinity: may run forever). */
  private estimate(task: PendingTask): number {
    if (task.estimate !== undefined) return task.estimate;
    if (this.missing === 'forever') return Infinity;
    if (this.missing === 'error') throw missingEstimateError(task.name);
    return this.missing.default;
  }
}

export function parseMissingEstimate(value: string | number | boolean | undefined): MissingEstimate {
  if (value === undefined || value === 'error') return 'error';
  if (value === 'forever') return 'forever';
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!(Number.isFinite(seconds) && seconds > 0)) {
    throw new RangeError(`easy-backfill: missingEstimate must be error, forever or a number of seconds > 0; got ${String(value)}`);
  }
  return { default: Math.round(seconds * 1e6) };
}

export function easyBackfill(options: SchedulerOptions = {}): Scheduler {
  for (const key of Object.keys(options)) {
    if (key !== 'missingEstimate') throw new RangeError(`easy-backfill: unknown option ${key}; it takes missingEstimate`);
  }
  return new EasyBackfill(parseMissingEstimate(options.missingEstimate));
}
