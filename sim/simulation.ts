// The simulated platform: tasks arrive, a scheduler decides, the platform commits decisions to
// the cluster's books and schedules each task's finish. Nodes may fail and recover; the tasks
// of a failed node are evicted and requeued.
//
// Same-instant order, written once here and tested: task finishes, then node events (fail,
// recover), then submits; then one scheduling round. A round walks the pending queue in queue
// order; greedy (the default) goes on past a task that fits nowhere, strict-fifo stops there.

import { Engine, type EventId } from './engine.ts';
import { Cluster } from './cluster.ts';
import type { NodeSpec } from './cluster-file.ts';
import { PlacementDigest } from './digest.ts';
import { Channel, Metrics } from './metrics.ts';
import { PendingQueue } from './pending-queue.ts';
import { stream } from './random.ts';
import { TaskState, TaskTable } from './tasks.ts';
import {
  REASONS, nodeId, taskId,
  type DecideContext, type NodeId, type PendingTask, type Reason, type Scheduler, type TaskId,
} from '../schedulers/contract.ts';
import type { TaskRecord } from '../traces/record.ts';

/** Event classes: the lower pops first at the same instant. */
export const EventClass = {
  Finish: 0,
  NodeFail: 1,
  NodeRecover: 2,
  // 3 and 4 are kept for nodes that join and leave, which come after recoveries.
  Submit: 5,
  Round: 6,
} as const;
type EventClassValue = (typeof EventClass)[keyof typeof EventClass];

export type QueueDiscipline = 'greedy' | 'strict-fifo';
export const QUEUE_DISCIPLINES: readonly QueueDiscipline[] = ['greedy', 'strict-fifo'];

/** One ended attempt of a task, in base units and µs. */
export interface AttemptRow {
  readonly task: string;
  readonly node: string;
  readonly submit: number;
  readonly start: number;
  readonly end: number;
}

export interface SimulationOptions {
  readonly scheduler: Scheduler;
  readonly seed: number | string;
  readonly queue?: QueueDiscipline;
  /** Ask the scheduler why tasks wait, and count the reasons (costs time in overload). */
  readonly reasons?: boolean;
  /** Receives every attempt when it ends (finished, or evicted by a node failure). */
  readonly onAttemptEnd?: (row: AttemptRow) => void;
}

/** Decisions the platform refused, by cause. A correct scheduler causes none. */
export interface Conflicts {
  /** The task was not pending (unknown, already placed, or placed twice in a round). */
  notPending: number;
  /** The node does not exist, is down, or lacks room. */
  noRoom: number;
  /** A preemption: not enabled on this platform yet. */
  unsupported: number;
}

export class Simulation {
  readonly cluster: Cluster;
  readonly conflicts: Conflicts = { notPending: 0, noRoom: 0, unsupported: 0 };
  /** Wait decisions by reason (task-rounds), counted when the options ask for reasons. */
  readonly waitReasons = Object.fromEntries(REASONS.map((r) => [r, 0])) as Record<Reason, number>;
  readonly unschedulableSample: string[] = [];
  submitted = 0;
  started = 0;
  completed = 0;
  evicted = 0;
  unschedulable = 0;
  rounds = 0;

  private readonly engine: Engine;
  private readonly tasks = new TaskTable();
  private readonly pending: PendingQueue;
  private readonly digest = new PlacementDigest();
  private readonly scheduler: Scheduler;
  private readonly strict: boolean;
  private readonly countReasons: boolean;
  private readonly onAttemptEnd: ((row: AttemptRow) => void) | undefined;
  private readonly ctx: DecideContext;
  private metricsOrNone: Metrics | undefined;
  private roundQueued = false;
  private nextOrdinal = 0;
  private lastSubmit = -Infinity;
  private lastEnd = -Infinity;

  constructor(nodes: readonly NodeSpec[], options: SimulationOptions) {
    this.cluster = new Cluster(nodes);
    this.scheduler = options.scheduler;
    this.strict = (options.queue ?? 'greedy') === 'strict-fifo';
    this.onAttemptEnd = options.onAttemptEnd;
    // Room for the live tasks of a large cell from the start: each growth rebuilds the heap.
    this.engine = new Engine((cls, payload) => this.dispatch(cls as EventClassValue, payload), 1 << 16);
    this.pending = new PendingQueue((task) => this.tasks.ordinal[task.id]!);
    const engine = this.engine;
    const random = stream(options.seed, `scheduler/${options.scheduler.name}`);
    this.countReasons = options.reasons ?? false;
    // A strict queue asks for waits too: the round must stop at the first one, before the
    // scheduler looks at (and perhaps moves a cursor for) the tasks behind it.
    this.ctx = { get now() { return engine.now; }, random, reasons: this.countReasons || this.strict };
  }

  /** Simulated time, µs. */
  get now(): number {
    return this.engine.now;
  }

  get events(): number {
    return this.engine.dispatched;
  }

