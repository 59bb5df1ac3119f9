// The cluster model: nodes with capacity, allocation, labels and status, in typed arrays
// indexed by node id, and the tasks running on each node as linked lists in typed arrays
// indexed by task id. It implements the read-only ClusterView that schedulers see; only the
// platform (the simulator, or the Docker driver's live view) calls the mutating methods.

import {
  nodeId, taskId,
  type ClusterView, type NodeId, type NodeStatus, type Objective, type Reason, type Resource, type Resources, type TaskId,
} from '../schedulers/contract.ts';
import { CapacityIndex, type NodeArrays } from './capacity-index.ts';
import type { NodeSpec } from './cluster-file.ts';

export class Cluster implements ClusterView {
  readonly nodeCount: number;
  private readonly names: readonly string[];
  private readonly nodeLabels: readonly Readonly<Record<string, string>>[];
  private readonly arrays: NodeArrays;
  private readonly index: CapacityIndex;
  private readonly counts: Int32Array;
  private readonly head: Int32Array;
  private next = new Int32Array(1024);
  private prev = new Int32Array(1024);
  private upCount: number;

  constructor(nodes: readonly NodeSpec[]) {
    const n = nodes.length;
    this.nodeCount = n;
    this.names = nodes.map((node) => node.name);
    this.nodeLabels = nodes.map((node) => node.labels);
    this.arrays = {
      capCpu: Float64Array.from(nodes, (node) => node.cpu),
      capMem: Float64Array.from(nodes, (node) => node.memory),
      capGpu: Float64Array.from(nodes, (node) => node.gpu),
      allocCpu: new Float64Array(n),
      allocMem: new Float64Array(n),
      allocGpu: new Float64Array(n),
      up: new Uint8Array(n).fill(1),
    };
    this.upCount = n;
    this.counts = new Int32Array(n);
    this.head = new Int32Array(n).fill(-1);
    this.index = new CapacityIndex(this.arrays, n);
  }

  // ---- ClusterView ----

  nodeName(node: NodeId): string {
    return this.names[node]!;
  }

  status(node: NodeId): NodeStatus {
    return this.arrays.up[node] === 1 ? 'up' : 'down';
  }

  labels(node: NodeId): Readonly<Record<string, string>> {
    return this.nodeLabels[node]!;
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

  fits(node: NodeId, request: Resources): boolean {
    return this.rejection(node, request) === undefined;
  }

  rejection(node: NodeId, request: Resources): Reason | undefined {
    const a = this.arrays;
    if (a.up[node] !== 1) return 'node-down';
    if (a.capCpu[node]! - a.allocCpu[node]! < request.cpu) return 'insufficient-cpu';
    if (a.capMem[node]! - a.allocMem[node]! < request.memory) return 'insufficient-memory';
    if (a.capGpu[node]! - a.allocGpu[node]! < request.gpu) return 'insufficient-gpu';
    return undefined;
  }

  firstFit(request: Resources, from = 0): NodeId | undefined {
    const { cpu, memory, gpu } = request;
    const start = this.start(from);
    let found = this.index.nextFit(cpu, memory, gpu, start);
    if (found < 0 && start > 0) found = this.index.nextFit(cpu, memory, gpu, 0);
    return found < 0 ? undefined : nodeId(found);
  }

  bestFit(request: Resources, objective: Objective): NodeId | undefined {
    const found = this.index.bestFit(request.cpu, request.memory, request.gpu, objective === 'most-allocated');
    return found < 0 ? undefined : nodeId(found);
  }

  *feasible(request: Resources, from = 0): Iterable<NodeId> {
    const { cpu, memory, gpu } = request;
    const start = this.start(from);
    const next = (i: number) => (i < this.nodeCount ? this.index.nextFit(cpu, memory, gpu, i) : -1);
    // Cyclic order: [start, n), then [0, start).
    for (let i = next(start); i >= 0; i = next(i + 1)) yield nodeId(i);
    for (let i = next(0); i >= 0 && i < start; i = next(i + 1)) yield nodeId(i);
  }

  bottleneck(request: Resources): Reason {
    if (this.upCount === 0) return 'node-down';
    if (this.index.maxFree('cpu') < request.cpu) return 'insufficient-cpu';
    if (this.index.maxFree('memory') < request.memory) return 'insufficient-memory';
    if (this.index.maxFree('gpu') < request.gpu) return 'insufficient-gpu';
    return 'fragmented';
  }

  // ---- For the platform ----

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
    for (let i = 0; i < this.nodeCount; i++) if (this.arrays.up[i] === 1) total += cap[i]!;
    return total;
  }

  /** Does the up node have room for these amounts (base units)? */
  hasRoom(node: number, cpu: number, memory: number, gpu: number): boolean {
    const a = this.arrays;
    return a.up[node] === 1 && a.capCpu[node]! - a.allocCpu[node]! >= cpu &&
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
  }

  /** Releases what place() booked. */
  remove(node: number, task: number, cpu: number, memory: number, gpu: number): void {
    const a = this.arrays;
    a.allocCpu[node]! -= cpu;
    a.allocMem[node]! -= memory;
    a.allocGpu[node]! -= gpu;
    this.unlink(node, task);
    this.index.refreshLoad(node);
  }

  setStatus(node: number, status: NodeStatus): void {
    const up = status === 'up' ? 1 : 0;
    if (this.arrays.up[node] === up) return;
    this.arrays.up[node] = up;
    this.upCount += up ? 1 : -1;
    this.index.refreshNode(node);
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
