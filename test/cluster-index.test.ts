// The cluster's indexed queries against a brute-force scan of every node, on random clusters
// under random load, nodes going down and coming back.

import { describe, expect, it } from 'vitest';
import { Cluster } from '../sim/cluster.ts';
import type { NodeSpec } from '../sim/cluster-file.ts';
import { stream, type Random } from '../sim/random.ts';
import { beats, leastAllocatedScore, mostAllocatedScore } from '../schedulers/scores.ts';
import { nodeId, type NodeId, type Objective, type Resources } from '../schedulers/contract.ts';

const SHAPES = [[4000, 8192, 0], [8000, 16384, 0], [8000, 65536, 0], [16000, 32768, 4000], [0, 1024, 0]] as const;

function randomCluster(r: Random, n: number): NodeSpec[] {
  return Array.from({ length: n }, (_, i) => {
    const [cpu, memory, gpu] = SHAPES[Math.floor(r() * SHAPES.length)]!;
    return { name: `n${i}`, cpu, memory, gpu, labels: {} };
  });
}

function randomRequest(r: Random): Resources {
  const gpu = r() < 0.1 ? [500, 1000, 2000][Math.floor(r() * 3)]! : 0;
  return { cpu: Math.floor(r() * 9) * 500, memory: Math.floor(r() * 40) * 512, gpu };
}

function bruteFirst(c: Cluster, req: Resources, from: number): NodeId | undefined {
  for (let k = 0; k < c.nodeCount; k++) {
    const i = nodeId((from + k) % c.nodeCount);
    if (c.fits(i, req)) return i;
  }
  return undefined;
}

function bruteBest(c: Cluster, req: Resources, objective: Objective): NodeId | undefined {
  const score = objective === 'most-allocated' ? mostAllocatedScore : leastAllocatedScore;
  let best: NodeId | undefined, bestScore = -Infinity;
  for (let i = 0; i < c.nodeCount; i++) {
    const n = nodeId(i);
    if (!c.fits(n, req)) continue;
    const s = score(c.allocated(n, 'cpu'), c.capacity(n, 'cpu'), c.allocated(n, 'memory'), c.capacity(n, 'memory'), req.cpu, req.memory);
    if (best === undefined || beats(s, n, bestScore, best)) { best = n; bestScore = s; }
  }
  return best;
}

describe('cluster index', () => {
  // Best fit by shape (the default for few shapes), by branch and bound (many shapes), and by
  // shape until a changed capacity makes one shape too many (SHAPES has five; a resize can add
  // a sixth).
  for (const [size, way, maxShapes] of [
    [1, 'by shape', undefined], [7, 'by shape', undefined], [64, 'by shape', undefined], [300, 'by shape', undefined],
    [7, 'by branch and bound', 0], [64, 'by branch and bound', 0], [300, 'by branch and bound', 0],
    [64, 'by shape, then by branch and bound', 5], [300, 'by shape, then by branch and bound', 5],
  ] as const) {
    it(`answers like a scan of every node (${size} nodes, best fit ${way})`, () => {
      const r = stream(size, 'cluster-index');
      const specs = randomCluster(r, size);
      const c = new Cluster(specs, { maxShapes });
      const placed: { node: number; task: number; req: Resources }[] = [];
      let nextTask = 0;
      // Mostly the same request objects again, as a waiting task is asked about round after
      // round: that exercises the cluster's memory of misses.
      const pool = Array.from({ length: 12 }, () => randomRequest(r));
      for (let step = 0; step < 3000; step++) {
        const req = r() < 0.7 ? pool[Math.floor(r() * pool.length)]! : randomRequest(r);
        const from = Math.floor(r() * size);
        expect(c.firstFit(req, from)).toBe(bruteFirst(c, req, from));
        expect(c.firstFit(req)).toBe(bruteFirst(c, req, 0));
        expect(c.bestFit(req, 'most-allocated')).toBe(bruteBest(c, req, 'most-allocated'));
        expect(c.bestFit(req, 'least-allocated')).toBe(bruteBest(c, req, 'least-allocated'));
        const feasible = [...c.feasible(req, from)];
        const expected: NodeId[] = [];
        for (let k = 0; k < size; k++) if (c.fits(nodeId((from + k) % size), req)) expected.push(nodeId((from + k) % size));
        expect(feasible).toEqual(expected);
        expect(c.couldEverFit(req)).toBe(Array.from({ length: size }, (_, i) => nodeId(i)).some((n) =>
          c.capacity(n, 'cpu') >= req.cpu && c.capacity(n, 'memory') >= req.memory && c.capacity(n, 'gpu') >= req.gpu));
        if (expected.length === 0 && c.upNodes > 0) {
          const reason = c.bottleneck(req);
          expect(['insufficient-cpu', 'insufficient-memory', 'insufficient-gpu', 'fragmented']).toContain(reason);
        }
        // Change the state: place, remove, fail or recover.
        const action = r();
        if (action < 0.55 && expected.length > 0) {
          const node = expected[Math.floor(r() * expected.length)]!;
          c.place(node, nextTask, req.cpu, req.memory, req.gpu);
          placed.push({ node, task: nextTask++, req });
        } else if (action < 0.9 && placed.length > 0) {
          const [p] = placed.splice(Math.floor(r() * placed.length), 1);
          c.remove(p!.node, p!.task, p!.req.cpu, p!.req.memory, p!.req.gpu);
        } else if (action < 0.94) {
          c.setStatus(Math.floor(r() * size), 'down');
        } else if (action < 0.99) {
          c.setStatus(Math.floor(r() * size), 'up');
        } else {
          // Resized: to another known shape, or to a new one (what it holds may no longer fit).
          const [cpu, memory, gpu] = r() < 0.5 ? SHAPES[Math.floor(r() * SHAPES.length)]! : [6000, 12288, 0];
          c.setCapacity(Math.floor(r() * size), cpu, memory, gpu);
        }
      }
    });
  }

  it('says which resource is short everywhere, or that the free room is fragmented', () => {
    const c = new Cluster([
      { name: 'a', cpu: 4000, memory: 1024, gpu: 0, labels: {} },
      { name: 'b', cpu: 1000, memory: 8192, gpu: 0, labels: {} },
    ]);
    expect(c.bottleneck({ cpu: 5000, memory: 0, gpu: 0 })).toBe('insufficient-cpu');
    expect(c.bottleneck({ cpu: 0, memory: 9000, gpu: 0 })).toBe('insufficient-memory');
    expect(c.bottleneck({ cpu: 0, memory: 0, gpu: 1 })).toBe('insufficient-gpu');
    expect(c.bottleneck({ cpu: 2000, memory: 2048, gpu: 0 })).toBe('fragmented');
    c.setStatus(0, 'down');
    c.setStatus(1, 'down');
    expect(c.bottleneck({ cpu: 1, memory: 1, gpu: 0 })).toBe('node-down');
    expect(c.rejection(nodeId(0), { cpu: 1, memory: 1, gpu: 0 })).toBe('node-down');
  });

  it('keeps the tasks of each node', () => {
    const c = new Cluster([{ name: 'a', cpu: 4000, memory: 1024, gpu: 0, labels: {} }]);
    c.place(0, 5, 1000, 100, 0);
    c.place(0, 9, 1000, 100, 0);
    c.place(0, 7, 1000, 100, 0);
    c.remove(0, 9, 1000, 100, 0);
    expect(c.tasksOn(nodeId(0)).sort()).toEqual([5, 7]);
    expect(c.taskCount(nodeId(0))).toBe(2);
    expect(c.free(nodeId(0), 'cpu')).toBe(2000);
  });
});
