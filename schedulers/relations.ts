// Rules on where a task runs relative to the tasks running now, as Kubernetes' InterPodAffinity
// and PodTopologySpread filters decide them:
//
//   a rule's tasks   `to` selects running tasks by job (the task's own when not given) and group
//                    (any group of the job when not given); a spread rule counts the task's own
//                    job and group;
//   a domain         a node (`scope: node`), or the nodes sharing its value of a label (`zone`);
//   affinity         the node's domain runs a selected task. The first task of a kind passes:
//                    when no node with the label runs a selected task and the task is selected
//                    by its own rule, any node with the label will do. Each rule holds on its own
//                    (Kubernetes counts a running pod only when it matches every term of the
//                    incoming pod: the same with one term). A node without the label fails;
//   anti-affinity    the node's domain runs no selected task (a node without the label passes);
//   spread           count(node's domain) + 1 - min count over the domains <= maxSkew, the
//                    domains being the label's values on the nodes (up or down, not absent) that
//                    meet the task's constraints and have the labels of all its hard spread
//                    rules (Kubernetes' nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore); a
//                    node without the label fails.
//
// Not modelled: the rules of running tasks about the task being placed (Kubernetes also keeps a
// pod off a node where a running pod's anti-affinity selects it: here a task's rules bind that
// task only), minDomains, matchLabelKeys, namespaces.
//
// Counts come from ClusterView.runningByNode (indexed) and are summed per domain once per
// generation of the view, so that a rule costs a lookup per node, not a scan of the cluster.

import type { ClusterView, NodeId, PendingTask, SpreadRule } from './contract.ts';
import type { AffinityRule, Constraint } from '../traces/record.ts';
import { satisfiesAll } from './labels.ts';

type Related = Pick<PendingTask, 'constraints' | 'affinity' | 'antiAffinity' | 'spread' | 'job' | 'group'>;

/** The scope meaning "the node itself". */
export const NODE_SCOPE = 'node';

/** Does the task have a rule of this kind that can reject a node? */
export function hasHardRelations(task: Related): boolean {
  return (task.affinity !== undefined && task.affinity.some((r) => r.required)) ||
    (task.antiAffinity !== undefined && task.antiAffinity.some((r) => r.required)) ||
    (task.spread !== undefined && task.spread.some((s) => s.hard));
}

/**
 * Can a task's start let this task run where it could not before? Only a required affinity
 * (the task it names starts) or a hard spread (a least loaded domain fills up) can; constraints,
 * taints and anti-affinity only reject more nodes as tasks start.
 */
export function waitsOnStarts(task: Related): boolean {
  return (task.affinity !== undefined && task.affinity.some((r) => r.required)) ||
    (task.spread !== undefined && task.spread.some((s) => s.hard));
}

/** Do the task's required affinity, anti-affinity and hard spread rules let it run on the node? */
export function relationsAllow(task: Related, node: NodeId, cluster: ClusterView): boolean {
  if (task.affinity !== undefined) {
    for (const rule of task.affinity) {
      if (!rule.required) continue;
      const here = countInDomain(cluster, task, rule, node);
      if (here === undefined) return false;
      if (here === 0 && !(selects(rule, task, task) && !anyInScope(cluster, task, rule))) return false;
    }
  }
  if (task.antiAffinity !== undefined) {
    for (const rule of task.antiAffinity) {
      if (rule.required && (countInDomain(cluster, task, rule, node) ?? 0) > 0) return false;
    }
  }
  if (task.spread !== undefined) {
    for (const rule of task.spread) if (rule.hard && !spreadAllows(cluster, task, rule, node)) return false;
  }
  return true;
}

/** The job and group a rule of `owner` selects. */
export function target(rule: AffinityRule, owner: Related): { job: string | undefined; group: string | undefined } {
  return { job: rule.to.job ?? owner.job, group: rule.to.group };
}

/** Does the rule of `owner` select `task`? */
export function selects(rule: AffinityRule, owner: Related, task: Related): boolean {
  const { job, group } = target(rule, owner);
  return job === task.job && (group === undefined || group === task.group);
}

/** Running tasks the rule selects in the node's domain, or undefined when the node lacks the scope's label. */
export function countInDomain(cluster: ClusterView, owner: Related, rule: AffinityRule, node: NodeId): number | undefined {
  const { job, group } = target(rule, owner);
  if (rule.scope === NODE_SCOPE) return cluster.runningByNode(job, group).get(node) ?? 0;
  const value = cluster.labels(node)[rule.scope];
  if (value === undefined) return undefined;
  return byLabel(cluster, job, group, rule.scope).get(value) ?? 0;
}

