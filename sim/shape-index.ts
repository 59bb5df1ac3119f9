// Best fit by machine shape, exact and without branch and bound.
//
// On the nodes of one shape (the same cpu, memory and gpu capacity C, M, G) the MostAllocated
// score of a request (c, m) is 100 − 50·((free cpu − c)/C + (free memory − m)/M): how the nodes
// of a shape rank does not depend on the request. Ordered by the leftover key
//   w = M · free cpu + C · free memory   (an integer, so exact; lowest first),
// then by node index, the best node of the shape is the first in that order that fits: a
// leftmost-fit search, as first fit does in cluster order. LeastAllocated wants the largest w,
// ties to the lowest index: the last fitting node in that order gives the w, and a leftmost
// search from that w gives the node.
//
// Each shape keeps its nodes (the up ones) in a treap keyed by (w, node). A treap node is the
// cluster node of the same number. A node whose allocation changed leaves its treap and comes
// back with its new key: a descent that reads only the keys, a rotation or two (a treap's
// expected number), then a walk up that refreshes the subtree maxima and stops where they no
// longer change. Its subtree keeps the largest free amount of each resource
// and the largest value on each rung of the ratio ladder (sim/ratio-ladder.ts), so a search
// skips a subtree where no node has enough of one resource, or of both together. The nodes
// first in key order are the fullest, most of them with a little cpu or a little memory left:
// without the ladder a search visited 2,231 of them per task (12,500 nodes, 100,000 tasks).
// The best over the cluster is the best of the shapes' winners, scored as a scan would score
// them.
//
// The scan this must agree with compares floating-point scores, closer than SCORE_EPSILON being
// a tie that goes to the lower index. Keys of a shape are multiples of gcd(C, M), and two keys
// apart differ in score by at least 50 · gcd(C, M) / (C · M) = 50 / lcm(C, M). The order by key
// is the scan's while that exceeds SCORE_EPSILON with room for rounding: up to lcm(C, M) =
// MAX_SCORE_GRAIN. Real capacities share large factors (128 cores and 1 TiB: lcm 1.3·10^8);
// coprime ones of a few hundred thousand units each do not pass.
//
// A search per shape: worth it while shapes are few, as in real cells (a handful of machine
// types). CapacityIndex asks for this index only up to MAX_SHAPES shapes, all of them within
// MAX_SCORE_GRAIN, and otherwise keeps its branch and bound, which depends on neither.

import { SCORE_EPSILON, beats, leastAllocatedScore, mostAllocatedScore } from '../schedulers/scores.ts';
import type { NodeArrays } from './capacity-index.ts';
import { RUNGS, onRung, rungAbove } from './ratio-ladder.ts';

/** Beyond this many shapes, the capacity index uses its branch and bound instead. */
export const MAX_SHAPES = 32;
/** The largest lcm of a shape's cpu and memory capacities (base units) whose key order is the scan's. */
export const MAX_SCORE_GRAIN = 40 / SCORE_EPSILON;

const NIL = -1;
// A node's numbers, at [node * STRIDE + …]: its free cpu, memory and gpu, then over its subtree
// the largest free cpu, memory and gpu and the largest value on each rung.
const FC = 0, FM = 1, FG = 2, MAX_FC = 3, MAX_FM = 4, MAX_FG = 5, MAX_RUNG = 6;
const STRIDE = MAX_RUNG + RUNGS;

export class ShapeIndex {
  private readonly num: Float64Array;
  /** The key w of each node (apart from `num`, so that a descent reads few cache lines). */
  private readonly key: Float64Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly parent: Int32Array;
  /** Treap priorities: a fixed hash of the node number, so the trees are the same every run. */
  private readonly prio: Int32Array;
  /** The shape whose treap holds the node (-1: none, the node is not up). */
  private readonly shapeOf: Int32Array;
  /** The node's shape when last seen (-1: not yet), to skip the lookup while it stays. */
  private readonly lastShape: Int32Array;
  private readonly shapeIds = new Map<string, number>();
  /** Per shape: its capacities, the treap's root, and the weights of free cpu and memory in the key. */
  private readonly shapeCaps: number[][] = [];
  private readonly roots: number[] = [];
  private readonly cpuWeight: number[] = [];
  private readonly memWeight: number[] = [];
  // The query in progress.
  private qCpu = 0;
  private qMem = 0;
  private qGpu = 0;
  /** The rungs just below and just above the request's ratio (-1: none), and its values there. */
  private qLow = -1;
  private qHigh = -1;
  private qLowAt = 0;
  private qHighAt = 0;
  private qFromW = -Infinity;
  private exact = true;

