// gang: gang scheduling, all or nothing. A gang is the tasks of one group of one job whose size
// is more than one (`job`, `group` and `groupSize` in the trace: Alibaba 2018's task instances
// carry them; a native trace gives a group but not its size). A gang starts only when every
// member has arrived and all of them fit at once; then they all start in the same round, at the
// same instant. Otherwise none starts and they wait.
//
//   in queue order, a task outside any gang starts on the first node with room (first fit);
//   at a gang's first member in the queue, the whole gang is decided: if fewer than groupSize
//   members are pending, they wait; else each member in turn is given the first node with room
//   that its placement rules allow, on the policy's own view of the cluster as if the members
//   before it had started (their room taken, and counted by affinity and spread rules); if one
//   finds none, no member starts. The platform then commits exactly what was planned.
//
// Once a gang has started, a member that comes back to the queue (evicted by a failing node)
// starts again on its own: gang semantics cover the start. The policy remembers which gangs it
// started while any of their members runs or waits. Waiting members give as reason 'constraint'
// (not all arrived: the policy's rule) or, when each would fit alone but not all at once,
// 'fragmented'.
//
// Not modelled: co-scheduling in time slices (Ousterhout's matrix), gangs across jobs,
// reservations that keep room for a waiting gang (small tasks behind it may take the room it
// waits for). Members on distinct nodes is the trace's anti-affinity rule, which plans honour.

import { placementAllows } from '../constraints.ts';
import {
  type ClusterView, type DecideContext, type Decision, type NodeId, type NodeStatus, type Objective, type PendingTask, type Reason,
  type Resource, type Resources, type RunningTask, type Scheduler, type SchedulerOptions, type Taint, type TaskId,
} from '../contract.ts';
import { RunningLedger, firstAllowed } from '../direct.ts';
import { waitReason } from '../per-task.ts';
import { beats, leastAllocatedScore, mostAllocatedScore } from '../scores.ts';

/** The gang a task belongs to, or undefined when it is in none. */
export function gangOf(task: { readonly job?: string; readonly group?: string; readonly groupSize?: number }): string | undefined {
  if (task.job === undefined || task.group === undefined || !(task.groupSize !== undefined && task.groupSize > 1)) return undefined;
  return `${task.job}\u0000${task.group}`;
}

/** A running task's gang key (its size is not needed to count it). */
const runningGang = (r: { readonly job?: string; readonly group?: string }): string | undefined =>
  (r.job === undefined || r.group === undefined ? undefined : `${r.job}\u0000${r.group}`);

/** Each member's node, or the member that found none. */
type GangPlan = { readonly nodes: readonly NodeId[] } | { readonly failed: PendingTask };

/**
 * Where each member would start, first fit, as if the members before it had started: the policy
 * may not write the view, so it plans on a view of its own that counts them (their room, and
 * their job and group for the rules on running tasks: affinity, anti-affinity, spread).
 */
export function planGang(members: readonly PendingTask[], cluster: ClusterView): GangPlan {
  const planned = new Planned(cluster);
  const nodes: NodeId[] = [];
  let previous: PendingTask | undefined;
  let from = 0;
  for (const m of members) {
    // First fit: a member asking what the previous one did, without rules that the previous
    // one's start may change, finds no room before where that one went.
    if (!(previous && sameAsk(previous, m))) from = 0;
    let found: NodeId | undefined;
    for (const node of cluster.feasible(m, from)) {
      if (node < from) break; // wrapped around
      if (planned.fits(node, m) && placementAllows(m, node, planned)) {
        found = node;
        break;
      }
    }
    if (found === undefined) return { failed: m };
    planned.add(found, m);
    nodes.push(found);
    previous = m;
    from = found;
  }
  return { nodes };
}

/**
 * The view once the planned members have started: their requests taken from their nodes' room,
 * and counted by runningByNode. They are not running tasks (tasksOn and running do not show
 * them); the index queries look at the nodes the cluster's own index finds with room.
 */
class Planned implements ClusterView {
  private readonly taken = new Map<NodeId, { cpu: number; memory: number; gpu: number }>();
  private readonly members: { node: NodeId; job: string | undefined; group: string | undefined }[] = [];
  generation = 0;

  constructor(private readonly base: ClusterView) {}

  add(node: NodeId, m: PendingTask): void {
    const t = this.taken.get(node);
    if (t === undefined) this.taken.set(node, { cpu: m.cpu, memory: m.memory, gpu: m.gpu });
    else {
      t.cpu += m.cpu;
      t.memory += m.memory;
      t.gpu += m.gpu;
    }
    this.members.push({ node, job: m.job, group: m.group });
    this.generation++;
  }

  get nodeCount(): number { return this.base.nodeCount; }
  nodeName(node: NodeId): string { return this.base.nodeName(node); }
  status(node: NodeId): NodeStatus { return this.base.status(node); }
  labels(node: NodeId): Readonly<Record<string, string>> { return this.base.labels(node); }
  taints(node: NodeId): readonly Taint[] { return this.base.taints(node); }
  capacity(node: NodeId, resource: Resource): number { return this.base.capacity(node, resource); }
  allocated(node: NodeId, resource: Resource): number { return this.base.allocated(node, resource) + (this.taken.get(node)?.[resource] ?? 0); }
  free(node: NodeId, resource: Resource): number { return this.capacity(node, resource) - this.allocated(node, resource); }
  taskCount(node: NodeId): number { return this.base.taskCount(node); }
  tasksOn(node: NodeId): TaskId[] { return this.base.tasksOn(node); }
  running(task: TaskId): RunningTask | undefined { return this.base.running(task); }

