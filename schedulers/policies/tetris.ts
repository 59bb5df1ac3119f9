// tetris: the packing heuristic of Tetris (Grandl et al., "Multi-resource packing for cluster
// schedulers", SIGCOMM 2014): among the nodes that can take the task, the one whose free
// resources align best with the task's demand, alignment being the dot product of the two
// vectors, each normalised by the node's capacity:
//
//   alignment = sum over cpu, memory, gpu of (request / capacity) * (free / capacity)
//
// (a resource the node lacks counts 0). Scaled by 100/3 onto 0-100; ties go to the lowest node
// index. Tetris's other terms (remaining work, fairness knob) are not modelled.

import { fraction } from '../scores.ts';
import type { Resource } from '../contract.ts';
import { pipeline, type Scorer } from '../pipeline.ts';
import type { Scheduler } from '../contract.ts';

const RESOURCES: readonly Resource[] = ['cpu', 'memory', 'gpu'];

export const alignment: Scorer = {
  name: 'alignment',
  score(task, node, cluster) {
    let sum = 0;
    for (const r of RESOURCES) {
      const cap = cluster.capacity(node, r);
      sum += fraction(task[r], cap) * fraction(cluster.free(node, r), cap);
    }
    return (100 / 3) * sum;
  },
};

export const tetris = (): Scheduler => pipeline({ name: 'tetris', scorers: [alignment] });
