// A segment tree over the nodes, in cluster order, that answers placement queries without a
// visit to every node: "first node at or after i that fits", "the fitting node with the best
// MostAllocated (or LeastAllocated) score", "could any node ever hold this".
//
// Fit aggregates, always kept: over the up nodes below a tree node, the largest free amount of
// each resource (a range whose maximum is short of a request holds no fit and is skipped whole).
// Per-resource maxima alone let a range pass when one node has the cpu and another the memory,
// and on a packed cluster the search then visits thousands of nodes for one task. So each range
// also keeps, for a ladder of memory-per-core ratios ρ, the largest min(free cpu · ρ, free
// memory) of its nodes (see sim/ratio-ladder.ts). bench/placement.bench.ts measures what it buys.
//
// Best fit, once a best-fit query has been asked (first fit does not pay for it): by the nodes'
// shapes (sim/shape-index.ts) while the cluster has at most `maxShapes` of them, none too large
// for an exact order (MAX_SCORE_GRAIN); otherwise by
// branch and bound over this tree, with score aggregates as its bounds. Those are the largest
// utilization of the nodes whose free room min(free cpu · 4 GiB/core, free memory) reaches each
// level of a ladder, so that nodes too full to take a request do not inflate the bound of their
// range; the smallest utilization; the largest and smallest 1/capacity of each resource.
//
// Static aggregates: over every node present whatever its status, the largest capacity.
//
// Layout: the usual implicit binary tree; node t has children 2t and 2t+1, leaves start at
// `size` (a power of two). Padding leaves hold nothing. The values an update or a query reads
// together lie together: a tree node's fit aggregates are one run of FIT numbers, its
// load-dependent score aggregates one run of LOAD, so that a step of a walk touches a few cache
// lines rather than one for each aggregate.

import { SCORE_EPSILON, fraction, leastAllocatedScore, mostAllocatedScore } from '../schedulers/scores.ts';
import { RUNGS as K, onRung, rungAbove } from './ratio-ladder.ts';
import { MAX_SHAPES, ShapeIndex } from './shape-index.ts';

/** The rung whose min(free cpu · ρ, free memory) measures a node's room for the score ladder. */
const ROOM_RUNG = 4;
/** Levels of room (MiB at 4 GiB per core): the utilization ladder keeps a maximum for each. */
const LEVELS = [0, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768];
const L = LEVELS.length;
/** A tree node's fit aggregates, at [t * FIT + …]: the largest free cpu, memory, gpu, then the K joint maxima. */
const FIT = 3 + K;
const CPU = 0, MEM = 1, GPU = 2, JOINT = 3;
/** A tree node's load-dependent score aggregates, at [t * LOAD + …]: the L utilization maxima, then the smallest utilization. */
const LOAD = L + 1;
const UTIL_MIN = L;

/** Codes of NodeArrays.status. */
export const NODE_STATUS = { down: 0, up: 1, absent: 2 } as const;
const UP = NODE_STATUS.up;

/** The per-node arrays the index reads (owned by the Cluster). Amounts in base units. */
export interface NodeArrays {
  readonly capCpu: Float64Array;
  readonly capMem: Float64Array;
  readonly capGpu: Float64Array;
  readonly allocCpu: Float64Array;
  readonly allocMem: Float64Array;
  readonly allocGpu: Float64Array;
  /** UP (1) when the node accepts work; see NODE_STATUS. */
  readonly status: Uint8Array;
}

export class CapacityIndex {
  readonly size: number;
  /**
   * Fit aggregates, over up nodes: the largest free amount of each resource, and the largest
   * onRung(k, free cpu, free memory) at JOINT + k.
   */
  private readonly fit: Float64Array;
  /** Best fit by shape (see sim/shape-index.ts), kept once a best-fit query has been asked. */
  private shapes: ShapeIndex | undefined;
  // Score aggregates, over up nodes, kept while `scoring`: best fit by branch and bound, when
  // the cluster has more than `maxShapes` shapes.
  private scoring = false;
  /** The largest utilization over nodes with room >= LEVELS[j] at j, the smallest at UTIL_MIN. */
  private readonly load: Float64Array;
  private readonly invCpuMax: Float64Array;
  private readonly invMemMax: Float64Array;
  private readonly invCpuMin: Float64Array;
  private readonly invMemMin: Float64Array;
  // Static aggregates, over present nodes whatever their status.
  private readonly capCpu: Float64Array;
  private readonly capMem: Float64Array;
  private readonly capGpu: Float64Array;

  /** The node that answered the last couldEverFit with yes (-1: none yet). */
  private lastHolder = -1;

