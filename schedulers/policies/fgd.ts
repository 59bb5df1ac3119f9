// fgd: Fragmentation Gradient Descent (Weng et al., "Beware of Fragmentation: Scheduling
// GPU-Sharing Workloads with Fragmentation Gradient Descent", USENIX ATC 2023): a task goes to
// the node whose expected GPU fragmentation grows least (or shrinks most) by taking it.
//
// Fragmentation of a node for a task shape m (cpu c, gpu d) is the free GPU that m cannot use
// there:
//   m asks for no GPU, or cannot run on the node (free cpu < c, or the free GPU cannot hold d):
//     all the node's free GPU;
//   else: the free share of each GPU that is partly free and holds less than min(d, 1 GPU).
// A node's expected fragmentation F = sum over shapes of popularity(m) x fragmentation(m), and
// the task goes to the node with room (its placement rules allowing) where F(after) - F(before) is
// least; ties go to the lowest node index. On nodes without GPUs F is always 0, so a task that
// asks for no GPU goes to the first node with room where it strands no GPU (it cannot lower F).
//
// The target workload, whose shapes' popularity F weighs, is the tasks seen so far: each task is
// counted once, the first round it is offered (counted by the trace's submit time and name, so a
// task that comes back after an eviction is not counted again). Shapes are the task's cpu and gpu
// requests, as the paper's; memory is checked for room but is no part of a shape.
//
// GPUs: the simulator books a node's GPUs as one quantity (milli-GPUs), and the view gives only
// the total free. fgd reads it as whole free GPUs plus one partly free GPU holding the rest
// (free mod 1000), as if tasks sharing GPUs were always packed onto as few GPUs as possible;
// that is exactly the room the simulator's quantity allows (a request of d fits when the free
// total is at least d), and it counts less fragmentation than devices placed one by one would.
//
// Not modelled: which GPU of a node a task takes (the paper's FGD also picks it), GPU models
// as part of a shape (a task's placement rules still restrict its nodes), memory in the shapes.
// Its decisions depend on tasks no node has room for (they count in the workload), so it does
// not set ignoresUnfit.

import type { ClusterView, DecideContext, Decision, NodeId, PendingTask, Scheduler, SchedulerOptions } from '../contract.ts';
import { placementAllows } from '../constraints.ts';
import { placeEach } from '../per-task.ts';

export const MILLI_PER_GPU = 1000;
/** Free cpu and gpu as one number, while free gpu stays below this (65 GPUs). */
const ROOM_KEY = 65_536;

/** A node's free room as fragmentation reads it. */
export interface NodeRoom {
  readonly cpu: number;
  /** Free milli-GPUs. */
  readonly gpu: number;
}

/** The shapes of one GPU request: their cpu requests, sorted, with cumulative counts. */
interface GpuClass {
  readonly gpu: number;
  readonly total: number;
  readonly cpus: readonly number[];
  /** cumulative[i]: how many shapes of the class ask for at most cpus[i]. */
  readonly cumulative: readonly number[];
}

/** The target workload: how many tasks of each (cpu, gpu) shape were seen. */
export class Workload {
  private readonly counts = new Map<number, Map<number, number>>();
  private built: { cpuOnly: number; classes: GpuClass[] } | undefined;

  add(cpu: number, gpu: number, count = 1): void {
    let byCpu = this.counts.get(gpu);
    if (byCpu === undefined) this.counts.set(gpu, byCpu = new Map());
    byCpu.set(cpu, (byCpu.get(cpu) ?? 0) + count);
    this.built = undefined;
  }

  get size(): number {
    let n = 0;
    for (const byCpu of this.counts.values()) for (const c of byCpu.values()) n += c;
    return n;
  }

  /**
   * The node's expected fragmentation in milli-GPUs x tasks (divide by the number of tasks seen
   * for the paper's weighted mean: the division changes no comparison, so it is left out).
   */
  fragmentation(room: NodeRoom): number {
    const { cpuOnly, classes } = this.classes();
    const f = room.gpu;
    if (f <= 0) return 0;
    // The partly free GPU of the packed reading.
    const partial = f % MILLI_PER_GPU;
    let sum = cpuOnly * f; // a task asking for no GPU can use none of it
    for (const c of classes) {
      if (f < c.gpu) {
        sum += c.total * f; // the free GPU cannot hold the request: all of it is stranded
        continue;
      }
      const runs = countAtMost(c, room.cpu); // shapes with cpu enough to run here
      const stranded = partial > 0 && partial < Math.min(c.gpu, MILLI_PER_GPU) ? partial : 0;
      sum += runs * stranded + (c.total - runs) * f;
    }
    return sum;
  }