  /** An empty index: update() each node to add it. */
  constructor(private readonly nodes: NodeArrays, nodeCount: number) {
    this.num = new Float64Array(nodeCount * STRIDE);
    this.key = new Float64Array(nodeCount);
    this.left = new Int32Array(nodeCount).fill(NIL);
    this.right = new Int32Array(nodeCount).fill(NIL);
    this.parent = new Int32Array(nodeCount).fill(NIL);
    this.prio = Int32Array.from({ length: nodeCount }, (_, i) => mix(i));
    this.shapeOf = new Int32Array(nodeCount).fill(NIL);
    this.lastShape = new Int32Array(nodeCount).fill(NIL);
  }

  /** The number of distinct shapes seen so far (up or not). */
  get shapeCount(): number {
    return this.roots.length;
  }

  /** Does every shape seen so far rank its nodes as a scan would (see MAX_SCORE_GRAIN)? */
  get ranksAsScan(): boolean {
    return this.exact;
  }

  /** After a node's allocation, capacity or status changed: moves it to its place (if it is up). */
  update(node: number, up: boolean): void {
    if (this.shapeOf[node] !== NIL) this.remove(node);
    if (!up) return;
    const n = this.nodes;
    const cap = n.capCpu[node]!, mem = n.capMem[node]!, gpu = n.capGpu[node]!;
    let shape = this.lastShape[node]!;
    const caps = shape === NIL ? undefined : this.shapeCaps[shape]!;
    if (!(caps && caps[0] === cap && caps[1] === mem && caps[2] === gpu)) this.lastShape[node] = shape = this.shape(cap, mem, gpu);
    const at = node * STRIDE, v = this.num;
    v[at + FC] = cap - n.allocCpu[node]!;
    v[at + FM] = mem - n.allocMem[node]!;
    v[at + FG] = gpu - n.allocGpu[node]!;
    this.key[node] = this.cpuWeight[shape]! * v[at + FC]! + this.memWeight[shape]! * v[at + FM]!;
    this.insert(node, shape);
  }

  /** The fitting node with the best score for the objective (ties: lowest index), or -1. */
  bestFit(cpu: number, mem: number, gpu: number, mostAllocated: boolean): number {
    this.qCpu = cpu;
    this.qMem = mem;
    this.qGpu = gpu;
    const high = rungAbove(cpu, mem);
    this.qHigh = high < RUNGS ? high : -1;
    this.qLow = high - 1;
    if (this.qHigh >= 0) this.qHighAt = onRung(high, cpu, mem);
    if (this.qLow >= 0) this.qLowAt = onRung(high - 1, cpu, mem);
    const n = this.nodes, score = mostAllocated ? mostAllocatedScore : leastAllocatedScore;
    let best = NIL, bestScore = -Infinity;
    for (let s = 0; s < this.roots.length; s++) {
      const root = this.roots[s]!;
      let found: number;
      if (mostAllocated) {
        this.qFromW = -Infinity;
        found = this.leftmost(root);
      } else {
        found = this.rightmost(root);
        if (found === NIL) continue;
        this.qFromW = this.key[found]!;
        found = this.leftmost(root);
      }
      if (found === NIL) continue;
      const sc = score(n.allocCpu[found]!, n.capCpu[found]!, n.allocMem[found]!, n.capMem[found]!, cpu, mem);
      if (best === NIL || beats(sc, found, bestScore, best)) {
        best = found;
        bestScore = sc;
      }
    }
    return best;
  }

  private shape(cpu: number, mem: number, gpu: number): number {
    const key = `${cpu} ${mem} ${gpu}`;
    let s = this.shapeIds.get(key);
    if (s === undefined) {
      s = this.roots.length;
      this.shapeIds.set(key, s);
      this.shapeCaps.push([cpu, mem, gpu]);
      if (scoreGrain(cpu, mem) > MAX_SCORE_GRAIN) this.exact = false;
      this.roots.push(NIL);
      // fraction() counts a resource the node does not have as 0: it then has no weight.
      this.cpuWeight.push(cpu > 0 ? (mem > 0 ? mem : 1) : 0);
      this.memWeight.push(mem > 0 ? (cpu > 0 ? cpu : 1) : 0);
    }
    return s;
  }

  /** Could some node under t fit the query? */
  private mayFit(t: number): boolean {
    const v = this.num, at = t * STRIDE;
    return v[at + MAX_FC]! >= this.qCpu && v[at + MAX_FM]! >= this.qMem && v[at + MAX_FG]! >= this.qGpu &&
      (this.qHigh < 0 || v[at + MAX_RUNG + this.qHigh]! >= this.qHighAt) &&
      (this.qLow < 0 || v[at + MAX_RUNG + this.qLow]! >= this.qLowAt);
  }

  private fits(t: number): boolean {
    const v = this.num, at = t * STRIDE;
    return v[at + FC]! >= this.qCpu && v[at + FM]! >= this.qMem && v[at + FG]! >= this.qGpu;
  }

