// The score plugins of kube-scheduler's default profile that read placement rules, each
// normalised over the nodes a cycle found feasible as Kubernetes does, then weighted as in its
// default profile (pkg/scheduler/apis/config/v1/default_plugins.go):
//
//   TaintToleration (weight 3)   raw = the node's PreferNoSchedule taints the task does not
//                                tolerate; DefaultNormalizeScore(100, reverse): with max the
//                                highest raw, 100 - 100 * raw / max (integer division), and 100
//                                for every node when max is 0;
//   InterPodAffinity (weight 2)  raw = sum over the task's preferred rules of weight x the
//                                selected running tasks in the node's domain, negative for
//                                anti-affinity; with max = max(0, raws) and min = min(0, raws),
//                                int(100 * (raw - min) / (max - min)), 0 when max = min;
//   PodTopologySpread (weight 2) the task's soft spread rules, or when it has no spread rule and
//                                belongs to a group, the system defaults (node maxSkew 3, zone
//                                maxSkew 5: Kubernetes spreads the pods of a ReplicaSet or
//                                StatefulSet, a group here). Over the feasible nodes, a domain's
//                                weight is ln(domains + 2); raw = round(sum over rules of count x
//                                weight + maxSkew - 1), counting the group's running tasks in
//                                the node's domain on nodes that meet the task's constraints;
//                                100 * (max + min - raw) / max (integer division), 100 when max
//                                is 0; a node without a rule's label scores 0 (soft rules) or
//                                skips that rule (defaults).
//
// Not modelled: the running tasks' own rules about the task (InterPodAffinity's symmetric terms,
// hardPodAffinityWeight), preferred NodeAffinity (tasks have no preferred label terms) and
// ImageLocality: they score every node alike here.

import type { ClusterView, NodeId, PendingTask, Taint, Toleration } from '../contract.ts';
import { clusterTaints, satisfiesAll, untolerated } from '../constraints.ts';
import { NODE_SCOPE, countInDomain } from '../relations.ts';

export const TAINT_TOLERATION_WEIGHT = 3;
export const INTER_POD_AFFINITY_WEIGHT = 2;
export const POD_TOPOLOGY_SPREAD_WEIGHT = 2;
const MAX = 100;

/** Kubernetes' system default spread constraints (ScheduleAnyway), for the tasks of a group. */
export const DEFAULT_SPREAD: readonly SoftSpread[] = [{ label: NODE_SCOPE, maxSkew: 3 }, { label: 'zone', maxSkew: 5 }];

interface SoftSpread {
  readonly label: string;
  readonly maxSkew: number;
}

/** Would the rule plugins score the task's candidates unequally? (Otherwise they add a constant.) */
export function scoresRules(task: PendingTask, cluster: ClusterView): boolean {
  const prefer = clusterTaints(cluster).preferNoSchedule;
  return (prefer.length > 0 && untolerated(prefer, task.tolerations, 'PreferNoSchedule')) ||
    (task.affinity?.some((r) => !r.required) ?? false) || (task.antiAffinity?.some((r) => !r.required) ?? false) ||
    softSpread(task) !== undefined;
}

/** The weighted sum of the three plugins' normalised scores for each candidate, in order. */
export function ruleScores(task: PendingTask, candidates: readonly NodeId[], cluster: ClusterView): number[] {
  const taints = normalizeReverse(candidates.map((n) => intolerablePreferNoSchedule(cluster.taints(n), task.tolerations)));
  const affinity = normalizeInterPodAffinity(candidates.map((n) => interPodAffinityRaw(task, n, cluster)));
  const spread = podTopologySpreadScores(task, candidates, cluster);
  return candidates.map((_, i) =>
    TAINT_TOLERATION_WEIGHT * taints[i]! + INTER_POD_AFFINITY_WEIGHT * affinity[i]! + POD_TOPOLOGY_SPREAD_WEIGHT * spread[i]!);
}

/** TaintToleration's raw score: the PreferNoSchedule taints not tolerated. */
export function intolerablePreferNoSchedule(taints: readonly Taint[], tolerations: readonly Toleration[] | undefined): number {
  let count = 0;
  for (const t of taints) if (t.effect === 'PreferNoSchedule' && untolerated([t], tolerations, 'PreferNoSchedule')) count++;
  return count;
}