  /** Tasks waiting now. */
  get pendingCount(): number {
    return this.pending.length;
  }

  get runningCount(): number {
    return this.started - this.completed - this.evicted;
  }

  /** The metrics, which start at the first submit. */
  get metrics(): Metrics | undefined {
    return this.metricsOrNone;
  }

  /** Time of the last task end (finish or eviction), µs, or -Infinity before any. */
  get lastTaskEnd(): number {
    return this.lastEnd;
  }

  /** Queues a task's arrival. Records must come in order of submit time. */
  submit(record: TaskRecord): void {
    if (record.submit < this.lastSubmit || record.submit < this.engine.now) {
      throw new RangeError(`task ${record.id}: submit ${record.submit} µs comes before an earlier task's (${Math.max(this.lastSubmit, this.engine.now)} µs)`);
    }
    this.lastSubmit = record.submit;
    if (this.metricsOrNone === undefined) this.startMetrics(record.submit);
    const slot = this.tasks.add(this.nextOrdinal++, record.id, record.submit, record.duration,
      record.cpu, record.memory, record.gpu, record.priority);
    this.engine.schedule(record.submit, EventClass.Submit, slot);
  }

  /** Schedules a node failure at `time` (µs): its tasks are evicted and requeued. */
  failNode(time: number, node: number): void {
    this.engine.schedule(time, EventClass.NodeFail, this.checkNode(node));
  }

  /** Schedules a node's recovery at `time` (µs). */
  recoverNode(time: number, node: number): void {
    this.engine.schedule(time, EventClass.NodeRecover, this.checkNode(node));
  }

  /** Runs every event before `t` (µs): events at `t` may still be joined by more arrivals. */
  runBefore(t: number): void {
    this.engine.runBefore(t);
  }

  /** Runs every remaining event. */
  run(): void {
    this.engine.run();
  }

  /** "sha256:…" of the placement log. Call once, at the end. */
  finishDigest(): string {
    return this.digest.finish();
  }

  private startMetrics(origin: number): void {
    const m = new Metrics(origin);
    m.add(Channel.capCpu, this.cluster.upCapacity('cpu'));
    m.add(Channel.capMemory, this.cluster.upCapacity('memory'));
    m.add(Channel.capGpu, this.cluster.upCapacity('gpu'));
    this.metricsOrNone = m;
  }

  private dispatch(cls: EventClassValue, payload: number): void {
    switch (cls) {
      case EventClass.Finish: return this.onFinish(payload);
      case EventClass.NodeFail: return this.onNodeFail(payload);
      case EventClass.NodeRecover: return this.onNodeRecover(payload);
      case EventClass.Submit: return this.onSubmit(payload);
      case EventClass.Round: return this.onRound();
      default: {
        const never: never = cls;
        throw new Error(`unknown event class ${String(never)}`);
      }
    }
  }

  private onSubmit(slot: number): void {
    const t = this.tasks;
    const m = this.metricsOrNone!;
    m.advance(this.engine.now);
    m.arrival(this.engine.now);
    this.submitted++;
    const task = this.pendingTask(slot);
    if (!this.cluster.couldEverFit(task)) {
      this.unschedulable++;
      if (this.unschedulableSample.length < 10) this.unschedulableSample.push(t.names[slot]!);
      t.release(slot);
      return;
    }
    t.state[slot] = TaskState.Pending;
    this.pending.arrive(task);
    m.add(Channel.pending, 1);
    this.requestRound();
  }

  private onFinish(slot: number): void {
    this.metricsOrNone!.advance(this.engine.now);
    this.endAttempt(slot);
    this.completed++;
    this.tasks.release(slot);
    if (this.pending.length > 0) this.requestRound();
  }

  private onNodeFail(node: number): void {
    if (this.cluster.status(nodeId(node)) === 'down') return;
    const m = this.metricsOrNone;
    m?.advance(this.engine.now);
    for (const task of this.cluster.tasksOn(nodeId(node))) {
      this.engine.cancel(this.tasks.finishEvent[task]! as EventId);
      this.endAttempt(task);
      this.evicted++;
      this.tasks.state[task] = TaskState.Pending;
      this.pending.requeue(this.pendingTask(task));
      m?.add(Channel.pending, 1);
    }
    this.changeStatus(node, 'down');
    if (this.pending.length > 0) this.requestRound();
  }

  private onNodeRecover(node: number): void {
    if (this.cluster.status(nodeId(node)) === 'up') return;
    this.metricsOrNone?.advance(this.engine.now);
    this.changeStatus(node, 'up');
    if (this.pending.length > 0) this.requestRound();
  }

  private changeStatus(node: number, status: 'up' | 'down'): void {
    const sign = status === 'up' ? 1 : -1;
    const id = nodeId(node);
    const m = this.metricsOrNone;
    m?.add(Channel.capCpu, sign * this.cluster.capacity(id, 'cpu'));
    m?.add(Channel.capMemory, sign * this.cluster.capacity(id, 'memory'));
    m?.add(Channel.capGpu, sign * this.cluster.capacity(id, 'gpu'));
    this.cluster.setStatus(node, status);
  }

