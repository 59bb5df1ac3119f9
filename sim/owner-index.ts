// Running tasks by job and group, per node: what affinity, anti-affinity and topology spread
// count (ClusterView.runningByNode). The cluster books only amounts, so an owner is learnt from
// the platform's description of a running task. The index is built on first use, so that runs
// with no such rules pay nothing, and kept up to date from then on. A task is described as
// running only once the platform has finished starting it, after the cluster booked it: placed
// tasks wait in `arriving` and are counted at the next query.

import { nodeId, type NodeId, type RunningTask, type TaskId } from '../schedulers/contract.ts';

type Describe = (task: TaskId) => RunningTask | undefined;

const NONE: ReadonlyMap<NodeId, number> = new Map();

export class OwnerIndex {
  /** Node → count, by key (see `key`). */
  private readonly counts = new Map<string, Map<NodeId, number>>();
  /** Tasks placed since the last query, and their node. */
  private readonly arriving = new Map<number, number>();

  /** An index of what runs now: `tasks` lists the tasks of each node. */
  constructor(nodeCount: number, tasks: (node: NodeId) => TaskId[], describe: Describe) {
    for (let n = 0; n < nodeCount; n++) {
      for (const task of tasks(nodeId(n))) this.count(describe(task), n, 1);
    }
  }

  placed(task: number, node: number): void {
    this.arriving.set(task, node);
  }

  /** Call while the platform still describes the task as running. */
  removed(task: number, node: number, describe: Describe): void {
    if (this.arriving.delete(task)) return;
    this.count(describe(task as TaskId), node, -1);
  }

  get(job: string | undefined, group: string | undefined, describe: Describe): ReadonlyMap<NodeId, number> {
    if (this.arriving.size > 0) {
      for (const [task, node] of this.arriving) this.count(describe(task as TaskId), node, 1);
      this.arriving.clear();
    }
    return this.counts.get(key(job, group)) ?? NONE;
  }

  private count(task: RunningTask | undefined, node: number, delta: number): void {
    if (task === undefined) return;
    this.add(key(task.job, undefined), node, delta);
    if (task.group !== undefined) this.add(key(task.job, task.group), node, delta);
  }

  private add(k: string, node: number, delta: number): void {
    let byNode = this.counts.get(k);
    if (byNode === undefined) this.counts.set(k, (byNode = new Map()));
    const n = (byNode.get(nodeId(node)) ?? 0) + delta;
    if (n > 0) byNode.set(nodeId(node), n);
    else byNode.delete(nodeId(node));
  }
}

/** The job (or none) and the group (or any), as one string no two pairs share. */
function key(job: string | undefined, group: string | undefined): string {
  return `${job === undefined ? '-' : `j${job.length}:${job}`}${group === undefined ? '' : `|${group}`}`;
}
