// power-of-two: the power of two choices (Mitzenmacher): two nodes that can take the task, drawn
// uniformly from the scheduler's seeded stream, and the less allocated of the two once the task
// is placed (LeastAllocated, the mean of the cpu and memory shares); a tie goes to the lower
// node index. With one feasible node, that node.

import { pipeline } from '../pipeline.ts';
import { leastAllocated } from '../scorers.ts';
import type { Scheduler } from '../contract.ts';

export const powerOfTwo = (): Scheduler => pipeline({ name: 'power-of-two', limit: { kind: 'sample', count: 2 }, scorers: [leastAllocated] });
