// The cluster model: nodes with capacity, allocation, labels and status, in typed arrays
// indexed by node id, and the tasks running on each node as linked lists in typed arrays
// indexed by task id. It implements the read-only ClusterView that schedulers see; only the
// platform (the simulator, or the Docker driver's live view) calls the mutating methods.
//
// Queries go to the capacity index, with one shortcut: a task that waits is asked about again
// in every round, and it can only fit on a node whose free room grew since it last found none.
// So the cluster remembers, per request object, when it last missed, and keeps a short log of
// the nodes released since; a repeated miss then costs a look at those few nodes, and a hit
// among them is the answer the index would give (no other node can fit).
//
// Which tasks of a job and group run where (for affinity and topology spread) is kept by an
// OwnerIndex, built the first time a policy asks.

import {
  nodeId, taskId,
  type ClusterView, type NodeId, type NodeStatus, type Objective, type Reason, type Resource, type Resources, type RunningTask,
  type Taint, type TaskId,
} from '../schedulers/contract.ts';
import { beats, leastAllocatedScore, mostAllocatedScore } from '../schedulers/scores.ts';
import { CapacityIndex, NODE_STATUS, type NodeArrays } from './capacity-index.ts';
import type { NodeSpec } from './cluster-file.ts';
import { OwnerIndex } from './owner-index.ts';

const NO_TAINTS: readonly Taint[] = Object.freeze([]);

export class Cluster implements ClusterView {
  readonly nodeCount: number;
  private readonly names: readonly string[];
  private readonly byName: ReadonlyMap<string, number>;
  private readonly nodeLabels: readonly Readonly<Record<string, string>>[];
  private readonly nodeTaints: readonly (readonly Taint[])[];
  /** See ClusterView.generation. */
  generation = 0;
  private owners: OwnerIndex | undefined;
  private readonly arrays: NodeArrays;
  private readonly index: CapacityIndex;
  private readonly counts: Int32Array;
  private readonly head: Int32Array;
  private next = new Int32Array(1024);
  private prev = new Int32Array(1024);
  private upCount: number;
  /** Capacity increases so far, and the nodes of the latest RECENT of them (a ring). */
  private releases = 0;
  private readonly recent = new Int32Array(RECENT);
  private readonly misses = new WeakMap<Resources, Miss>();

  /**
   * @param index see CapacityIndex: its joint tests and best fit by shape, switched off only
   *   to measure what they buy and to test the other way
   */
  constructor(nodes: readonly NodeSpec[], index: { jointTests?: boolean | undefined; maxShapes?: number | undefined } = {}) {
    const n = nodes.length;
    this.nodeCount = n;
    this.names = nodes.map((node) => node.name);
    this.byName = new Map(this.names.map((name, i) => [name, i]));
    this.nodeLabels = nodes.map((node) => node.labels);
    this.nodeTaints = nodes.map((node) => (node.taints && node.taints.length > 0 ? node.taints : NO_TAINTS));
    this.arrays = {
      capCpu: Float64Array.from(nodes, (node) => node.cpu),
      capMem: Float64Array.from(nodes, (node) => node.memory),
      capGpu: Float64Array.from(nodes, (node) => node.gpu),
      allocCpu: new Float64Array(n),
      allocMem: new Float64Array(n),
      allocGpu: new Float64Array(n),
      status: Uint8Array.from(nodes, (node) => NODE_STATUS[node.status ?? 'up']),
    };
    this.upCount = nodes.filter((node) => (node.status ?? 'up') === 'up').length;
    this.counts = new Int32Array(n);
    this.head = new Int32Array(n).fill(-1);
    this.index = new CapacityIndex(this.arrays, n, index.jointTests, index.maxShapes);
  }

  // ---- ClusterView ----

  nodeName(node: NodeId): string {
    return this.names[node]!;
  }

  status(node: NodeId): NodeStatus {
    const code = this.arrays.status[node];
    return code === NODE_STATUS.up ? 'up' : code === NODE_STATUS.down ? 'down' : 'absent';
  }

  labels(node: NodeId): Readonly<Record<string, string>> {
    return this.nodeLabels[node]!;
  }

  taints(node: NodeId): readonly Taint[] {
    return this.nodeTaints[node]!;
  }

  capacity(node: NodeId, resource: Resource): number {
    const a = this.arrays;
    return (resource === 'cpu' ? a.capCpu : resource === 'memory' ? a.capMem : a.capGpu)[node]!;
  }

  allocated(node: NodeId, resource: Resource): number {
    const a = this.arrays;
    return (resource === 'cpu' ? a.allocCpu : resource === 'memory' ? a.allocMem : a.allocGpu)[node]!;
  }

  free(node: NodeId, resource: Resource): number {
    return this.capacity(node, resource) - this.allocated(node, resource);
  }

  taskCount(node: NodeId): number {
    return this.counts[node]!;
  }

  tasksOn(node: NodeId): TaskId[] {
    const out: TaskId[] = [];
    for (let t = this.head[node]!; t >= 0; t = this.next[t]!) out.push(taskId(t));
    return out;
  }