  private classes(): { cpuOnly: number; classes: GpuClass[] } {
    if (this.built !== undefined) return this.built;
    let cpuOnly = 0;
    const classes: GpuClass[] = [];
    for (const [gpu, byCpu] of [...this.counts].sort((a, b) => a[0] - b[0])) {
      if (gpu <= 0) {
        for (const c of byCpu.values()) cpuOnly += c;
        continue;
      }
      const cpus = [...byCpu.keys()].sort((a, b) => a - b);
      const cumulative: number[] = [];
      let run = 0;
      for (const cpu of cpus) cumulative.push(run += byCpu.get(cpu)!);
      classes.push({ gpu, total: run, cpus, cumulative });
    }
    return this.built = { cpuOnly, classes };
  }
}

/** How many shapes of the class ask for at most `cpu`. */
function countAtMost(c: GpuClass, cpu: number): number {
  let lo = 0, hi = c.cpus.length; // first index with cpus[i] > cpu
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (c.cpus[mid]! <= cpu) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0 : c.cumulative[lo - 1]!;
}

/** F(after) - F(before) for placing the task on a node with this free room. */
export function fragmentationDelta(workload: Workload, room: NodeRoom, task: { readonly cpu: number; readonly gpu: number }): number {
  return workload.fragmentation({ cpu: room.cpu - task.cpu, gpu: room.gpu - task.gpu }) - workload.fragmentation(room);
}

class Fgd implements Scheduler {
  readonly name = 'fgd';
  readonly workload = new Workload();
  /** The latest submit time counted, and the names counted at that time. */
  private counted = -Infinity;
  private namesAtCounted = new Set<string>();

  decide(pending: readonly PendingTask[], cluster: ClusterView, ctx: DecideContext): Iterable<Decision> {
    this.count(pending);
    return placeEach(pending, cluster, ctx, (task) => this.pick(task, cluster));
  }

  /** Counts the tasks offered for the first time. */
  private count(pending: readonly PendingTask[]): void {
    let latest = this.counted;
    const fresh: PendingTask[] = [];
    for (const task of pending) {
      if (task.submit > this.counted || (task.submit === this.counted && !this.namesAtCounted.has(task.name))) {
        fresh.push(task);
        if (task.submit > latest) latest = task.submit;
      }
    }
    if (latest > this.counted) {
      this.counted = latest;
      this.namesAtCounted = new Set();
    }
    for (const task of fresh) {
      this.workload.add(task.cpu, task.gpu);
      if (task.submit === this.counted) this.namesAtCounted.add(task.name);
    }
  }

  private pick(task: PendingTask, cluster: ClusterView): NodeId | undefined {
    let best: NodeId | undefined;
    let bestDelta = Infinity;
    // The change depends on the node only through its free cpu and gpu, which many nodes share.
    const seen = new Map<number, number>();
    for (const node of cluster.feasible(task)) {
      if (!placementAllows(task, node, cluster)) continue;
      let delta = 0; // no GPUs, nothing to fragment: the least a task can add
      if (cluster.capacity(node, 'gpu') > 0) {
        const room = { cpu: cluster.free(node, 'cpu'), gpu: cluster.free(node, 'gpu') };
        const key = room.gpu < ROOM_KEY ? room.cpu * ROOM_KEY + room.gpu : -1;
        const known = seen.get(key);
        if (known !== undefined) delta = known;
        else {
          delta = fragmentationDelta(this.workload, room, task);
          if (key >= 0) seen.set(key, delta);
        }
      }
      if (delta < bestDelta) {
        best = node;
        bestDelta = delta;
        // A task asking for no GPU frees none, so cannot lower F: 0 is the best it can do.
        if (task.gpu === 0 && delta === 0) break;
      }
    }
    return best;
  }
}

export function fgd(options: SchedulerOptions = {}): Scheduler {
  const unknown = Object.keys(options);
  if (unknown.length > 0) throw new RangeError(`fgd: unknown option ${unknown[0]}; it takes none`);
  return new Fgd();
}
