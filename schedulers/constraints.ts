// Placement rules: the one predicate every policy and the platform apply before anything else.
// A node allows a task when
//   - its labels meet the task's constraints (labels.ts: Google's task constraints, the GPU
//     models a task accepts);
//   - the task tolerates each of its NoSchedule taints (Kubernetes' TaintToleration filter);
//   - the task's required affinity, anti-affinity and hard topology spread hold there, counted
//     over the tasks running now (relations.ts; Kubernetes' InterPodAffinity and
//     PodTopologySpread filters).
// Soft rules (PreferNoSchedule taints, preferred affinity, soft spread) never reject a node:
// only the k8s-* policies score them; every other policy ignores them.

import type { ClusterView, NodeId, PendingTask, Reason, Resources, Taint, Toleration } from './contract.ts';
import { satisfiesAll } from './labels.ts';
import { hasHardRelations, relationsAllow } from './relations.ts';

export { satisfies, satisfiesAll } from './labels.ts';

/** What the rules read of a task: a PendingTask, or a trace's TaskRecord. */
export type RuleBearer = Pick<PendingTask, 'constraints' | 'tolerations' | 'affinity' | 'antiAffinity' | 'spread' | 'job' | 'group'>;

/** Kubernetes' ToleratesTaint. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect !== undefined && t.effect !== taint.effect) return false;
  if (t.key !== '' && t.key !== taint.key) return false;
  return t.operator === 'Exists' || (t.value ?? '') === taint.value;
}

export function tolerated(taint: Taint, tolerations: readonly Toleration[] | undefined): boolean {
  if (tolerations === undefined) return false;
  for (const t of tolerations) if (tolerates(t, taint)) return true;
  return false;
}

/** Does any of the taints with this effect go untolerated? */
export function untolerated(taints: readonly Taint[], tolerations: readonly Toleration[] | undefined, effect: Taint['effect']): boolean {
  for (const taint of taints) if (taint.effect === effect && !tolerated(taint, tolerations)) return true;
  return false;
}

/** Why the node may not take the task by its rules ('constraint', 'taint', 'affinity'), or undefined. */
export function rejectionByRules(task: RuleBearer, node: NodeId, cluster: ClusterView): Reason | undefined {
  if (task.constraints !== undefined && !satisfiesAll(cluster.labels(node), task.constraints)) return 'constraint';
  const taints = cluster.taints(node);
  if (taints.length > 0 && untolerated(taints, task.tolerations, 'NoSchedule')) return 'taint';
  if ((task.affinity !== undefined || task.antiAffinity !== undefined || task.spread !== undefined) &&
      !relationsAllow(task, node, cluster)) return 'affinity';
  return undefined;
}

/** The predicate: may the node take the task by its rules (room aside)? */
export function placementAllows(task: RuleBearer, node: NodeId, cluster: ClusterView): boolean {
  return rejectionByRules(task, node, cluster) === undefined;
}

/** Why the node cannot take the task now: its room (or status), then the task's placement rules; undefined when it can. */
export function rejectionOf(task: RuleBearer & Resources, node: NodeId, cluster: ClusterView): Reason | undefined {
  return cluster.rejection(node, task) ?? rejectionByRules(task, node, cluster);
}

/**
 * Can the rules reject a node of this cluster for the task? False means that every node with
 * room may take it: then the cluster's index answers for the task, a failed request covers
 * larger ones, and the platform may park it. True for constraints, required affinity or
 * anti-affinity, hard spread, and a NoSchedule taint somewhere that the task does not tolerate.
 */
export function hasPlacementRules(task: RuleBearer, cluster: ClusterView): boolean {
  if (task.constraints !== undefined || hasHardRelations(task)) return true;
  const hard = clusterTaints(cluster).noSchedule;
  return hard.length > 0 && untolerated(hard, task.tolerations, 'NoSchedule');
}

/** The distinct taints of a cluster's nodes, by effect. */
export interface TaintSummary {
  readonly noSchedule: readonly Taint[];
  readonly preferNoSchedule: readonly Taint[];
}

const summaries = new WeakMap<ClusterView, TaintSummary>();
/** The last view asked about (a round asks about one view for every task), held weakly. */
let last: { cluster: WeakRef<ClusterView>; summary: TaintSummary } | undefined;

/** The cluster's distinct taints (computed once per view: taints do not change while it lives). */
export function clusterTaints(cluster: ClusterView): TaintSummary {
  if (last !== undefined && last.cluster.deref() === cluster) return last.summary;
  let summary = summaries.get(cluster);
  if (summary === undefined) {
    const seen = new Map<string, Taint>();
    for (let n = 0; n < cluster.nodeCount; n++) {
      for (const t of cluster.taints(n as NodeId)) seen.set(`${t.effect}\n${t.key}\n${t.value}`, t);
    }
    const all = [...seen.values()];
    summary = { noSchedule: all.filter((t) => t.effect === 'NoSchedule'), preferNoSchedule: all.filter((t) => t.effect === 'PreferNoSchedule') };
    summaries.set(cluster, summary);
  }
  last = { cluster: new WeakRef(cluster), summary };
  return summary;
}

