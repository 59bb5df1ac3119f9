// first-fit: the first node in cluster order with enough free cpu, memory and gpu. The same
// semantics as ../shared/peers/simpy_cluster.py, which must agree with it placement by placement.

import { pipeline } from '../pipeline.ts';
import type { Scheduler } from '../contract.ts';

export const firstFit = (): Scheduler => pipeline({ name: 'first-fit', limit: { kind: 'first', count: 1, rotate: false } });