/** Does any node with the scope's label run a task the rule selects? */
function anyInScope(cluster: ClusterView, owner: Related, rule: AffinityRule): boolean {
  const { job, group } = target(rule, owner);
  if (rule.scope === NODE_SCOPE) return cluster.runningByNode(job, group).size > 0;
  return byLabel(cluster, job, group, rule.scope).size > 0;
}

function spreadAllows(cluster: ClusterView, task: Related, rule: SpreadRule, node: NodeId): boolean {
  const value = domainOf(cluster, node, rule.label);
  if (value === undefined) return false;
  const { counts, min } = spreadDomains(cluster, task, rule.label);
  return (counts.get(value) ?? 0) + 1 - min <= rule.maxSkew;
}

/** The node's domain for a label: its value, or for `node` the node itself. */
export function domainOf(cluster: ClusterView, node: NodeId, label: string): string | undefined {
  return label === NODE_SCOPE ? `#${node}` : cluster.labels(node)[label];
}

// ---- Counts per domain, kept for one generation of the view ----

class Cache {
  generation = -1;
  readonly byLabel = new Map<string, Map<string, number>>();
  readonly spread = new Map<string, { counts: Map<string, number>; min: number }>();
}

const caches = new WeakMap<ClusterView, Cache>();

function cacheOf(cluster: ClusterView): Cache {
  let cache = caches.get(cluster);
  if (cache === undefined) caches.set(cluster, (cache = new Cache()));
  if (cache.generation !== cluster.generation) {
    cache.byLabel.clear();
    cache.spread.clear();
    cache.generation = cluster.generation;
  }
  return cache;
}

/** Running tasks of the job (and group) by value of the label, over the nodes that have it. */
export function byLabel(cluster: ClusterView, job: string | undefined, group: string | undefined, label: string): ReadonlyMap<string, number> {
  const cache = cacheOf(cluster);
  const key = `${label}\n${job ?? '\u0000'}\n${group ?? '\u0000'}`;
  let counts = cache.byLabel.get(key);
  if (counts === undefined) {
    counts = new Map();
    for (const [node, n] of cluster.runningByNode(job, group)) {
      const value = cluster.labels(node)[label];
      if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + n);
    }
    cache.byLabel.set(key, counts);
  }
  return counts;
}

/** The task's group counted in each spread domain of the label, and the smallest count. */
export function spreadDomains(cluster: ClusterView, task: Related, label: string): { counts: ReadonlyMap<string, number>; min: number } {
  const cache = cacheOf(cluster);
  let hardLabels = '';
  for (const s of task.spread ?? []) if (s.hard) hardLabels += `${s.label}\n`;
  const key = `${label}\n${task.job ?? '\u0000'}\n${task.group ?? '\u0000'}\n${hardLabels}${constraintsKey(task.constraints)}`;
  let domains = cache.spread.get(key);
  if (domains === undefined) {
    const counts = new Map<string, number>();
    for (let n = 0; n < cluster.nodeCount; n++) {
      const node = n as NodeId;
      const value = eligible(cluster, node, task) ? domainOf(cluster, node, label) : undefined;
      if (value !== undefined) counts.set(value, 0);
    }
    for (const [node, n] of cluster.runningByNode(task.job, task.group)) {
      const value = domainOf(cluster, node, label);
      const now = value === undefined ? undefined : counts.get(value);
      if (now !== undefined && eligible(cluster, node, task)) counts.set(value!, now + n);
    }
    // No domain at all: nothing to be skewed against (Kubernetes' minimum is then MaxInt32).
    let min = Infinity;
    for (const c of counts.values()) if (c < min) min = c;
    domains = { counts, min };
    cache.spread.set(key, domains);
  }
  return domains;
}

/** A node whose domains count for the task's spread: in the cluster, meeting its constraints, with every hard spread label. */
function eligible(cluster: ClusterView, node: NodeId, task: Related): boolean {
  if (cluster.status(node) === 'absent') return false;
  const labels = cluster.labels(node);
  if (task.constraints !== undefined && !satisfiesAll(labels, task.constraints)) return false;
  for (const s of task.spread ?? []) if (s.hard && s.label !== NODE_SCOPE && labels[s.label] === undefined) return false;
  return true;
}

const keys = new WeakMap<readonly Constraint[], string>();

function constraintsKey(constraints: readonly Constraint[] | undefined): string {
  if (constraints === undefined) return '';
  let key = keys.get(constraints);
  if (key === undefined) keys.set(constraints, (key = JSON.stringify(constraints)));
  return key;
}
