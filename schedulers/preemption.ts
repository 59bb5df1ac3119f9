// Preemption, as Kubernetes' DefaultPreemption does it: a task that no node has room for may
// evict running tasks of lower priority.
//
//   victims on a node   every running task of lower priority is a candidate; if the task does
//                       not fit even with all of them gone, the node is no candidate. Then the
//                       candidates are given back ("reprieved") from the most important down
//                       (higher priority, then earlier start) while the task still fits: what
//                       is left are the victims, lowest priority first.
//   node                the fewest and least important victims: the lowest highest-victim
//                       priority, then the lowest sum of victim priorities, then the fewest
//                       victims, then the latest start among the highest-priority victims,
//                       then the lowest node index (Kubernetes: pickOneNodeForPreemption).
//
// withPreemption wraps any scheduler: the tasks it leaves waiting are tried for preemption in
// queue order. The platform commits a preemption by evicting the victims (requeued or failed,
// as the run says) and starting the task. Not modelled: PodDisruptionBudgets, nominated nodes
// (the task starts at once, since eviction takes no time here), graceful termination.

import { hasPlacementRules, placementAllows } from './constraints.ts';
import type { ClusterView, DecideContext, Decision, NodeId, PendingTask, RunningTask, Scheduler, TaskId } from './contract.ts';
import { nodeId } from './contract.ts';
import { FailedRequests } from './per-task.ts';

export interface Preemption {
  readonly node: NodeId;
  /** Lowest priority first. */
  readonly victims: readonly TaskId[];
}

/**
 * A node's running tasks by priority, lowest first, with prefix sums of their requests: the room
 * a priority could free there is its free room plus a prefix. Kept per view while the cluster's
 * generation holds (a round's waits come in runs with no commit between them).
 */
interface NodeTasks {
  readonly tasks: RunningTask[];
  /** [k]: the requests of tasks[0 … k-1]. */
  readonly cpu: Float64Array;
  readonly memory: Float64Array;
  readonly gpu: Float64Array;
}

const byView = new WeakMap<ClusterView, { generation: number; nodes: (NodeTasks | undefined)[] }>();

function nodeTasks(cluster: ClusterView, node: NodeId): NodeTasks {
  let cache = byView.get(cluster);
  if (cache === undefined || cache.generation !== cluster.generation) {
    cache = { generation: cluster.generation, nodes: [] };
    byView.set(cluster, cache);
  }
  let entry = cache.nodes[node];
  if (entry === undefined) {
    const tasks: RunningTask[] = [];
    for (const id of cluster.tasksOn(node)) {
      const r = cluster.running(id);
      if (r !== undefined) tasks.push(r);
    }
    tasks.sort((a, b) => a.priority - b.priority);
    const n = tasks.length;
    entry = { tasks, cpu: new Float64Array(n + 1), memory: new Float64Array(n + 1), gpu: new Float64Array(n + 1) };
    for (let k = 0; k < n; k++) {
      entry.cpu[k + 1] = entry.cpu[k]! + tasks[k]!.cpu;
      entry.memory[k + 1] = entry.memory[k]! + tasks[k]!.memory;
      entry.gpu[k + 1] = entry.gpu[k]! + tasks[k]!.gpu;
    }
    cache.nodes[node] = entry;
  }
  return entry;
}