  // The query in progress (fields rather than arguments keep the recursion lean).
  private qCpu = 0;
  private qMem = 0;
  private qGpu = 0;
  /** The rungs of the ratio ladder just below and just above the request's ratio (-1: none). */
  private qLow = -1;
  private qHigh = -1;
  private qLowAt = 0;
  private qHighAt = 0;
  /** The level of the utilization ladder a fitting node must reach. */
  private qLevel = 0;
  private qMost = true;
  private bestScore = -Infinity;
  private bestNode = -1;

  /**
   * @param jointTests use the ratio ladder in queries (switched off only to measure what it buys)
   * @param maxShapes best fit by shape up to this many shapes (0: always by branch and bound)
   */
  constructor(
    private readonly nodes: NodeArrays, readonly nodeCount: number,
    private readonly jointTests = true, private readonly maxShapes = MAX_SHAPES,
  ) {
    let size = 1;
    while (size < nodeCount) size *= 2;
    this.size = size;
    const make = (fill: number, per = 1) => new Float64Array(2 * size * per).fill(fill);
    this.fit = make(-1, FIT);
    this.load = make(-Infinity, LOAD);
    for (let t = 0; t < 2 * size; t++) this.load[t * LOAD + UTIL_MIN] = Infinity;
    this.invCpuMax = make(0);
    this.invMemMax = make(0);
    this.invCpuMin = make(Infinity);
    this.invMemMin = make(Infinity);
    this.capCpu = make(-1);
    this.capMem = make(-1);
    this.capGpu = make(-1);
    for (let i = 0; i < nodeCount; i++) this.setLeaf(i);
    for (let t = size - 1; t >= 1; t--) this.pull(t);
  }

  /** After a node's allocation changed: refreshes its leaf and the ranges above it. */
  refreshLoad(node: number): void {
    this.shapes?.update(node, this.nodes.status[node] === UP);
    let t = node + this.size;
    if (this.nodes.status[node] === UP) this.setLoad(node, t);
    // Walk up while a parent changes; a maximum elsewhere usually stops the walk early.
    for (t >>= 1; t >= 1; t >>= 1) {
      const l = 2 * t, r = l + 1;
      const fit = this.pullFit(t, l, r);
      if (!(this.scoring ? this.pullScore(t, l, r) || fit : fit)) return;
    }
  }

  /** After a node's status or capacity changed: refreshes every aggregate above it. */
  refreshNode(node: number): void {
    if (this.shapes) {
      this.shapes.update(node, this.nodes.status[node] === UP);
      // A new capacity can make one shape too many, or too large.
      if (!this.shapesServe(this.shapes)) this.startScoring();
    }
    this.setLeaf(node);
    for (let t = (node + this.size) >> 1; t >= 1; t >>= 1) this.pull(t);
  }

  /** First fitting node at index >= from, or -1. */
  nextFit(cpu: number, mem: number, gpu: number, from: number): number {
    this.setQuery(cpu, mem, gpu);
    return this.leftmost(1, 0, this.size, from);
  }

  /** The fitting node with the best score for the objective (ties: lowest index), or -1. */
  bestFit(cpu: number, mem: number, gpu: number, mostAllocated: boolean): number {
    if (!this.shapes && !this.scoring) this.startShapes();
    if (this.shapes) return this.shapes.bestFit(cpu, mem, gpu, mostAllocated);
    this.setQuery(cpu, mem, gpu);
    this.qMost = mostAllocated;
    const room = onRung(ROOM_RUNG, cpu, mem);
    let level = 0;
    while (level + 1 < L && LEVELS[level + 1]! <= room) level++;
    this.qLevel = level;
    this.bestScore = -Infinity;
    this.bestNode = -1;
    if (this.fitsAt(1)) this.branchAndBound(1, 0, this.size);
    return this.bestNode;
  }

  /** Could some present node, empty and up, hold the request? */
  couldEverFit(cpu: number, mem: number, gpu: number): boolean {
    // Most requests are small: the node that held the last one usually holds this one too.
    const t = this.lastHolder + this.size;
    if (this.lastHolder >= 0 && this.capCpu[t]! >= cpu && this.capMem[t]! >= mem && this.capGpu[t]! >= gpu) return true;
    this.setQuery(cpu, mem, gpu);
    const holder = this.holder(1, 0, this.size);
    if (holder >= 0) this.lastHolder = holder;
    return holder >= 0;
  }

  /** The largest free amount of a resource on any up node (-1 when no node is up). */
  maxFree(resource: 'cpu' | 'memory' | 'gpu'): number {
    return this.fit[FIT + (resource === 'cpu' ? CPU : resource === 'memory' ? MEM : GPU)]!;
  }

  private setQuery(cpu: number, mem: number, gpu: number): void {
    this.qCpu = cpu;
    this.qMem = mem;
    this.qGpu = gpu;
    this.qLow = this.qHigh = -1;
    const high = this.jointTests ? rungAbove(cpu, mem) : -1;
    if (high >= 0 && high < K) {
      this.qHigh = high;
      this.qHighAt = onRung(high, cpu, mem);
    }
    if (high > 0) {
      this.qLow = high - 1;
      this.qLowAt = onRung(high - 1, cpu, mem);
    }
  }