  /** The first fitting node under t, in key order, whose key w is at least qFromW; or -1. */
  private leftmost(t: number): number {
    if (t === NIL || !this.mayFit(t)) return NIL;
    // t and everything left of it are below the bound.
    if (this.key[t]! < this.qFromW) return this.leftmost(this.right[t]!);
    const found = this.leftmost(this.left[t]!);
    if (found !== NIL) return found;
    return this.fits(t) ? t : this.leftmost(this.right[t]!);
  }

  /** The last fitting node under t, in key order; or -1. */
  private rightmost(t: number): number {
    if (t === NIL || !this.mayFit(t)) return NIL;
    const found = this.rightmost(this.right[t]!);
    if (found !== NIL) return found;
    return this.fits(t) ? t : this.rightmost(this.left[t]!);
  }

  /** Does node a come before node b in key order? */
  private before(a: number, b: number): boolean {
    const wa = this.key[a]!, wb = this.key[b]!;
    return wa < wb || (wa === wb && a < b);
  }

  /** Adds node x to the treap of its shape: as a leaf, then rotated up to its priority's place. */
  private insert(x: number, shape: number): void {
    const left = this.left, right = this.right;
    left[x] = right[x] = NIL;
    this.shapeOf[x] = shape;
    this.pull(x);
    let t = this.roots[shape]!;
    if (t === NIL) {
      this.parent[x] = NIL;
      this.roots[shape] = x;
      return;
    }
    for (;;) {
      const next = this.before(x, t) ? left[t]! : right[t]!;
      if (next === NIL) break;
      t = next;
    }
    if (this.before(x, t)) left[t] = x;
    else right[t] = x;
    this.parent[x] = t;
    while (this.parent[x] !== NIL && this.prio[x]! > this.prio[this.parent[x]!]!) this.rotateUp(x);
    this.refreshAbove(x);
  }

  /** Takes node x out of its treap: rotated down to a leaf, then cut off. */
  private remove(x: number): void {
    const left = this.left, right = this.right;
    for (;;) {
      const l = left[x]!, r = right[x]!;
      if (l === NIL && r === NIL) break;
      this.rotateUp(l === NIL ? r : r === NIL ? l : this.prio[l]! > this.prio[r]! ? l : r);
    }
    const p = this.parent[x]!;
    if (p === NIL) this.roots[this.shapeOf[x]!] = NIL;
    else if (left[p] === x) left[p] = NIL;
    else right[p] = NIL;
    this.shapeOf[x] = NIL;
    this.refreshAbove(x);
  }

  /** Rotates x above its parent, keeping the key order; refreshes both. */
  private rotateUp(x: number): void {
    const left = this.left, right = this.right, parent = this.parent;
    const p = parent[x]!, g = parent[p]!;
    let moved: number;
    if (left[p] === x) {
      moved = right[x]!;
      left[p] = moved;
      right[x] = p;
    } else {
      moved = left[x]!;
      right[p] = moved;
      left[x] = p;
    }
    if (moved !== NIL) parent[moved] = p;
    parent[p] = x;
    parent[x] = g;
    if (g === NIL) this.roots[this.shapeOf[x]!] = x;
    else if (left[g] === p) left[g] = x;
    else right[g] = x;
    this.pull(p);
    this.pull(x);
  }

  /** Refreshes the maxima of x's ancestors, up to the first that does not change. */
  private refreshAbove(x: number): void {
    for (let t = this.parent[x]!; t !== NIL && this.pull(t); t = this.parent[t]!);
  }

  /** Recomputes t's subtree maxima from its own numbers and its children's; did they change? */
  private pull(t: number): boolean {
    const v = this.num, at = t * STRIDE, l = this.left[t]!, r = this.right[t]!;
    const lt = l * STRIDE, rt = r * STRIDE;
    const fc = v[at + FC]!, fm = v[at + FM]!;
    let changed = false;
    for (let i = MAX_FC; i < STRIDE; i++) {
      let m = i < MAX_RUNG ? v[at + i - MAX_FC]! : onRung(i - MAX_RUNG, fc, fm);
      if (l !== NIL && v[lt + i]! > m) m = v[lt + i]!;
      if (r !== NIL && v[rt + i]! > m) m = v[rt + i]!;
      if (m !== v[at + i]) {
        v[at + i] = m;
        changed = true;
      }
    }
    return changed;
  }
}

/** lcm of the capacities a score divides by (those above 0); Infinity unless whole numbers. */
function scoreGrain(cpu: number, mem: number): number {
  if (!Number.isInteger(cpu) || !Number.isInteger(mem)) return Infinity;
  if (cpu <= 0 || mem <= 0) return Math.max(cpu, mem, 1);
  let a = cpu, b = mem;
  while (b > 0) [a, b] = [b, a % b];
  return (cpu / a) * mem;
}

/** A fixed scramble of a node number (murmur3's finalizer): the treap's priorities. */
function mix(i: number): number {
  let h = Math.imul(i ^ (i >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
