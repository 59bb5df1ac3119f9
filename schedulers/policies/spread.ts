// spread: worst fit, the feasible node that is least allocated once the task is placed (mean of
// the cpu and memory shares); ties go to the lowest node index.

import { pipeline } from '../pipeline.ts';
import { leastAllocated } from '../scorers.ts';
import type { Scheduler } from '../contract.ts';

export const spread = (): Scheduler => pipeline({ name: 'spread', scorers: [leastAllocated] });
