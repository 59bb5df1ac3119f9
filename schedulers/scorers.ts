// Scorers shared by the built-in policies. Each is on 0-100, higher is better.

import { leastAllocatedScore, mostAllocatedScore } from './scores.ts';
import type { Scorer } from './pipeline.ts';

/** Prefers the node that will be fullest once the task is placed (bin packing). */
export const mostAllocated: Scorer = {
  name: 'most-allocated',
  objective: 'most-allocated',
  score: (task, node, cluster) => mostAllocatedScore(
    cluster.allocated(node, 'cpu'), cluster.capacity(node, 'cpu'),
    cluster.allocated(node, 'memory'), cluster.capacity(node, 'memory'), task.cpu, task.memory),
};

/** Prefers the node that will be emptiest once the task is placed (spreading). */
export const leastAllocated: Scorer = {
  name: 'least-allocated',
  objective: 'least-allocated',
  score: (task, node, cluster) => leastAllocatedScore(
    cluster.allocated(node, 'cpu'), cluster.capacity(node, 'cpu'),
    cluster.allocated(node, 'memory'), cluster.capacity(node, 'memory'), task.cpu, task.memory),
};
