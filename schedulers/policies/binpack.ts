// binpack: best fit, the feasible node that is most allocated once the task is placed (mean of
// the cpu and memory shares); ties go to the lowest node index.

import { pipeline } from '../pipeline.ts';
import { mostAllocated } from '../scorers.ts';
import type { Scheduler } from '../contract.ts';

export const binpack = (): Scheduler => pipeline({ name: 'binpack', scorers: [mostAllocated] });