  private fitsAt(t: number): boolean {
    const fit = this.fit, at = t * FIT;
    return fit[at + CPU]! >= this.qCpu && fit[at + MEM]! >= this.qMem && fit[at + GPU]! >= this.qGpu &&
      (this.qHigh < 0 || fit[at + JOINT + this.qHigh]! >= this.qHighAt) &&
      (this.qLow < 0 || fit[at + JOINT + this.qLow]! >= this.qLowAt);
  }

  /** Leftmost fitting leaf at index >= from under t, which covers [lo, lo+width). */
  private leftmost(t: number, lo: number, width: number, from: number): number {
    if (lo + width <= from || !this.fitsAt(t)) return -1;
    if (width === 1) return lo < this.nodeCount ? lo : -1;
    const half = width >> 1;
    const left = this.leftmost(2 * t, lo, half, from);
    return left >= 0 ? left : this.leftmost(2 * t + 1, lo + half, half, from);
  }

  /**
   * An upper bound on the score of any fitting node under t (plus slack for rounding). A node
   * that fits has room >= the request's level, so the most-allocated bound needs only the
   * utilization of such nodes.
   */
  private bound(t: number): number {
    if (this.qMost) {
      return 100 * this.load[t * LOAD + this.qLevel]! +
        50 * (this.qCpu * this.invCpuMax[t]! + this.qMem * this.invMemMax[t]!) + SCORE_EPSILON;
    }
    return 100 - 100 * this.load[t * LOAD + UTIL_MIN]! - 50 * (this.qCpu * this.invCpuMin[t]! + this.qMem * this.invMemMin[t]!) + SCORE_EPSILON;
  }

  /** Could a range starting at `lo` with this bound still beat the best so far? */
  private worth(bound: number, lo: number): boolean {
    if (this.bestNode < 0) return true;
    // A range after the best must beat it; a range before it wins ties.
    return lo > this.bestNode ? bound > this.bestScore + SCORE_EPSILON : bound >= this.bestScore - SCORE_EPSILON;
  }

  /** Visits the ranges under t (which fits) best bound first, pruning what cannot win. */
  private branchAndBound(t: number, lo: number, width: number): void {
    if (width === 1) {
      this.scoreLeaf(lo);
      return;
    }
    const half = width >> 1;
    const l = 2 * t, r = l + 1;
    const lOk = this.fitsAt(l), rOk = this.fitsAt(r);
    const bl = lOk ? this.bound(l) : -Infinity;
    const br = rOk ? this.bound(r) : -Infinity;
    if (br > bl + SCORE_EPSILON) {
      if (this.worth(br, lo + half)) this.branchAndBound(r, lo + half, half);
      if (lOk && this.worth(bl, lo)) this.branchAndBound(l, lo, half);
    } else {
      if (lOk && this.worth(bl, lo)) this.branchAndBound(l, lo, half);
      if (rOk && this.worth(br, lo + half)) this.branchAndBound(r, lo + half, half);
    }
  }

  private scoreLeaf(i: number): void {
    const n = this.nodes;
    const score = (this.qMost ? mostAllocatedScore : leastAllocatedScore)(
      n.allocCpu[i]!, n.capCpu[i]!, n.allocMem[i]!, n.capMem[i]!, this.qCpu, this.qMem);
    if (this.bestNode < 0 || score > this.bestScore + SCORE_EPSILON ||
        (score >= this.bestScore - SCORE_EPSILON && i < this.bestNode)) {
      this.bestScore = score;
      this.bestNode = i;
    }
  }

  /** The first node under t (which covers [lo, lo+width)) whose capacity holds the query, or -1. */
  private holder(t: number, lo: number, width: number): number {
    if (!(this.capCpu[t]! >= this.qCpu && this.capMem[t]! >= this.qMem && this.capGpu[t]! >= this.qGpu)) return -1;
    if (width === 1) return lo;
    const half = width >> 1;
    const left = this.holder(2 * t, lo, half);
    return left >= 0 ? left : this.holder(2 * t + 1, lo + half, half);
  }

  /** Builds the index by shape, or the score aggregates if the shapes are too many. */
  private startShapes(): void {
    const shapes = new ShapeIndex(this.nodes, this.nodeCount);
    for (let i = 0; i < this.nodeCount && this.shapesServe(shapes); i++) shapes.update(i, this.nodes.status[i] === UP);
    if (this.shapesServe(shapes)) this.shapes = shapes;
    else this.startScoring();
  }

