// HashiCorp Nomad's placement, as hashicorp/nomad computes it (nomad/structs/funcs.go,
// scheduler/feasible/rank.go, stack.go @aa026cc9; formulas in
// ../shared/reference/scheduler-formulas.md):
//
//   the nodes are shuffled, and a task's search goes on from where the previous one stopped;
//   a feasible node's fitness, with util = what runs there plus the task:
//     freePct = 1 - util / capacity (cpu, memory); total = 10^freeCpu + 10^freeMem (2 … 20)
//     binpack = clamp(20 - total, 0, 18)   spread = clamp(total - 2, 0, 18)
//   its final score is fitness / 18 (the mean of the scores contributed, here only the fit);
//   the limit iterator lets through `limit` nodes: 2 for batch jobs, max(2, ceil(log2 n)) for
//   service jobs, passing over up to 3 nodes whose score is <= 0 (used only if the search runs
//   out); the highest score wins, the first met on a tie.
//
// Where berth departs: an evaluation in Nomad places one job; here the shuffle is drawn once per
// scheduling round (from the scheduler's seeded stream, not Go's), and a round may hold several
// jobs. A task's placement rules (../constraints.ts: constraints, taints, required affinity,
// anti-affinity and hard spread) are feasibility checks, as Nomad's constraint checkers are;
// Nomad's scoring iterators (job anti-affinity, affinity, spread) are not modelled, so soft
// rules are ignored and the final score is the fit alone. Reserved resources are zero. GPUs are a fit test. Options: `jobType` `service` (default) or `batch`.

import { placementAllows } from '../constraints.ts';
import { nodeId, type ClusterView, type DecideContext, type Decision, type NodeId, type PendingTask, type Scheduler, type SchedulerOptions } from '../contract.ts';
import { placeEach } from '../per-task.ts';

export const MAX_FIT_SCORE = 18;
const SKIP_THRESHOLD = 0;
const MAX_SKIP = 3;

export type NomadAlgorithm = 'binpack' | 'spread';

/** Nomad's fitness of a node once `util` (in the node's units) is placed there: 0 … 18. */
export function nomadFitness(algorithm: NomadAlgorithm, utilCpu: number, capCpu: number, utilMem: number, capMem: number): number {
  const freeCpu = 1 - utilCpu / capCpu;
  const freeMem = 1 - utilMem / capMem;
  const total = Math.pow(10, freeCpu) + Math.pow(10, freeMem);
  const score = algorithm === 'binpack' ? 20 - total : total - 2;
  return Math.min(MAX_FIT_SCORE, Math.max(0, score));
}

/** How many nodes the limit iterator lets through, for `n` nodes. */
export function nomadLimit(jobType: 'service' | 'batch', n: number): number {
  if (jobType === 'batch' || n === 0) return 2;
  return Math.max(2, Math.ceil(Math.log2(n)));
}

/** A uniform permutation of 0 … n-1, drawn as it is read (Fisher-Yates, forward, lazily). */
class LazyShuffle {
  private readonly swapped = new Map<number, number>();
  private drawn = 0;

  constructor(readonly n: number, private readonly random: () => number) {}

  at(k: number): number {
    while (this.drawn <= k) {
      const i = this.drawn++;
      const j = i + Math.floor(this.random() * (this.n - i));
      const vi = this.swapped.get(i) ?? i;
      const vj = this.swapped.get(j) ?? j;
      this.swapped.set(i, vj);
      this.swapped.set(j, vi);
    }
    return this.swapped.get(k) ?? k;
  }
}

function nomad(name: string, algorithm: NomadAlgorithm, options: SchedulerOptions): Scheduler {
  const jobType = options.jobType ?? 'service';
  if (jobType !== 'service' && jobType !== 'batch') throw new RangeError(`${name}: jobType must be service or batch; got ${String(jobType)}`);
  for (const key of Object.keys(options)) if (key !== 'jobType') throw new RangeError(`${name}: unknown option ${key}; it takes jobType`);

  const score = (task: PendingTask, node: NodeId, cluster: ClusterView): number =>
    nomadFitness(algorithm,
      cluster.allocated(node, 'cpu') + task.cpu, cluster.capacity(node, 'cpu'),
      cluster.allocated(node, 'memory') + task.memory, cluster.capacity(node, 'memory')) / MAX_FIT_SCORE;

  return {
    name,
    // A task no node has room for returns at its firstFit check, before the shuffle draws.
    ignoresUnfit: true,
    decide(pending: readonly PendingTask[], cluster: ClusterView, ctx: DecideContext): Iterable<Decision> {
      const n = cluster.nodeCount;
      const order = new LazyShuffle(n, ctx.random);
      let up = 0;
      for (let i = 0; i < n; i++) if (cluster.status(nodeId(i)) === 'up') up++;
      const limit = nomadLimit(jobType, up);
      let offset = 0; // the static iterator's position, kept from one task to the next
      return placeEach(pending, cluster, ctx, (task) => {
        if (cluster.firstFit(task) === undefined) return undefined;
        const skipped: { node: NodeId; score: number }[] = [];
        let best: NodeId | undefined;
        let bestScore = -Infinity;
        let taken = 0;
        const consider = (node: NodeId, s: number) => {
          taken++;
          if (best === undefined || s > bestScore) {
            best = node;
            bestScore = s;
          }
        };
        for (let seen = 0; seen < n && taken < limit; seen++) {
          const node = nodeId(order.at(offset));
          offset = (offset + 1) % n;
          if (!cluster.fits(node, task)) continue;
          if (!placementAllows(task, node, cluster)) continue;
          const s = score(task, node, cluster);
          if (s <= SKIP_THRESHOLD && skipped.length < MAX_SKIP) {
            skipped.push({ node, score: s });
            continue;
          }
          consider(node, s);
        }
        // The search ran out: the nodes passed over are used after all.
        for (const o of skipped) if (taken < limit) consider(o.node, o.score);
        return best;
      });
    },
  };
}

export const nomadBinpack = (options: SchedulerOptions = {}): Scheduler => nomad('nomad-binpack', 'binpack', options);
export const nomadSpread = (options: SchedulerOptions = {}): Scheduler => nomad('nomad-spread', 'spread', options);