  running(task: TaskId): RunningTask | undefined {
    return this.describe(task);
  }

  runningByNode(job: string | undefined, group?: string): ReadonlyMap<NodeId, number> {
    this.owners ??= new OwnerIndex(this.nodeCount, (node) => this.tasksOn(node), this.describe);
    return this.owners.get(job, group, this.describe);
  }

  /** Who answers running(): the platform, which knows the tasks (the cluster books only amounts). */
  describeTasksWith(describe: (task: TaskId) => RunningTask | undefined): void {
    this.describe = describe;
    this.owners = undefined;
  }

  private describe: (task: TaskId) => RunningTask | undefined = () => undefined;

  fits(node: NodeId, request: Resources): boolean {
    return this.rejection(node, request) === undefined;
  }

  rejection(node: NodeId, request: Resources): Reason | undefined {
    const a = this.arrays;
    if (a.status[node] !== NODE_STATUS.up) return 'node-down';
    if (a.capCpu[node]! - a.allocCpu[node]! < request.cpu) return 'insufficient-cpu';
    if (a.capMem[node]! - a.allocMem[node]! < request.memory) return 'insufficient-memory';
    if (a.capGpu[node]! - a.allocGpu[node]! < request.gpu) return 'insufficient-gpu';
    return undefined;
  }

  firstFit(request: Resources, from = 0): NodeId | undefined {
    const start = this.start(from);
    const since = this.releasedSinceMiss(request);
    if (since !== undefined) {
      // The first in cyclic order from `start` among the released nodes that fit.
      let found = -1;
      for (const n of since) if (found < 0 || cyclic(n, start, this.nodeCount) < cyclic(found, start, this.nodeCount)) found = n;
      return this.answer(request, found);
    }
    const { cpu, memory, gpu } = request;
    let found = this.index.nextFit(cpu, memory, gpu, start);
    if (found < 0 && start > 0) found = this.index.nextFit(cpu, memory, gpu, 0);
    return this.answer(request, found);
  }

  bestFit(request: Resources, objective: Objective): NodeId | undefined {
    const since = this.releasedSinceMiss(request);
    if (since !== undefined) {
      const score = objective === 'most-allocated' ? mostAllocatedScore : leastAllocatedScore;
      let found = -1, best = -Infinity;
      for (const n of since) {
        const a = this.arrays;
        const s = score(a.allocCpu[n]!, a.capCpu[n]!, a.allocMem[n]!, a.capMem[n]!, request.cpu, request.memory);
        if (found < 0 || beats(s, n, best, found)) { found = n; best = s; }
      }
      return this.answer(request, found);
    }
    return this.answer(request, this.index.bestFit(request.cpu, request.memory, request.gpu, objective === 'most-allocated'));
  }

  *feasible(request: Resources, from = 0): Iterable<NodeId> {
    const { cpu, memory, gpu } = request;
    const start = this.start(from);
    const since = this.releasedSinceMiss(request);
    if (since !== undefined) {
      const n = this.nodeCount;
      const nodes = [...new Set(since)].sort((a, b) => cyclic(a, start, n) - cyclic(b, start, n));
      if (nodes.length === 0) this.recordMiss(request);
      for (const node of nodes) yield nodeId(node);
      return;
    }
    const next = (i: number) => (i < this.nodeCount ? this.index.nextFit(cpu, memory, gpu, i) : -1);
    // Cyclic order: [start, n), then [0, start).
    let any = false;
    for (let i = next(start); i >= 0; i = next(i + 1)) { any = true; yield nodeId(i); }
    for (let i = next(0); i >= 0 && i < start; i = next(i + 1)) { any = true; yield nodeId(i); }
    if (!any) this.recordMiss(request);
  }

  bottleneck(request: Resources): Reason {
    if (this.upCount === 0) return 'node-down';
    if (this.index.maxFree('cpu') < request.cpu) return 'insufficient-cpu';
    if (this.index.maxFree('memory') < request.memory) return 'insufficient-memory';
    if (this.index.maxFree('gpu') < request.gpu) return 'insufficient-gpu';
    return 'fragmented';
  }

  // ---- For the platform ----

  /** The node of this name, if the cluster has one. */
  indexOf(name: string): number | undefined {
    return this.byName.get(name);
  }

  /** Would an empty, up node of this cluster hold the request? (Node status is ignored.) */
  couldEverFit(request: Resources): boolean {
    return this.index.couldEverFit(request.cpu, request.memory, request.gpu);
  }

  get upNodes(): number {
    return this.upCount;
  }

  /** Total capacity over up nodes, in base units. */
  upCapacity(resource: Resource): number {
    const cap = resource === 'cpu' ? this.arrays.capCpu : resource === 'memory' ? this.arrays.capMem : this.arrays.capGpu;
    let total = 0;
    for (let i = 0; i < this.nodeCount; i++) if (this.arrays.status[i] === NODE_STATUS.up) total += cap[i]!;
    return total;
  }