  private requestRound(): void {
    if (this.roundQueued) return;
    this.roundQueued = true;
    this.engine.schedule(this.engine.now, EventClass.Round, 0);
  }

  private onRound(): void {
    this.roundQueued = false;
    const queue = this.pending.items;
    if (queue.length === 0) return;
    this.rounds++;
    let placed = 0;
    for (const d of this.scheduler.decide(queue, this.cluster, this.ctx)) {
      // Strict FIFO places a prefix of the queue: it stops at the first task not placed.
      if (this.strict && (d.kind !== 'place' || d.task !== queue[placed]?.id)) {
        if (d.kind === 'wait' && this.countReasons) this.waitReasons[d.reason]++;
        break;
      }
      switch (d.kind) {
        case 'place':
          if (this.commit(d.task, d.node)) placed++;
          else if (this.strict) return this.afterRound(placed);
          break;
        case 'wait':
          if (this.countReasons) this.waitReasons[d.reason]++;
          break;
        case 'preempt':
          this.conflicts.unsupported++;
          break;
        default: {
          const never: never = d;
          throw new Error(`unknown decision ${JSON.stringify(never)}`);
        }
      }
    }
    this.afterRound(placed);
  }

  private afterRound(placed: number): void {
    if (placed > 0) this.pending.removeWhere((task) => this.tasks.state[task.id] !== TaskState.Pending);
  }

  /** Commits a placement if it is valid; returns whether it was. */
  private commit(task: TaskId, node: NodeId): boolean {
    const t = this.tasks;
    const slot = task as number;
    if (!(Number.isInteger(slot) && slot >= 0 && slot < t.capacity) || t.state[slot] !== TaskState.Pending) {
      this.conflicts.notPending++;
      return false;
    }
    const cpu = t.cpu[slot]!, memory = t.memory[slot]!, gpu = t.gpu[slot]!;
    if (!(Number.isInteger(node) && node >= 0 && node < this.cluster.nodeCount) ||
        !this.cluster.hasRoom(node, cpu, memory, gpu)) {
      this.conflicts.noRoom++;
      return false;
    }
    const now = this.engine.now;
    const m = this.metricsOrNone!;
    m.advance(now);
    if (this.cluster.taskCount(node) === 0) m.add(Channel.activeNodes, 1);
    this.cluster.place(node, slot, cpu, memory, gpu);
    t.state[slot] = TaskState.Running;
    t.node[slot] = node;
    t.start[slot] = now;
    t.finishEvent[slot] = this.engine.schedule(now + t.duration[slot]!, EventClass.Finish, slot);
    m.add(Channel.allocCpu, cpu);
    m.add(Channel.allocMemory, memory);
    m.add(Channel.allocGpu, gpu);
    m.add(Channel.pending, -1);
    m.add(Channel.running, 1);
    m.waits.record(now - t.submit[slot]!);
    this.started++;
    return true;
  }

  /** Takes a running task off its node and logs the attempt. Metrics are advanced already. */
  private endAttempt(slot: number): void {
    const t = this.tasks;
    const node = t.node[slot]!;
    const cpu = t.cpu[slot]!, memory = t.memory[slot]!, gpu = t.gpu[slot]!;
    const now = this.engine.now;
    this.cluster.remove(node, slot, cpu, memory, gpu);
    const m = this.metricsOrNone!;
    if (this.cluster.taskCount(nodeId(node)) === 0) m.add(Channel.activeNodes, -1);
    m.add(Channel.allocCpu, -cpu);
    m.add(Channel.allocMemory, -memory);
    m.add(Channel.allocGpu, -gpu);
    m.add(Channel.running, -1);
    this.digest.add(t.ordinal[slot]!, node, t.start[slot]!, now);
    this.onAttemptEnd?.({
      task: t.names[slot]!, node: this.cluster.nodeName(nodeId(node)), submit: t.submit[slot]!, start: t.start[slot]!, end: now,
    });
    t.node[slot] = -1;
    t.finishEvent[slot] = -1;
    this.lastEnd = now;
  }

  private pendingTask(slot: number): PendingTask {
    const t = this.tasks;
    return {
      id: taskId(slot), name: t.names[slot]!, cpu: t.cpu[slot]!, memory: t.memory[slot]!, gpu: t.gpu[slot]!,
      priority: t.priority[slot]!, submit: t.submit[slot]!,
    };
  }

  private checkNode(node: number): number {
    if (!(Number.isInteger(node) && node >= 0 && node < this.cluster.nodeCount)) {
      throw new RangeError(`no node ${node}: the cluster has nodes 0..${this.cluster.nodeCount - 1}`);
    }
    return node;
  }
}