/** How many of the node's tasks (lowest priority first) are below the priority. */
function lowerCount(entry: NodeTasks, priority: number): number {
  let lo = 0, hi = entry.tasks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (entry.tasks[mid]!.priority < priority) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Where the task could start by evicting lower-priority tasks, or undefined when nowhere. */
export function preemptionFor(task: PendingTask, cluster: ClusterView): Preemption | undefined {
  let best: { node: NodeId; victims: RunningTask[]; top: number; sum: number; topStart: number } | undefined;
  for (let i = 0; i < cluster.nodeCount; i++) {
    const node = nodeId(i);
    if (cluster.status(node) !== 'up' || cluster.fits(node, task)) continue; // room without eviction: not a preemption
    if (cluster.capacity(node, 'cpu') < task.cpu || cluster.capacity(node, 'memory') < task.memory || cluster.capacity(node, 'gpu') < task.gpu) continue;
    // Rules last: the room check before them costs a binary search.
    const victims = victimsOn(task, node, cluster, () => placementAllows(task, node, cluster));
    if (victims === undefined || victims.length === 0) continue;
    const top = victims[victims.length - 1]!.priority;
    let sum = 0;
    let topStart = -Infinity;
    for (const v of victims) {
      sum += v.priority;
      if (v.priority === top && v.start > topStart) topStart = v.start;
    }
    const better = best === undefined || top < best.top || (top === best.top && (sum < best.sum ||
      (sum === best.sum && (victims.length < best.victims.length || (victims.length === best.victims.length && topStart > best.topStart)))));
    if (better) best = { node, victims, top, sum, topStart };
  }
  return best && { node: best.node, victims: best.victims.map((v) => v.id) };
}

/**
 * The fewest, least important tasks on the node whose eviction makes room for the task, lowest
 * priority first; undefined when evicting every lower-priority task would not be enough, or
 * when `allowed` (asked only then) says the task may not run there.
 */
export function victimsOn(task: PendingTask, node: NodeId, cluster: ClusterView, allowed: () => boolean = () => true): RunningTask[] | undefined {
  // The room every lower-priority task would free, before looking at which ones.
  const entry = nodeTasks(cluster, node);
  const k = lowerCount(entry, task.priority);
  let cpu = cluster.free(node, 'cpu') + entry.cpu[k]!, memory = cluster.free(node, 'memory') + entry.memory[k]!;
  let gpu = cluster.free(node, 'gpu') + entry.gpu[k]!;
  if (k === 0 || cpu < task.cpu || memory < task.memory || gpu < task.gpu || !allowed()) return undefined;
  // Most important first: higher priority, then the earlier start, then the lower id.
  const lower = entry.tasks.slice(0, k).sort((a, b) => b.priority - a.priority || a.start - b.start || a.id - b.id);
  const victims: RunningTask[] = [];
  for (const v of lower) {
    if (cpu - v.cpu >= task.cpu && memory - v.memory >= task.memory && gpu - v.gpu >= task.gpu) {
      cpu -= v.cpu; // reprieved: it keeps running, and its room stays taken
      memory -= v.memory;
      gpu -= v.gpu;
    } else {
      victims.push(v);
    }
  }
  return victims.reverse();
}

/**
 * The scheduler, with preemption for the tasks it leaves waiting. Its decisions then depend on
 * tasks that fit nowhere, so every pending task is offered every round.
 */
export function withPreemption(inner: Scheduler): Scheduler {
  return {
    name: inner.name,
    decide(pending: readonly PendingTask[], cluster: ClusterView, ctx: DecideContext): Iterable<Decision> {
      return preempting(inner, pending, cluster, ctx);
    },
  };
}

function* preempting(inner: Scheduler, pending: readonly PendingTask[], cluster: ClusterView, ctx: DecideContext): Generator<Decision> {
  const byId = new Map<TaskId, PendingTask>();
  for (const task of pending) byId.set(task.id, task);
  // Requests (with their priority) for which no node could be freed in this round. Within a
  // round the room a priority could free never grows (a placement takes room; a preemption
  // evicts only lower priorities and adds its task), so a task of no higher priority asking for
  // at least as much finds none either.
  const hopeless: { priority: number; failed: FailedRequests }[] = [];
  const covered = (task: PendingTask) => hopeless.some((h) => h.priority >= task.priority && h.failed.covers(task));
  // The inner policy says which tasks it leaves waiting (asking for reasons changes no placement).
  // A policy may say "wait" for a task and place it later in the round (DRF retries a user once
  // others have gone); a task that started by preemption is left out of what follows.
  const started = new Set<TaskId>();
  for (const d of inner.decide(pending, cluster, { now: ctx.now, random: ctx.random, reasons: true })) {
    if (started.has(d.task)) continue;
    if (d.kind !== 'wait') {
      yield d;
      continue;
    }
    const task = byId.get(d.task);
    const plain = task !== undefined && !hasPlacementRules(task, cluster);
    const p = task === undefined || (plain && covered(task)) ? undefined : preemptionFor(task, cluster);
    if (p !== undefined) {
      started.add(d.task);
      yield { kind: 'preempt', task: d.task, node: p.node, victims: p.victims };
      continue;
    }
    if (plain) {
      let h = hopeless.find((x) => x.priority === task.priority);
      if (h === undefined) hopeless.push(h = { priority: task.priority, failed: new FailedRequests() });
      h.failed.add(task);
    }
    if (ctx.reasons) yield d;
  }
}