  /** Does the up node have room for these amounts (base units)? */
  hasRoom(node: number, cpu: number, memory: number, gpu: number): boolean {
    const a = this.arrays;
    return a.status[node] === NODE_STATUS.up && a.capCpu[node]! - a.allocCpu[node]! >= cpu &&
      a.capMem[node]! - a.allocMem[node]! >= memory && a.capGpu[node]! - a.allocGpu[node]! >= gpu;
  }

  /** Books a task's request on a node. The caller has checked that it fits. */
  place(node: number, task: number, cpu: number, memory: number, gpu: number): void {
    const a = this.arrays;
    a.allocCpu[node]! += cpu;
    a.allocMem[node]! += memory;
    a.allocGpu[node]! += gpu;
    this.link(node, task);
    this.index.refreshLoad(node);
    this.owners?.placed(task, node);
    this.generation++;
  }

  /** Releases what place() booked. Call while the platform still describes the task as running. */
  remove(node: number, task: number, cpu: number, memory: number, gpu: number): void {
    this.owners?.removed(task, node, this.describe);
    this.generation++;
    const a = this.arrays;
    a.allocCpu[node]! -= cpu;
    a.allocMem[node]! -= memory;
    a.allocGpu[node]! -= gpu;
    this.unlink(node, task);
    this.index.refreshLoad(node);
    this.released(node);
  }

  setStatus(node: number, status: NodeStatus): void {
    const code = NODE_STATUS[status];
    const was = this.arrays.status[node];
    if (was === code) return;
    this.generation++;
    this.arrays.status[node] = code;
    if (was === NODE_STATUS.up) this.upCount--;
    if (code === NODE_STATUS.up) this.upCount++;
    this.index.refreshNode(node);
    if (code === NODE_STATUS.up) this.released(node);
  }

  /** Sets a node's capacity (base units). Allocation stays: the caller evicts what no longer fits. */
  setCapacity(node: number, cpu: number, memory: number, gpu: number): void {
    const a = this.arrays;
    const grew = cpu > a.capCpu[node]! || memory > a.capMem[node]! || gpu > a.capGpu[node]!;
    this.generation++;
    a.capCpu[node] = cpu;
    a.capMem[node] = memory;
    a.capGpu[node] = gpu;
    this.index.refreshNode(node);
    if (grew) this.released(node);
  }

  /** Is any resource of the node allocated beyond its capacity? */
  overCommitted(node: number): boolean {
    const a = this.arrays;
    return a.allocCpu[node]! > a.capCpu[node]! || a.allocMem[node]! > a.capMem[node]! || a.allocGpu[node]! > a.capGpu[node]!;
  }

  /** Notes that a node's free room grew. */
  private released(node: number): void {
    this.recent[this.releases % RECENT] = node;
    this.releases++;
  }

  /**
   * When the request found no node before and few nodes were released since, those of them
   * that fit now (the only candidates); otherwise undefined, and the index must be asked.
   */
  private releasedSinceMiss(request: Resources): number[] | undefined {
    const miss = this.misses.get(request);
    if (miss === undefined || miss.cpu !== request.cpu || miss.memory !== request.memory || miss.gpu !== request.gpu ||
        this.releases - miss.at > RECENT) return undefined;
    const fitting: number[] = [];
    for (let e = miss.at; e < this.releases; e++) {
      const n = this.recent[e % RECENT]!;
      if (this.hasRoom(n, request.cpu, request.memory, request.gpu)) fitting.push(n);
    }
    return fitting;
  }

  /** Returns a query's answer, remembering a miss. */
  private answer(request: Resources, found: number): NodeId | undefined {
    if (found >= 0) return nodeId(found);
    this.recordMiss(request);
    return undefined;
  }

  private recordMiss(request: Resources): void {
    const miss = this.misses.get(request);
    if (miss) miss.at = this.releases;
    else this.misses.set(request, { at: this.releases, cpu: request.cpu, memory: request.memory, gpu: request.gpu });
  }

  private start(from: number): number {
    return from > 0 && from < this.nodeCount ? Math.floor(from) : 0;
  }

  private link(node: number, task: number): void {
    if (task >= this.next.length) this.growLinks(task);
    const first = this.head[node]!;
    this.next[task] = first;
    this.prev[task] = -1;
    if (first >= 0) this.prev[first] = task;
    this.head[node] = task;
    this.counts[node]!++;
  }

  private unlink(node: number, task: number): void {
    const p = this.prev[task]!, n = this.next[task]!;
    if (p >= 0) this.next[p] = n; else this.head[node] = n;
    if (n >= 0) this.prev[n] = p;
    this.counts[node]!--;
  }

  private growLinks(task: number): void {
    let size = this.next.length;
    while (size <= task) size *= 2;
    const next = new Int32Array(size); next.set(this.next); this.next = next;
    const prev = new Int32Array(size); prev.set(this.prev); this.prev = prev;
  }
}

/** Releases remembered: a request that missed longer ago than this asks the index again. */
const RECENT = 64;

interface Miss {
  /** `releases` when the request last found no node. */
  at: number;
  readonly cpu: number;
  readonly memory: number;
  readonly gpu: number;
}

/** Distance from `start` to `node` going forward around the cluster. */
function cyclic(node: number, start: number, n: number): number {
  return node >= start ? node - start : node + n - start;
}