/** DefaultNormalizeScore(100, reverse = true). */
export function normalizeReverse(raw: readonly number[]): number[] {
  let max = 0;
  for (const s of raw) if (s > max) max = s;
  if (max === 0) return raw.map(() => MAX);
  return raw.map((s) => MAX - Math.trunc((MAX * s) / max));
}

/** InterPodAffinity's raw score: the task's preferred rules only. */
export function interPodAffinityRaw(task: PendingTask, node: NodeId, cluster: ClusterView): number {
  let score = 0;
  for (const rule of task.affinity ?? []) if (!rule.required) score += (rule.weight ?? 1) * (countInDomain(cluster, task, rule, node) ?? 0);
  for (const rule of task.antiAffinity ?? []) if (!rule.required) score -= (rule.weight ?? 1) * (countInDomain(cluster, task, rule, node) ?? 0);
  return score;
}

export function normalizeInterPodAffinity(raw: readonly number[]): number[] {
  let max = 0, min = 0;
  for (const s of raw) {
    if (s > max) max = s;
    if (s < min) min = s;
  }
  const diff = max - min;
  return raw.map((s) => (diff > 0 ? Math.trunc(MAX * ((s - min) / diff)) : 0));
}

/** The spread rules PodTopologySpread scores, and whether a node needs every label; undefined: none. */
function softSpread(task: PendingTask): { rules: readonly SoftSpread[]; requireAll: boolean } | undefined {
  if (task.spread !== undefined) {
    const rules = task.spread.filter((s) => !s.hard);
    return rules.length > 0 ? { rules, requireAll: true } : undefined;
  }
  return task.group !== undefined ? { rules: DEFAULT_SPREAD, requireAll: false } : undefined;
}

/** PodTopologySpread's normalised scores for the candidates (0 for all when it has no rule to score). */
export function podTopologySpreadScores(task: PendingTask, candidates: readonly NodeId[], cluster: ClusterView): number[] {
  const soft = softSpread(task);
  if (soft === undefined) return candidates.map(() => 0);
  const { rules, requireAll } = soft;
  const lacks = (node: NodeId) => requireAll && rules.some((r) => r.label !== NODE_SCOPE && cluster.labels(node)[r.label] === undefined);
  // PreScore: the domains among the candidates, each rule's weight, the group's count per domain.
  const ignored = candidates.map(lacks);
  const kept = ignored.filter((x) => !x).length;
  const domains = rules.map(() => new Map<string, number>());
  candidates.forEach((node, i) => {
    if (ignored[i]) return;
    rules.forEach((r, k) => { if (r.label !== NODE_SCOPE) domains[k]!.set(cluster.labels(node)[r.label] ?? '', 0); });
  });
  const weights = rules.map((r, k) => Math.log((r.label === NODE_SCOPE ? kept : domains[k]!.size) + 2));
  const group = cluster.runningByNode(task.job, task.group);
  for (const [node, count] of group) {
    if (task.constraints !== undefined && !satisfiesAll(cluster.labels(node), task.constraints)) continue;
    if (lacks(node)) continue;
    rules.forEach((r, k) => {
      if (r.label === NODE_SCOPE) return;
      const value = cluster.labels(node)[r.label] ?? '';
      const now = domains[k]!.get(value);
      if (now !== undefined) domains[k]!.set(value, now + count);
    });
  }
  // Score, then NormalizeScore.
  const raw = candidates.map((node, i) => {
    if (ignored[i]) return 0;
    let score = 0;
    rules.forEach((r, k) => {
      let count: number;
      if (r.label === NODE_SCOPE) count = group.get(node) ?? 0;
      else {
        const value = cluster.labels(node)[r.label];
        if (value === undefined) return;
        count = domains[k]!.get(value) ?? 0;
      }
      score += count * weights[k]! + (r.maxSkew - 1);
    });
    return Math.round(score);
  });
  let min = Infinity, max = 0;
  raw.forEach((s, i) => {
    if (ignored[i]) return;
    if (s < min) min = s;
    if (s > max) max = s;
  });
  return raw.map((s, i) => (ignored[i] ? 0 : max === 0 ? MAX : Math.trunc((MAX * (max + min - s)) / max)));
}