  /** Can best fit go by these shapes: few enough, and each ranking its nodes as a scan would? */
  private shapesServe(shapes: ShapeIndex): boolean {
    return shapes.shapeCount <= this.maxShapes && shapes.ranksAsScan;
  }

  /** Builds the score aggregates from the current state; from now on they are kept, and best fit uses them. */
  private startScoring(): void {
    this.shapes = undefined;
    this.scoring = true;
    for (let i = 0; i < this.nodeCount; i++) this.setLeaf(i);
    for (let t = this.size - 1; t >= 1; t--) this.pull(t);
  }

  /** The load-dependent values of an up node's leaf t. */
  private setLoad(node: number, t: number): void {
    const n = this.nodes;
    const fc = n.capCpu[node]! - n.allocCpu[node]!;
    const fm = n.capMem[node]! - n.allocMem[node]!;
    const fit = this.fit, at = t * FIT;
    fit[at + CPU] = fc;
    fit[at + MEM] = fm;
    fit[at + GPU] = n.capGpu[node]! - n.allocGpu[node]!;
    for (let k = 0; k < K; k++) fit[at + JOINT + k] = onRung(k, fc, fm);
    if (!this.scoring) return;
    const u = 0.5 * (fraction(n.allocCpu[node]!, n.capCpu[node]!) + fraction(n.allocMem[node]!, n.capMem[node]!));
    const room = fit[at + JOINT + ROOM_RUNG]!;
    const load = this.load, lt = t * LOAD;
    for (let j = 0; j < L; j++) load[lt + j] = room >= LEVELS[j]! ? u : -Infinity;
    load[lt + UTIL_MIN] = u;
  }

  private setLeaf(node: number): void {
    const t = node + this.size;
    this.capCpu[t] = this.capMem[t] = this.capGpu[t] = -1;
    this.fit.fill(-1, t * FIT, t * FIT + FIT);
    this.load.fill(-Infinity, t * LOAD, t * LOAD + L);
    this.load[t * LOAD + UTIL_MIN] = Infinity;
    this.invCpuMax[t] = this.invMemMax[t] = 0;
    this.invCpuMin[t] = this.invMemMin[t] = Infinity;
    if (node >= this.nodeCount) return;
    const n = this.nodes;
    const cc = n.capCpu[node]!, cm = n.capMem[node]!;
    this.capCpu[t] = cc;
    this.capMem[t] = cm;
    this.capGpu[t] = n.capGpu[node]!;
    if (n.status[node] !== UP) return;
    this.setLoad(node, t);
    this.invCpuMax[t] = this.invCpuMin[t] = fraction(1, cc);
    this.invMemMax[t] = this.invMemMin[t] = fraction(1, cm);
  }

  /** Recomputes a range's fit aggregates from its children; returns whether any changed. */
  private pullFit(t: number, l: number, r: number): boolean {
    const fit = this.fit;
    let changed = false;
    for (let i = 0, a = l * FIT, b = r * FIT, c = t * FIT; i < FIT; i++, a++, b++, c++) {
      const v = max(fit[a]!, fit[b]!);
      if (v !== fit[c]) {
        fit[c] = v;
        changed = true;
      }
    }
    return changed;
  }

  /** Recomputes a range's load-dependent score aggregates; returns whether any changed. */
  private pullScore(t: number, l: number, r: number): boolean {
    const load = this.load;
    let changed = false;
    for (let j = 0, a = l * LOAD, b = r * LOAD, c = t * LOAD; j < L; j++, a++, b++, c++) {
      const v = max(load[a]!, load[b]!);
      if (v !== load[c]) {
        load[c] = v;
        changed = true;
      }
    }
    const un = min(load[l * LOAD + UTIL_MIN]!, load[r * LOAD + UTIL_MIN]!);
    if (un !== load[t * LOAD + UTIL_MIN]) {
      load[t * LOAD + UTIL_MIN] = un;
      changed = true;
    }
    return changed;
  }

  private pull(t: number): void {
    const l = 2 * t, r = l + 1;
    this.pullFit(t, l, r);
    this.pullScore(t, l, r);
    this.invCpuMax[t] = max(this.invCpuMax[l]!, this.invCpuMax[r]!);
    this.invMemMax[t] = max(this.invMemMax[l]!, this.invMemMax[r]!);
    this.invCpuMin[t] = min(this.invCpuMin[l]!, this.invCpuMin[r]!);
    this.invMemMin[t] = min(this.invMemMin[l]!, this.invMemMin[r]!);
    this.capCpu[t] = max(this.capCpu[l]!, this.capCpu[r]!);
    this.capMem[t] = max(this.capMem[l]!, this.capMem[r]!);
    this.capGpu[t] = max(this.capGpu[l]!, this.capGpu[r]!);
  }
}

const max = (a: number, b: number): number => (a > b ? a : b);
const min = (a: number, b: number): number => (a < b ? a : b);
