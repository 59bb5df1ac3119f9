// Scorers shared by the built-in policies. Each is on 0-100, higher is better.

import { leastAllocatedScore, mostAllocatedScore } from './scores.ts';
import type { Objective } from './contract.ts';
import type { Scorer } from './pipeline.ts';

function allocationScorer(objective: Objective, score: typeof mostAllocatedScore): Scorer {
  return {
    name: objective,
    objective,
    score: (task, node, cluster) => score(
      cluster.allocated(node, 'cpu'), cluster.capacity(node, 'cpu'),
      cluster.allocated(node, 'memory'), cluster.capacity(node, 'memory'), task.cpu, task.memory),
  };
}

/** Prefers the node that will be fullest once the task is placed (bin packing). */
export const mostAllocated: Scorer = allocationScorer('most-allocated', mostAllocatedScore);

/** Prefers the node that will be emptiest once the task is placed (spreading). */
export const leastAllocated: Scorer = allocationScorer('least-allocated', leastAllocatedScore);
