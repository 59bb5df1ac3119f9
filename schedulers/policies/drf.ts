// drf: Dominant Resource Fairness (Ghodsi et al., "Dominant Resource Fairness: Fair Allocation
// of Multiple Resource Types", NSDI 2011), by progressive filling:
//
//   a group's dominant share = max over cpu, memory, gpu of (what its running tasks hold /
//                              the capacity of the up nodes);
//   each step, the group with the lowest dominant share starts its next pending task (in
//   queue order) on the first node with room; its share grows by that task's request.
//
// A group is a user (option `by=user`, the default) or a job (`by=job`); tasks that carry no
// user (or job) form one group of their own, shown as `(none)`. Fairness is measured over the
// tasks running now, as the view shows them, plus those this round starts: it is instantaneous
// DRF, with no memory of past use. Ties between equal shares go to the group whose next task
// comes first in the queue. A task that fits on no node waits and its group goes on with its
// next task (the group's share has not moved, so it stays first): the policy never leaves a
// task waiting while a node has room for it. Priorities order tasks within a group only.
//
// Not modelled: weights per user, resources other than cpu, memory and gpu, demands that change.

import FastPriorityQueue from 'fastpriorityqueue';
import {
  RESOURCES, nodeId, type ClusterView, type DecideContext, type Decision, type NodeId, type PendingTask, type Resource,
  type RunningTask, type Scheduler, type SchedulerOptions,
} from '../contract.ts';
import { hasPlacementRules } from '../constraints.ts';
import { RunningLedger, firstAllowed } from '../direct.ts';
import { FailedRequests, waitReason } from '../per-task.ts';

export type DrfGrouping = 'user' | 'job';
/** The group of the tasks that carry no user (or job). */
export const NO_GROUP = '(none)';

export function groupOf(task: { readonly user?: string; readonly job?: string }, by: DrfGrouping): string {
  return (by === 'user' ? task.user : task.job) ?? NO_GROUP;
}

/** max over resources of used / capacity, over the resources the cluster has. */
export function dominantShare(used: Readonly<Record<Resource, number>>, capacity: Readonly<Record<Resource, number>>): number {
  let share = 0;
  for (const r of RESOURCES) if (capacity[r] > 0) share = Math.max(share, used[r] / capacity[r]);
  return share;
}

type Usage = Record<Resource, number>;
interface Held { readonly group: string; readonly cpu: number; readonly memory: number; readonly gpu: number }

/** A group in a round: its share, and its pending tasks in queue order, with their places in the queue. */
interface Contender {
  readonly name: string;
  readonly used: Usage;
  share: number;
  readonly tasks: PendingTask[];
  readonly places: number[];
  next: number;
}

/** Contenders by (share, queue position of the next task): a total order, as positions differ. */
const contenders = () => new FastPriorityQueue<Contender>((a, b) => a.share < b.share || (a.share === b.share && a.places[a.next]! < b.places[b.next]!));

class Drf implements Scheduler {
  readonly name = 'drf';
  // A task no node has room for is tried, fails, and changes nothing: its group's share and
  // the order of the other groups' tasks are what they would be without it (see the header).
  readonly ignoresUnfit = true;
  /** What each group's running tasks hold. */
  private readonly held = new Map<string, Usage>();
  private readonly ledger: RunningLedger<Held>;

  constructor(private readonly by: DrfGrouping) {
    this.ledger = new RunningLedger<Held>(
      (r: RunningTask) => ({ group: groupOf(r, by), cpu: r.cpu, memory: r.memory, gpu: r.gpu }),
      { added: (e) => this.add(e, 1), removed: (e) => this.add(e, -1) },
    );
  }

  /** Each group's dominant share now, over the tasks running in the view (for reports and tests). */
  shares(cluster: ClusterView): Map<string, number> {
    this.ledger.sync(cluster);
    const capacity = upCapacity(cluster);
    return new Map([...this.held].map(([g, used]) => [g, dominantShare(used, capacity)]));
  }

  *decide(pending: readonly PendingTask[], cluster: ClusterView, ctx: DecideContext): Generator<Decision> {
    const byName = new Map<string, Contender>();
    pending.forEach((task, i) => {
      const name = groupOf(task, this.by);
      let c = byName.get(name);
      if (c === undefined) byName.set(name, c = { name, used: { cpu: 0, memory: 0, gpu: 0 }, share: 0, tasks: [], places: [], next: 0 });
      c.tasks.push(task);
      c.places.push(i);
    });
    // One group alone takes its tasks in queue order whatever its share: no need to know it.
    const contended = byName.size > 1;
    const capacity = contended ? upCapacity(cluster) : { cpu: 0, memory: 0, gpu: 0 };
    if (contended) this.ledger.sync(cluster);
    const queue = contenders();
    for (const c of byName.values()) {
      if (contended) {
        const held = this.held.get(c.name);
        if (held !== undefined) Object.assign(c.used, held);
        c.share = dominantShare(c.used, capacity);
      }
      queue.add(c);
    }

    // A request without placement rules covering one that found no node in this round finds none either.
    const failed = new FailedRequests();
    for (let c = queue.peek(); c !== undefined; c = queue.peek()) {
      // The tasks themselves, not their places: a platform may requeue tasks it evicts mid-round.
      const task = c.tasks[c.next]!;
      const plain = !hasPlacementRules(task, cluster);
      const node: NodeId | undefined = plain && failed.covers(task) ? undefined : firstAllowed(task, cluster);
      if (node !== undefined) {
        yield { kind: 'place', task: task.id, node };
        this.ledger.placed(cluster, task.id, node);
        if (contended) {
          for (const r of RESOURCES) c.used[r] += task[r];
          c.share = dominantShare(c.used, capacity);
        }
      } else {
        if (plain) failed.add(task);
        if (ctx.reasons) yield { kind: 'wait', task: task.id, reason: waitReason(task, cluster) };
      }
      // Its key changed (its share grew, or its next task moved on): back into order, or out.
      if (++c.next < c.tasks.length) queue.replaceTop(c);
      else queue.poll();
    }
  }

  private add(e: Held, sign: number): void {
    let used = this.held.get(e.group);
    if (used === undefined) this.held.set(e.group, used = { cpu: 0, memory: 0, gpu: 0 });
    used.cpu += sign * e.cpu;
    used.memory += sign * e.memory;
    used.gpu += sign * e.gpu;
    if (used.cpu === 0 && used.memory === 0 && used.gpu === 0) this.held.delete(e.group);
  }
}

function upCapacity(cluster: ClusterView): Usage {
  const total = { cpu: 0, memory: 0, gpu: 0 };
  for (let i = 0; i < cluster.nodeCount; i++) {
    const node = nodeId(i);
    if (cluster.status(node) !== 'up') continue;
    for (const r of RESOURCES) total[r] += cluster.capacity(node, r);
  }
  return total;
}

export function drf(options: SchedulerOptions = {}): Scheduler & { shares(cluster: ClusterView): Map<string, number> } {
  for (const key of Object.keys(options)) if (key !== 'by') throw new RangeError(`drf: unknown option ${key}; it takes by`);
  const by = options.by ?? 'user';
  if (by !== 'user' && by !== 'job') throw new RangeError(`drf: by must be user or job; got ${String(by)}`);
  return new Drf(by);
}
