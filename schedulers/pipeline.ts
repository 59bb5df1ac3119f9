// The placement pipeline, in the shape of Nomad's iterator stack and the Kubernetes framework:
//
//   feasibility  the node is up and has room (answered by the cluster's index), then the
//                policy's own filters, each rejecting with a Reason;
//   limit        which feasible nodes to consider: all of them, the first k in cluster order
//                (optionally from a cursor that rotates past the last node examined), or k
//                drawn at random;
//   score        scorers on 0-100, combined as a weighted mean;
//   select       the highest combined score; ties go to the lowest node index, or are drawn at
//                random.
//
// The stages come in that order because each narrows what the next pays for: filters are
// cheap and exact, the limit bounds the scoring cost, and selection needs every score.
//
// A task's own placement rules (constraints.ts: constraints on node labels, taints, affinity,
// anti-affinity, topology spread) are a filter every pipeline applies first. Soft rules are not
// scored here.
//
// When a policy is only "the first feasible node" or "the best node by an objective the index
// knows" (MostAllocated, LeastAllocated), and no rule of the task can reject a node of the
// cluster (hasPlacementRules), the pipeline asks the index directly instead of visiting the
// feasible nodes; test/pipeline-index.test.ts checks that both ways agree.

import { hasPlacementRules, placementAllows, rejectionOf } from './constraints.ts';
import { placeEach } from './per-task.ts';
import { SCORE_EPSILON, beats } from './scores.ts';
import { nodeId } from './contract.ts';
import type {
  ClusterView, DecideContext, Decision, NodeId, NodeVerdict, Objective, PendingTask, Reason, Scheduler,
} from './contract.ts';

export interface Filter {
  readonly name: string;
  /** Why the node cannot take the task, or undefined when it can. */
  check(task: PendingTask, node: NodeId, cluster: ClusterView): Reason | undefined;
}

export interface Scorer {
  readonly name: string;
  /** Weight in the combined score (default 1). */
  readonly weight?: number;
  /** 0-100, higher is better. */
  score(task: PendingTask, node: NodeId, cluster: ClusterView, ctx: DecideContext): number;
  /** Set when the score is one the cluster's index can rank by. */
  readonly objective?: Objective;
}

export type Limit =
  | { readonly kind: 'all' }
  | { readonly kind: 'first'; readonly count: number; readonly rotate: boolean }
  | { readonly kind: 'sample'; readonly count: number };

export type TieBreak = 'lowest-index' | 'random';

export interface PipelineSpec {
  readonly name: string;
  readonly filters?: readonly Filter[];
  readonly scorers?: readonly Scorer[];
  /** Default: every feasible node when there are scorers, else the first one. */
  readonly limit?: Limit;
  readonly tieBreak?: TieBreak;
}

/** Random draws a sampling limit makes before it enumerates the feasible nodes instead. */
const SAMPLE_TRIES = 16;

export function pipeline(spec: PipelineSpec): Scheduler {
  return new Pipeline(spec);
}

class Pipeline implements Scheduler {
  readonly name: string;
  // A task no node has room for: no feasible node, so no candidate, no draw, no cursor move.
  readonly ignoresUnfit = true;
  private readonly filters: readonly Filter[];
  private readonly scorers: readonly Scorer[];
  private readonly limit: Limit;
  private readonly tieBreak: TieBreak;
  private readonly totalWeight: number;
  /** Where a rotating search starts. */
  private cursor = 0;

  constructor(spec: PipelineSpec) {
    this.name = spec.name;
    this.filters = spec.filters ?? [];
    this.scorers = spec.scorers ?? [];
    this.limit = spec.limit ?? (this.scorers.length > 0 ? { kind: 'all' } : { kind: 'first', count: 1, rotate: false });
    this.tieBreak = spec.tieBreak ?? 'lowest-index';
    this.totalWeight = this.scorers.reduce((sum, s) => sum + (s.weight ?? 1), 0);
    if (this.limit.kind !== 'all' && !(Number.isInteger(this.limit.count) && this.limit.count >= 1)) {
      throw new RangeError(`${spec.name}: a limit's count must be a whole number >= 1`);
    }
    for (const s of this.scorers) {
      if (!((s.weight ?? 1) > 0)) throw new RangeError(`${spec.name}: scorer ${s.name} needs a weight > 0`);
    }
  }

  decide(pending: readonly PendingTask[], cluster: ClusterView, ctx: DecideContext): Iterable<Decision> {
    // With no filters, a task asking for at least what an earlier one failed to get in this
    // round fails too, and is not looked at (Kubernetes' equivalence classes make the same saving).
    return placeEach(pending, cluster, ctx, (task) => this.pick(task, cluster, ctx), this.filters.length === 0);
  }