  runningByNode(job: string | undefined, group?: string): ReadonlyMap<NodeId, number> {
    const base = this.base.runningByNode(job, group);
    const mine = this.members.filter((m) => m.job === job && (group === undefined || m.group === group));
    if (mine.length === 0) return base;
    const counts = new Map(base);
    for (const m of mine) counts.set(m.node, (counts.get(m.node) ?? 0) + 1);
    return counts;
  }

  fits(node: NodeId, request: Resources): boolean {
    return this.rejection(node, request) === undefined;
  }

  rejection(node: NodeId, request: Resources): Reason | undefined {
    if (this.status(node) !== 'up') return 'node-down';
    if (this.free(node, 'cpu') < request.cpu) return 'insufficient-cpu';
    if (this.free(node, 'memory') < request.memory) return 'insufficient-memory';
    if (this.free(node, 'gpu') < request.gpu) return 'insufficient-gpu';
    return undefined;
  }

  firstFit(request: Resources, from = 0): NodeId | undefined {
    for (const node of this.feasible(request, from)) return node;
    return undefined;
  }

  bestFit(request: Resources, objective: Objective): NodeId | undefined {
    const score = objective === 'most-allocated' ? mostAllocatedScore : leastAllocatedScore;
    let best: NodeId | undefined;
    let bestScore = -Infinity;
    for (const node of this.feasible(request)) {
      const s = score(this.allocated(node, 'cpu'), this.capacity(node, 'cpu'), this.allocated(node, 'memory'), this.capacity(node, 'memory'), request.cpu, request.memory);
      if (best === undefined || beats(s, node, bestScore, best)) {
        best = node;
        bestScore = s;
      }
    }
    return best;
  }

  *feasible(request: Resources, from = 0): Iterable<NodeId> {
    for (const node of this.base.feasible(request, from)) if (this.fits(node, request)) yield node;
  }

  bottleneck(request: Resources): Reason {
    return this.base.bottleneck(request);
  }
}

function sameAsk(a: PendingTask, b: PendingTask): boolean {
  return a.cpu === b.cpu && a.memory === b.memory && a.gpu === b.gpu && a.constraints === b.constraints &&
    a.tolerations === b.tolerations && a.affinity === undefined && a.antiAffinity === undefined && a.spread === undefined &&
    b.affinity === undefined && b.antiAffinity === undefined && b.spread === undefined;
}

class Gang implements Scheduler {
  readonly name = 'gang';
  // ignoresUnfit is left unset: a member that fits nowhere holds its whole gang back.
  /** Gangs started, kept while a member runs or waits. */
  private readonly started = new Set<string>();
  /** Running members per gang. */
  private readonly runningMembers = new Map<string, number>();
  private readonly ledger = new RunningLedger<string | undefined>(runningGang, {
    added: (g) => this.count(g, 1),
    removed: (g) => this.count(g, -1),
  });

  *decide(pending: readonly PendingTask[], cluster: ClusterView, ctx: DecideContext): Generator<Decision> {
    const gangs = new Map<string, PendingTask[]>();
    for (const task of pending) {
      const g = gangOf(task);
      if (g === undefined) continue;
      const list = gangs.get(g);
      if (list === undefined) gangs.set(g, [task]);
      else list.push(task);
    }
    // Which gangs run matters only to gang members waiting.
    if (gangs.size > 0) {
      this.ledger.sync(cluster);
      for (const g of this.started) if (!gangs.has(g) && !this.runningMembers.has(g)) this.started.delete(g);
    }

    /** Gangs decided in this round, all members at once (at the first in the queue). */
    const decided = new Set<string>();
    for (const task of pending) {
      const g = gangOf(task);
      if (g !== undefined && decided.has(g)) continue;
      if (g === undefined || this.started.has(g) || this.runningMembers.has(g)) {
        const node = firstAllowed(task, cluster);
        if (node !== undefined) {
          yield { kind: 'place', task: task.id, node };
          this.ledger.placed(cluster, task.id, node);
        } else if (ctx.reasons) {
          yield { kind: 'wait', task: task.id, reason: waitReason(task, cluster) };
        }
        continue;
      }
      decided.add(g);
      const members = gangs.get(g)!;
      const plan = members.length >= task.groupSize! ? planGang(members, cluster) : undefined;
      if (plan !== undefined && 'nodes' in plan) {
        this.started.add(g);
        for (let k = 0; k < members.length; k++) {
          const m = members[k]!;
          yield { kind: 'place', task: m.id, node: plan.nodes[k]! };
          this.ledger.placed(cluster, m.id, plan.nodes[k]!);
        }
      } else if (ctx.reasons) {
        // Not all arrived: the policy's rule. Each fits alone but not all at once: fragmented.
        const reason = plan === undefined ? 'constraint'
          : firstAllowed(plan.failed, cluster) === undefined ? waitReason(plan.failed, cluster) : 'fragmented';
        for (const m of members) yield { kind: 'wait', task: m.id, reason };
      }
    }
  }

  private count(g: string | undefined, sign: number): void {
    if (g === undefined) return;
    const n = (this.runningMembers.get(g) ?? 0) + sign;
    if (n > 0) this.runningMembers.set(g, n);
    else this.runningMembers.delete(g);
  }
}

export function gang(options: SchedulerOptions = {}): Scheduler {
  const unknown = Object.keys(options);
  if (unknown.length > 0) throw new RangeError(`gang: unknown option ${unknown[0]}; it takes none`);
  return new Gang();
}
