// What policies that pick one node per task share: the decisions they yield (place the task, or,
// when someone asks, say why it waits), and the saving that a request at least as large as one
// that found no node in this round finds none either.

import { hasPlacementRules, rejectionByRules } from './constraints.ts';
import type { ClusterView, DecideContext, Decision, NodeId, PendingTask, Reason, Resources } from './contract.ts';

/**
 * Places each pending task on the node `pick` chooses. `pick` is asked only about tasks that
 * may fit: a task without placement rules (hasPlacementRules) asking for at least what an
 * earlier one failed to get in this round is passed over, since free room only shrinks within a
 * round. Set `memo` false for a policy that rejects nodes by rules of its own (then a larger
 * request may still find a node).
 */
export function* placeEach(
  pending: readonly PendingTask[], cluster: ClusterView, ctx: DecideContext,
  pick: (task: PendingTask) => NodeId | undefined, memo = true,
): Generator<Decision> {
  const failed = memo ? new FailedRequests() : undefined;
  for (const task of pending) {
    const plain = failed !== undefined && !hasPlacementRules(task, cluster) ? failed : undefined;
    const covered = plain !== undefined && plain.covers(task);
    const node = covered ? undefined : pick(task);
    if (node !== undefined) {
      yield { kind: 'place', task: task.id, node };
      continue;
    }
    if (!covered) plain?.add(task);
    if (ctx.reasons) yield { kind: 'wait', task: task.id, reason: waitReason(task, cluster, !memo) };
  }
}

/**
 * Why a task found no node: the cluster-wide shortage when no node has room; else the rule of
 * the task that rejected the first node with room ('constraint', 'taint', 'affinity'), or
 * 'constraint' when its rules allow a node with room that the policy's own filters (`filtered`)
 * rejected.
 */
export function waitReason(task: PendingTask, cluster: ClusterView, filtered = false): Reason {
  const rules = hasPlacementRules(task, cluster);
  if ((!filtered && !rules) || cluster.firstFit(task) === undefined) return cluster.bottleneck(task);
  if (rules) {
    for (const node of cluster.feasible(task)) {
      const reason = rejectionByRules(task, node, cluster);
      if (reason !== undefined) return reason;
      break;
    }
  }
  return 'constraint';
}

/**
 * The smallest requests that found no node (a few; they rarely differ): a request covering one
 * of them finds none either, as long as free room has not grown since.
 */
export class FailedRequests {
  private readonly list: Resources[] = [];
  /** Set once a request was left out to keep the list short: then `covers` may miss it. */
  private dropped = false;

  /** @param limit the most requests kept (each covers() reads them all) */
  constructor(private readonly limit = 16) {}

  /** Was a request left out, so that anyFits can only say yes? */
  get full(): boolean {
    return this.dropped;
  }

  covers(r: Resources): boolean {
    for (const f of this.list) if (f.cpu <= r.cpu && f.memory <= r.memory && f.gpu <= r.gpu) return true;
    return false;
  }

  add(r: Resources): void {
    if (this.covers(r)) return;
    // Drop requests the new one covers, and keep the list short.
    for (let i = this.list.length - 1; i >= 0; i--) {
      const f = this.list[i]!;
      if (r.cpu <= f.cpu && r.memory <= f.memory && r.gpu <= f.gpu) this.list.splice(i, 1);
    }
    if (this.list.length < this.limit) this.list.push({ cpu: r.cpu, memory: r.memory, gpu: r.gpu });
    else this.dropped = true;
  }

  /** Does `fits` hold for one of the requests (always true once one was left out)? */
  anyFits(fits: (r: Resources) => boolean): boolean {
    if (this.dropped) return true;
    for (const f of this.list) if (fits(f)) return true;
    return false;
  }

  clear(): void {
    this.list.length = 0;
    this.dropped = false;
  }
}