  /** The node for the task, or undefined when none is feasible. */
  pick(task: PendingTask, cluster: ClusterView, ctx: DecideContext): NodeId | undefined {
    const limit = this.limit;
    const plain = this.filters.length === 0 && !hasPlacementRules(task, cluster);
    // Fast paths: the index answers the whole question.
    if (plain && this.scorers.length === 0 && limit.kind === 'first' && limit.count === 1) {
      const node = cluster.firstFit(task, limit.rotate ? this.cursor : 0);
      if (node !== undefined && limit.rotate) this.cursor = (node + 1) % cluster.nodeCount;
      return node;
    }
    const only = this.scorers.length === 1 ? this.scorers[0] : undefined;
    if (plain && limit.kind === 'all' && only?.objective && this.tieBreak === 'lowest-index') {
      return cluster.bestFit(task, only.objective);
    }
    return this.select(task, this.candidates(task, cluster, ctx), cluster, ctx);
  }

  /** The feasible nodes the limit lets through, in the order it met them. */
  private candidates(task: PendingTask, cluster: ClusterView, ctx: DecideContext): NodeId[] {
    const limit = this.limit;
    if (limit.kind === 'sample') return this.sample(task, cluster, ctx, limit.count);
    const max = limit.kind === 'all' ? Infinity : limit.count;
    const from = limit.kind === 'first' && limit.rotate ? this.cursor : 0;
    const out: NodeId[] = [];
    let last: NodeId | undefined;
    for (const node of cluster.feasible(task, from)) {
      last = node;
      if (!this.passes(task, node, cluster)) continue;
      out.push(node);
      if (out.length >= max) break;
    }
    if (limit.kind === 'first' && limit.rotate && last !== undefined) this.cursor = (last + 1) % cluster.nodeCount;
    return out;
  }

  /** `count` distinct feasible nodes, uniformly at random from the seeded stream. */
  private sample(task: PendingTask, cluster: ClusterView, ctx: DecideContext, count: number): NodeId[] {
    const n = cluster.nodeCount;
    const out: NodeId[] = [];
    if (cluster.firstFit(task) === undefined) return out;
    // Draw nodes at random while that is likely to succeed: each kept draw is uniform over
    // the feasible nodes not drawn yet.
    for (let tries = 0; tries < SAMPLE_TRIES && out.length < count; tries++) {
      const node = nodeId(Math.floor(ctx.random() * n));
      if (!out.includes(node) && cluster.fits(node, task) && this.passes(task, node, cluster)) out.push(node);
    }
    if (out.length >= count) return out;
    // Few feasible nodes: enumerate them and complete the sample by partial Fisher-Yates.
    const rest: NodeId[] = [];
    for (const node of cluster.feasible(task)) {
      if (!out.includes(node) && this.passes(task, node, cluster)) rest.push(node);
    }
    for (let i = 0; i < rest.length && out.length < count; i++) {
      const j = i + Math.floor(ctx.random() * (rest.length - i));
      const chosen = rest[j]!;
      rest[j] = rest[i]!;
      out.push(chosen);
    }
    return out;
  }

  explain(task: PendingTask, cluster: ClusterView, ctx: DecideContext): NodeVerdict[] {
    const out: NodeVerdict[] = [];
    for (let i = 0; i < cluster.nodeCount; i++) {
      const node = nodeId(i);
      let rejected = rejectionOf(task, node, cluster);
      for (const f of this.filters) rejected ??= f.check(task, node, cluster);
      if (rejected !== undefined) {
        out.push({ node, rejected });
        continue;
      }
      const scores: Record<string, number> = {};
      for (const s of this.scorers) scores[s.name] = s.score(task, node, cluster, ctx);
      out.push(this.scorers.length > 0 ? { node, scores, total: this.combined(task, node, cluster, ctx) } : { node, scores });
    }
    return out;
  }

  private passes(task: PendingTask, node: NodeId, cluster: ClusterView): boolean {
    if (!placementAllows(task, node, cluster)) return false;
    for (const f of this.filters) if (f.check(task, node, cluster) !== undefined) return false;
    return true;
  }

  private select(task: PendingTask, candidates: NodeId[], cluster: ClusterView, ctx: DecideContext): NodeId | undefined {
    if (this.scorers.length === 0) return candidates[0];
    let best: NodeId | undefined;
    let bestScore = -Infinity;
    let ties = 0;
    for (const node of candidates) {
      const score = this.combined(task, node, cluster, ctx);
      if (this.tieBreak === 'random' && best !== undefined && Math.abs(score - bestScore) <= SCORE_EPSILON) {
        // Reservoir sampling over the tied nodes, as Kubernetes' selectHost does.
        ties++;
        if (Math.floor(ctx.random() * ties) === 0) best = node;
        continue;
      }
      if (best === undefined || beats(score, node, bestScore, best)) {
        best = node;
        bestScore = score;
        ties = 1;
      }
    }
    return best;
  }

  private combined(task: PendingTask, node: NodeId, cluster: ClusterView, ctx: DecideContext): number {
    let sum = 0;
    for (const s of this.scorers) sum += (s.weight ?? 1) * s.score(task, node, cluster, ctx);
    return sum / this.totalWeight;
  }

}
