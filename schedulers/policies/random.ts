// random: a feasible node drawn uniformly from the scheduler's seeded stream.

import { pipeline } from '../pipeline.ts';
import type { Scheduler } from '../contract.ts';

export const random = (): Scheduler => pipeline({ name: 'random', limit: { kind: 'sample', count: 1 } });
