// What the policies that implement Scheduler directly share (drf, easy-backfill, gang): a
// ledger of the running tasks they look at (DRF's use per user, backfilling's expected ends, the
// gangs that run), and first fit under a task's placement rules.
//
// RunningLedger keeps, per node, one entry per running task (what the policy derives from its
// RunningTask), so that a round need not read every running task again. `sync` looks at the
// nodes whose task count or allocated amounts moved since it last saw them, and there reads only
// the tasks it does not know (by id) and drops those gone; the policy enters its own placements
// as the platform commits them (`placed`), so in the simulator, where only the policy starts
// tasks, a sync mostly drops the tasks that ended and reads few. A task id is known with
// what was read of it: a platform that reused an id for a task it started itself (not placed by
// the policy) on the same node, between two syncs, would go unseen. A policy syncs when it needs
// the entries; `placed` keeps them right whether or not it synced in the round. (The view is not
// told apart by identity: wrappers may hand the policy a new proxy of the same cluster every round.)

import { hasPlacementRules, placementAllows, satisfiesAll, untolerated } from './constraints.ts';
import { nodeId, type ClusterView, type NodeId, type PendingTask, type RunningTask, type TaskId } from './contract.ts';

export interface LedgerHooks<E> {
  /** An entry joins the ledger (a task seen running, or placed by the policy). */
  added?(entry: E): void;
  /** An entry leaves it (its task ended, or its id now names another attempt). */
  removed?(entry: E): void;
}

export class RunningLedger<E> {
  private entries: Map<TaskId, E>[] = [];
  /**
   * Per node, what its entries stand for: task count and allocated cpu, memory and gpu (4
   * numbers a node); a count of -1 when the node must be looked at again.
   */
  private marks: number[] = [];
  /** Per node: grows whenever its entries change (for caches built on them). */
  private versions: number[] = [];

  constructor(
    private readonly read: (task: RunningTask) => E,
    private readonly hooks: LedgerHooks<E> = {},
  ) {}

  /** Brings the ledger up to date with the view. */
  sync(cluster: ClusterView): void {
    const n = cluster.nodeCount;
    this.grow(n);
    for (let i = 0; i < n; i++) if (!this.current(cluster, i, 0, 0, 0, 0)) this.reconcile(cluster, i);
  }

  /** Enters a task the policy placed, once the platform has committed the decision. */
  placed(cluster: ClusterView, task: TaskId, node: NodeId): void {
    this.grow(cluster.nodeCount);
    const r = cluster.running(task);
    if (r === undefined || r.node !== node) {
      this.marks[4 * node] = -1; // not (yet) in the view: look at the node again
      return;
    }
    // Entries current just before this placement stay current with it; others wait for a sync
    // (so that entries of tasks that ended unseen do not pile up between syncs).
    if (!this.current(cluster, node, 1, r.cpu, r.memory, r.gpu)) {
      this.marks[4 * node] = -1;
      return;
    }
    this.enter(node, task, r);
    this.mark(cluster, node);
  }

  /** The entries of the node's running tasks (as of the last sync, plus placements since). */
  on(node: NodeId): Iterable<E> {
    return this.entries[node]?.values() ?? [];
  }

  /** Grows whenever the node's entries change. */
  version(node: NodeId): number {
    return this.versions[node] ?? 0;
  }

  private grow(n: number): void {
    while (this.entries.length < n) {
      this.entries.push(new Map());
      this.marks.push(-1, 0, 0, 0);
      this.versions.push(0);
    }
  }

  /** Do the marks equal the node's count and allocation, less the given amounts? */
  private current(cluster: ClusterView, node: number, count: number, cpu: number, memory: number, gpu: number): boolean {
    const m = this.marks, k = 4 * node, id = nodeId(node);
    return m[k] === cluster.taskCount(id) - count && m[k + 1] === cluster.allocated(id, 'cpu') - cpu &&
      m[k + 2] === cluster.allocated(id, 'memory') - memory && m[k + 3] === cluster.allocated(id, 'gpu') - gpu;
  }

  private mark(cluster: ClusterView, node: number): void {
    const m = this.marks, k = 4 * node, id = nodeId(node);
    m[k] = cluster.taskCount(id);
    m[k + 1] = cluster.allocated(id, 'cpu');
    m[k + 2] = cluster.allocated(id, 'memory');
    m[k + 3] = cluster.allocated(id, 'gpu');
  }

  private enter(node: number, task: TaskId, r: RunningTask): void {
    const map = this.entries[node]!;
    const old = map.get(task);
    if (old !== undefined) this.hooks.removed?.(old); // the id now names another attempt
    const entry = this.read(r);
    map.set(task, entry);
    this.versions[node]!++;
    this.hooks.added?.(entry);
  }

  /** Drops the entries of tasks no longer on the node and reads those not known. */
  private reconcile(cluster: ClusterView, node: number): void {
    const map = this.entries[node]!;
    const ids = cluster.tasksOn(nodeId(node));
    const here = new Set<number>(ids);
    for (const [id, e] of map) {
      if (here.has(id)) continue;
      map.delete(id);
      this.hooks.removed?.(e);
    }
    for (const id of ids) {
      if (map.has(id)) continue;
      const r = cluster.running(id);
      if (r !== undefined) this.enter(node, id, r);
    }
    this.versions[node]!++;
    this.mark(cluster, node);
  }
}

/** The first node in cluster order with room that the task's placement rules allow. */
export function firstAllowed(task: PendingTask, cluster: ClusterView): NodeId | undefined {
  if (!hasPlacementRules(task, cluster)) return cluster.firstFit(task);
  for (const node of cluster.feasible(task)) if (placementAllows(task, node, cluster)) return node;
  return undefined;
}

/**
 * Could the up node hold the task once empty, its constraints and its node's NoSchedule taints
 * allowing? (Rules on running tasks, affinity and spread, change as tasks end: not asked.)
 */
export function couldHoldWhenEmpty(task: PendingTask, node: NodeId, cluster: ClusterView): boolean {
  if (cluster.status(node) !== 'up' || cluster.capacity(node, 'cpu') < task.cpu ||
    cluster.capacity(node, 'memory') < task.memory || cluster.capacity(node, 'gpu') < task.gpu) return false;
  if (task.constraints !== undefined && !satisfiesAll(cluster.labels(node), task.constraints)) return false;
  const taints = cluster.taints(node);
  return taints.length === 0 || !untolerated(taints, task.tolerations, 'NoSchedule');
}
