// The Kubernetes scheduler's default profile, as kubernetes/kubernetes computes it
// (pkg/scheduler/schedule_one.go, framework/plugins/noderesources/; formulas in
// ../shared/reference/scheduler-formulas.md):
//
//   filtering starts where the previous cycle stopped and stops once it has found
//   numFeasibleNodesToFind nodes: every node below 100 nodes, else n * max(5, 50 - n/125) / 100
//   (integer arithmetic), at least 100;
//   NodeResourcesFit scores each resource in integer arithmetic, with requested = what the
//   node runs plus the pod (0 cpu counts as 100 millicores and 0 memory as 200 MiB here):
//     LeastAllocated (cap - requested) * 100 / cap   MostAllocated min(requested, cap) * 100 / cap
//     and averages cpu and memory (weights 1, 1) in integer division;
//   BalancedAllocation: f = min(requested / cap, 1) for cpu and memory (actual requests),
//     score = int((1 - |f_cpu - f_mem| / 2) * 100); a pod that asks for nothing is not scored;
//   the node with the highest sum of plugin scores x weights wins, ties drawn uniformly at
//   random (reservoir sampling, as selectHost does).
//
// Filtering applies the task's placement rules (../constraints.ts): its constraints act as
// NodeAffinity's required terms; NoSchedule taints as TaintToleration's filter; required
// affinity, anti-affinity and hard spread as InterPodAffinity's and PodTopologySpread's filters.
// Scoring adds TaintToleration (PreferNoSchedule taints), InterPodAffinity (preferred rules) and
// PodTopologySpread (soft rules, or the system defaults for a group's tasks), normalised over
// the feasible nodes found (kubernetes-rules.ts). When none of them can tell the nodes apart
// (no such taint or rule) they add the same to every node and are left out. Preferred
// NodeAffinity and ImageLocality score every node alike here. The node's requested amounts are
// its tasks' actual requests (Kubernetes sums their non-zero defaults). GPUs are a fit test.

import { placementAllows } from '../constraints.ts';
import type { ClusterView, DecideContext, Decision, NodeId, PendingTask, Scheduler } from '../contract.ts';
import { placeEach } from '../per-task.ts';
import { ruleScores, scoresRules } from './kubernetes-rules.ts';

export const MAX_NODE_SCORE = 100;
const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;
/** Defaults Kubernetes gives a request of zero, for scoring: 100 millicores, 200 MiB. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST_MIB = 200;

/** How many feasible nodes a cycle looks for, with percentageOfNodesToScore unset. */
export function numFeasibleNodesToFind(numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  const percentage = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND, 50 - Math.trunc(numAllNodes / 125));
  const numNodes = Math.trunc((numAllNodes * percentage) / 100);
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, numNodes);
}

export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

export function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  return Math.trunc((Math.min(requested, capacity) * MAX_NODE_SCORE) / capacity);
}

export type FitStrategy = 'least-allocated' | 'most-allocated';

/** NodeResourcesFit's score: cpu and memory, weight 1 each, over resources the node has. */
export function fitScore(strategy: FitStrategy, reqCpu: number, capCpu: number, reqMem: number, capMem: number): number {
  const score = strategy === 'least-allocated' ? leastRequestedScore : mostRequestedScore;
  let sum = 0;
  let weights = 0;
  if (capCpu !== 0) { sum += score(reqCpu, capCpu); weights++; }
  if (capMem !== 0) { sum += score(reqMem, capMem); weights++; }
  return weights === 0 ? 0 : Math.trunc(sum / weights);
}

/** BalancedAllocation's score for cpu and memory, or 0 when the node has neither. */
export function balancedScore(reqCpu: number, capCpu: number, reqMem: number, capMem: number): number {
  const fractions: number[] = [];
  if (capCpu !== 0) fractions.push(Math.min(reqCpu / capCpu, 1));
  if (capMem !== 0) fractions.push(Math.min(reqMem / capMem, 1));
  const std = fractions.length === 2 ? Math.abs(fractions[0]! - fractions[1]!) / 2 : 0;
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

function kubernetes(name: string, strategy: FitStrategy): Scheduler {
  /** Where the next cycle's search starts (nextStartNodeIndex). */
  let nextStart = 0;

  const total = (task: PendingTask, node: NodeId, cluster: ClusterView): number => {
    const capCpu = cluster.capacity(node, 'cpu');
    const capMem = cluster.capacity(node, 'memory');
    const usedCpu = cluster.allocated(node, 'cpu');
    const usedMem = cluster.allocated(node, 'memory');
    const fit = fitScore(strategy,
      usedCpu + (task.cpu === 0 ? DEFAULT_MILLI_CPU_REQUEST : task.cpu), capCpu,
      usedMem + (task.memory === 0 ? DEFAULT_MEMORY_REQUEST_MIB : task.memory), capMem);
    const bestEffort = task.cpu === 0 && task.memory === 0;
    const balanced = bestEffort ? 0 : balancedScore(usedCpu + task.cpu, capCpu, usedMem + task.memory, capMem);
    return fit + balanced;
  };

  /** Nodes that pass filtering, from where the previous cycle stopped, until enough are found. */
  const feasibleNodes = (task: PendingTask, cluster: ClusterView): NodeId[] => {
    const n = cluster.nodeCount;
    const wanted = numFeasibleNodesToFind(n);
    const start = nextStart % n;
    const found: NodeId[] = [];
    let processed = n; // every node, unless the search stops early
    for (const node of cluster.feasible(task, start)) {
      if (!placementAllows(task, node, cluster)) continue;
      found.push(node);
      if (found.length >= wanted) {
        processed = (node - start + n) % n + 1;
        break;
      }
    }
    nextStart = (start + processed) % n;
    return found;
  };

  const pick = (task: PendingTask, cluster: ClusterView, ctx: DecideContext): NodeId | undefined => {
    if (cluster.nodeCount === 0) return undefined;
    const nodes = feasibleNodes(task, cluster);
    const rules = nodes.length > 1 && scoresRules(task, cluster) ? ruleScores(task, nodes, cluster) : undefined;
    // selectHost: the highest total; ties drawn uniformly by reservoir sampling, in search order.
    let best: NodeId | undefined;
    let bestScore = -1;
    let ties = 0;
    nodes.forEach((node, i) => {
      const score = total(task, node, cluster) + (rules?.[i] ?? 0);
      if (score > bestScore) {
        best = node;
        bestScore = score;
        ties = 1;
      } else if (score === bestScore) {
        ties++;
        if (Math.floor(ctx.random() * ties) === 0) best = node;
      }
    });
    return best;
  };

  return {
    name,
    // A task no node has room for meets no feasible node: no draw, and nextStart comes back to start.
    ignoresUnfit: true,
    decide: (pending: readonly PendingTask[], cluster: ClusterView, ctx: DecideContext): Iterable<Decision> =>
      placeEach(pending, cluster, ctx, (task) => pick(task, cluster, ctx)),
  };
}

export const k8sDefault = (): Scheduler => kubernetes('k8s-default', 'least-allocated');
export const k8sMostAllocated = (): Scheduler => kubernetes('k8s-most-allocated', 'most-allocated');
