// Docker Swarm classic's placement strategies, as docker/swarm computes them
// (scheduler/strategy/weighted_node.go, binpack.go, spread.go, random.go @3cc018dc; the formulas
// are in ../shared/reference/scheduler-formulas.md):
//
//   a node whose total cpu or memory is below the request is skipped;
//   cpuScore = (used cpu + request) * 100 / total cpu, in integer division (100 when the
//   request is 0), memScore likewise; a node is ranked when both are <= 100, with
//   weight = cpuScore + memScore + healthFactor * health;
//   binpack (healthFactor +10) takes the highest weight, and on equal weight the node with
//   more containers; spread (healthFactor -10) the lowest weight, and on equal weight fewer
//   containers; random shuffles the nodes and takes the first.
//
// Where berth departs, and why:
// - Amounts are millicores and MiB, not whole CPUs and bytes. The percentages are ratios, and
//   integer division of a ratio gives the same result in any unit, so scores are the same.
// - Every up node is healthy (health 100); Swarm lowers health after failed engine calls.
// - A node is taken only when the task fits its free room: integer division lets Swarm rank a
//   node up to 1 % over-committed, and its random strategy ignores resources altogether, but
//   berth's platforms never over-commit. GPUs, which Swarm does not know, are a fit test. A
//   task's hard placement rules (../constraints.ts) play the part of Swarm's constraint and
//   affinity filters; soft rules are ignored.
// - Full ties (same weight, same container count) go to the lower node index: what Go's sort
//   does for up to 12 nodes (insertion sort); on larger clusters Go's unstable sort order is not
//   reproduced.
// - Containers are the tasks running on the node; Swarm also counts stopped containers.
// Cost: every up node is scored for each task, as Swarm does.

import { placementAllows } from '../constraints.ts';
import { nodeId, type ClusterView, type NodeId, type PendingTask, type Scheduler } from '../contract.ts';
import { placeEach } from '../per-task.ts';
import { pipeline } from '../pipeline.ts';

const HEALTHY = 100;

/** Swarm's percentage for one resource: (used + request) * 100 / total, integer division. */
export function swarmScore(used: number, request: number, total: number): number {
  return request > 0 ? Math.floor(((used + request) * 100) / total) : 100;
}

/** A node's weight for the task, or undefined when Swarm would not rank it. */
export function swarmWeight(task: PendingTask, node: NodeId, cluster: ClusterView, healthFactor: number): number | undefined {
  const totalCpu = cluster.capacity(node, 'cpu');
  const totalMem = cluster.capacity(node, 'memory');
  if (totalMem < task.memory || totalCpu < task.cpu) return undefined;
  const cpu = swarmScore(cluster.allocated(node, 'cpu'), task.cpu, totalCpu);
  const mem = swarmScore(cluster.allocated(node, 'memory'), task.memory, totalMem);
  if (cpu > 100 || mem > 100) return undefined;
  return cpu + mem + healthFactor * HEALTHY;
}

function eligible(task: PendingTask, node: NodeId, cluster: ClusterView): boolean {
  return cluster.fits(node, task) && placementAllows(task, node, cluster);
}

function weighted(name: string, healthFactor: number, direction: 1 | -1): Scheduler {
  const pick = (task: PendingTask, cluster: ClusterView): NodeId | undefined => {
    let best: NodeId | undefined;
    let bestWeight = 0;
    let bestContainers = 0;
    for (let i = 0; i < cluster.nodeCount; i++) {
      const node = nodeId(i);
      if (!eligible(task, node, cluster)) continue;
      const weight = swarmWeight(task, node, cluster, healthFactor);
      if (weight === undefined) continue;
      const containers = cluster.taskCount(node);
      // binpack: higher weight, then more containers; spread: lower weight, then fewer.
      const better = best === undefined ||
        direction * (weight - bestWeight) > 0 ||
        (weight === bestWeight && direction * (containers - bestContainers) > 0);
      if (better) {
        best = node;
        bestWeight = weight;
        bestContainers = containers;
      }
    }
    return best;
  };
  return { name, ignoresUnfit: true, decide: (pending, cluster, ctx) => placeEach(pending, cluster, ctx, (task) => pick(task, cluster)) };
}

export const swarmBinpack = (): Scheduler => weighted('swarm-binpack', 10, 1);
export const swarmSpread = (): Scheduler => weighted('swarm-spread', -10, -1);

/**
 * random.go shuffles the nodes (Fisher-Yates) and Swarm takes the first: a node uniformly at
 * random, whatever its free room. berth takes a node uniformly at random among those with room
 * (the first node with room in a uniform shuffle), from the scheduler's seeded stream: the same
 * distribution as berth's `random` policy, not Go's random numbers.
 */
export const swarmRandom = (): Scheduler => pipeline({ name: 'swarm-random', limit: { kind: 'sample', count: 1 } });
