// Fragmentation: the share of free capacity on up nodes that no pending task can use, sampled
// at regular instants. A node's free room counts as stranded when the smallest pending request
// (the least cpu, memory and gpu any pending task asks for, taken per resource) does not fit in
// it: no pending task fits there either. This is a lower bound of the stranded room (a node may
// hold that smallest vector and still fit no actual task), computed in one pass over the up
// nodes and the queue. 0 when nothing is pending, or when nothing is free.
//
// Samples are taken on a regular grid (from 4 s) whose step doubles, keeping every other
// sample, whenever a run would hold more than 4,096 of them; so a run has a few thousand
// whatever its length, each costing a pass over the nodes and the pending queue, no more than
// one scheduling round.

import type { ClusterView, PendingTask } from '../schedulers/contract.ts';
import { nodeId } from '../schedulers/contract.ts';

export interface FragmentationSample {
  /** µs. */
  readonly time: number;
  /** The span this sample stands for, µs (the grid step when it was taken). */
  readonly weight: number;
  /** Shares 0-1 of free cpu and free memory on up nodes that the smallest pending request cannot use. */
  readonly cpu: number;
  readonly memory: number;
  readonly pending: number;
  /** Coefficient of variation of cpu utilization across up nodes at that instant. */
  readonly cpuCv: number;
}

/** Stranded shares of free cpu and memory, given the cluster and the queue now. */
export function fragmentation(cluster: ClusterView, pending: readonly PendingTask[]): { cpu: number; memory: number } {
  if (pending.length === 0) return { cpu: 0, memory: 0 };
  let minCpu = Infinity, minMemory = Infinity, minGpu = Infinity;
  for (const t of pending) {
    if (t.cpu < minCpu) minCpu = t.cpu;
    if (t.memory < minMemory) minMemory = t.memory;
    if (t.gpu < minGpu) minGpu = t.gpu;
  }
  let freeCpu = 0, freeMemory = 0, strandedCpu = 0, strandedMemory = 0;
  for (let i = 0; i < cluster.nodeCount; i++) {
    const n = nodeId(i);
    if (cluster.status(n) !== 'up') continue;
    const cpu = Math.max(0, cluster.free(n, 'cpu')), memory = Math.max(0, cluster.free(n, 'memory'));
    freeCpu += cpu;
    freeMemory += memory;
    if (cpu < minCpu || memory < minMemory || cluster.free(n, 'gpu') < minGpu) {
      strandedCpu += cpu;
      strandedMemory += memory;
    }
  }
  return { cpu: freeCpu > 0 ? strandedCpu / freeCpu : 0, memory: freeMemory > 0 ? strandedMemory / freeMemory : 0 };
}

/** Time-weighted mean of the samples within [start, end] (µs), per field. */
export function meanOver(
  samples: readonly FragmentationSample[], start: number, end: number, field: 'cpu' | 'memory' | 'cpuCv',
): number {
  let sum = 0, weight = 0;
  for (const s of samples) {
    if (s.time < start || s.time > end) continue;
    sum += s[field] * s.weight;
    weight += s.weight;
  }
  return weight > 0 ? sum / weight : 0;
}
