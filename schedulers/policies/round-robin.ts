// round-robin: the first feasible node at or after the one after the previous placement,
// wrapping around the cluster.

import { pipeline } from '../pipeline.ts';
import type { Scheduler } from '../contract.ts';

export const roundRobin = (): Scheduler => pipeline({ name: 'round-robin', limit: { kind: 'first', count: 1, rotate: true } });
