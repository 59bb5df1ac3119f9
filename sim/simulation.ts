// The simulated platform: tasks arrive, a scheduler decides, the platform commits decisions to
// the cluster's books and schedules each task's finish. Machines join, leave, fail, recover and
// change capacity; the tasks of a machine that leaves or fails are evicted and requeued.
//
// Same-instant order, written once here and tested: task finishes, then node events (fail,
// recover, add, remove, update), then submits; then one scheduling round. A round walks the
// pending queue in queue order; greedy (the default) goes on past a task that fits nowhere,
// strict-fifo stops there.
//
// Parking (greedy queue, a scheduler that declares `ignoresUnfit`): a task without placement rules
// that no up node has room for at the end of a round is parked. Rounds offer the active tasks,
// and of the parked ones only those that fit on a node whose room grew since the last round
// (where a task ended, or that came up or changed capacity), in queue order; they stay parked
// unless they start. Any other parked task would have found no node, as free room only shrinks
// within a round: the placements are those of offering every task every round, which is what
// runs when reasons are counted (the conformance suite compares the two).
//
// Two replay modes. `reschedule` (the default): the scheduler places every task. `trace`: each
// task starts on the node and at the time its record says (the trace's own placement, as a
// baseline); no scheduler runs, allocations may exceed capacity as the trace's did (counted),
// and node events change capacity without evicting (the trace's records end its attempts).

import { Engine, type EventId } from './engine.ts';
import { Cluster } from './cluster.ts';
import type { NodeSpec } from './cluster-file.ts';
import { Dependencies } from './dependencies.ts';
import { PlacementDigest } from './digest.ts';
import { fragmentation, type FragmentationSample } from './fragmentation.ts';
import { Channel, Metrics } from './metrics.ts';
import { NodeBalance } from './node-balance.ts';
import { PendingQueue } from './pending-queue.ts';
import { stream } from './random.ts';
import { TaskFlag, TaskState, TaskTable } from './tasks.ts';
import {
  REASONS, nodeId, taskId,
  type DecideContext, type Decision, type NodeId, type NodeVerdict, type PendingTask, type Reason, type RunningTask, type Scheduler,
  type Resources, type TaskId,
} from '../schedulers/contract.ts';
import { hasPlacementRules, placementAllows, rejectionOf } from '../schedulers/constraints.ts';
import { waitsOnStarts } from '../schedulers/relations.ts';
import { FailedRequests } from '../schedulers/per-task.ts';
import type { NodeRecord, TaskRecord, TraceRecord } from '../traces/record.ts';

/** Samples of fragmentation and balance kept at most (see sample()). */
const MAX_SAMPLES = 4096;

/** Event classes: the lower pops first at the same instant. */
export const EventClass = {
  Finish: 0,
  NodeFail: 1,
  NodeRecover: 2,
  NodeAdd: 3,
  NodeRemove: 4,
  NodeUpdate: 5,
  Submit: 6,
  /** `trace` mode: a task starts where and when its record says. */
  TraceStart: 7,
  Round: 8,
} as const;
type EventClassValue = (typeof EventClass)[keyof typeof EventClass];

const NODE_EVENT: Readonly<Record<NodeRecord['change'], EventClassValue>> = {
  fail: EventClass.NodeFail, recover: EventClass.NodeRecover, add: EventClass.NodeAdd,
  remove: EventClass.NodeRemove, update: EventClass.NodeUpdate,
};

export type QueueDiscipline = 'greedy' | 'strict-fifo';
export const QUEUE_DISCIPLINES: readonly QueueDiscipline[] = ['greedy', 'strict-fifo'];
export type ReplayMode = 'reschedule' | 'trace';
export const REPLAY_MODES: readonly ReplayMode[] = ['reschedule', 'trace'];
/** What becomes of a task evicted to make room for a higher-priority one. */
export type VictimFate = 'requeue' | 'fail';
export const VICTIM_FATES: readonly VictimFate[] = ['requeue', 'fail'];

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
  readonly replay?: ReplayMode;
  /** Ask the scheduler why tasks wait, and count the reasons (costs time in overload). */
  readonly reasons?: boolean;
  /** Receives every attempt when it ends (finished, or evicted). */
  readonly onAttemptEnd?: (row: AttemptRow) => void;
  /** Victims of preemption go back to the queue (default) or fail. */
  readonly victims?: VictimFate;
  /** Explains the decisions for these tasks (by trace id), or all: every node's verdict. */
  readonly explain?: { readonly tasks: 'all' | ReadonlySet<string>; readonly onExplain: (e: Explanation) => void };
}

/** A decision for a task, and every node's verdict when it was made (explain.jsonl). */
export interface Explanation {
  /** Seconds. */
  readonly time: number;
  readonly task: string;
  readonly decision: { readonly kind: Decision['kind']; readonly node?: string; readonly reason?: Reason; readonly victims?: readonly string[] };
  readonly nodes: readonly ({ readonly node: string; readonly rejected: Reason } |
    { readonly node: string; readonly scores: Readonly<Record<string, number>>; readonly total?: number })[];
}

/** A simulated service's replicas: how many should run, how many did. */
export interface ServiceReplicas {
  readonly name: string;
  readonly desired: number;
  /** Running at the end of the run. */
  readonly running: number;
  /** The fewest running once all had first started (desired when it never dropped). */
  readonly lowest: number;
  /** Replica-seconds short of the desired count, from the moment all first ran to the end. */
  readonly missingSeconds: number;
  /** Replicas placed again after an eviction. */
  readonly restarts: number;
}

/** Decisions the platform refused, by cause. A correct scheduler causes none. */
export interface Conflicts {
  /** The task was not pending (unknown, already placed, or placed twice in a round). */
  notPending: number;
  /** The node does not exist, is not up, or lacks room. */
  noRoom: number;
  /** A decision this platform cannot carry out (none today; the field stays for old summaries). */
  unsupported: number;
  /** A preemption whose victims are not lower-priority tasks running on its node, or free too little. */
  badVictims: number;
}

/** Preemptions carried out: the tasks started by evicting others, and what became of those. */
export interface Preemptions {
  preemptions: number;
  victims: number;
  requeued: number;
  failed: number;
}

/** What a `trace` replay could not do as the trace said. */
export interface TraceReplay {
  /** Tasks with no placement in the trace (never ran there): not replayed. */
  neverPlaced: number;
  /** Placements on a node the cluster does not have: not replayed. */
  unknownNode: number;
  /** Placements that took a node beyond its capacity (replayed, as the trace did). */
  overCommits: number;
}

export class Simulation {
  readonly cluster: Cluster;
  readonly conflicts: Conflicts = { notPending: 0, noRoom: 0, unsupported: 0, badVictims: 0 };
  readonly preemption: Preemptions = { preemptions: 0, victims: 0, requeued: 0, failed: 0 };
  readonly traceReplay: TraceReplay = { neverPlaced: 0, unknownNode: 0, overCommits: 0 };
  /** Wait decisions by reason (task-rounds), counted when the options ask for reasons. */
  readonly waitReasons = Object.fromEntries(REASONS.map((r) => [r, 0])) as Record<Reason, number>;
  readonly unschedulableSample: string[] = [];
  submitted = 0;
  started = 0;
  completed = 0;
  evicted = 0;
  unschedulable = 0;
  rounds = 0;
  /** Node records naming a node the cluster does not have (ignored). */
  unknownNodeRecords = 0;
  /** Times an up node failed (from the trace, or injected). */
  nodeFailures = 0;
  private readonly serviceBooks = new Map<string, {
    desired: number; running: number; full: boolean; lowest: number; missing: number; since: number; restarts: number;
  }>();

  private readonly engine: Engine;
  private readonly tasks = new TaskTable();
  /** Tasks a round offers (all pending tasks when not parking). */
  private readonly pending: PendingQueue;
  /** Pending tasks left out of rounds while no node has room for them (see Parking above). */
  private readonly parked: PendingQueue;
  /**
   * The smallest parked requests: while none fits on a node whose room grew, no parked task does.
   * Production-like workloads need 20 to 30 (kept to 16, it overflowed and said yes to every
   * round, which then read the whole parked queue: at 6 million tasks, 190,000 times).
   */
  private readonly parkedFrontier = new FailedRequests(64);
  private readonly parking: boolean;
  /** Nodes whose free room may have grown since the last round (when parking), and a flag per node. */
  private grown: number[] = [];
  /** The nodes whose room had grown when the round in progress (or the last) began. */
  private roundGrown: number[] = [];
  private readonly grownFlag: Uint8Array;
  private readonly dependencies = new Dependencies();
  private readonly digest = new PlacementDigest();
  private readonly scheduler: Scheduler;
  private readonly strict: boolean;
  private readonly traceMode: boolean;
  private readonly countReasons: boolean;
  private readonly onAttemptEnd: ((row: AttemptRow) => void) | undefined;
  private readonly victimFate: VictimFate;
  private readonly explainer: SimulationOptions['explain'];
  private readonly explainCtx: DecideContext;
  /** Set while a round consumes decisions: tasks evicted then wait in `deferred` till it ends. */
  private inRound = false;
  private readonly deferred: PendingTask[] = [];
  /** Running tasks as running() describes them, by slot, made when first asked. */
  private readonly described: (RunningTask | undefined)[] = [];
  private readonly ctx: DecideContext;
  /** Node changes waiting for their event, by id (the event's payload). */
  private readonly nodeChanges = new Map<number, NodeRecord>();
  private nextChange = 0;
  private metricsOrNone: Metrics | undefined;
  private readonly balance: NodeBalance;
  /** Price per node-hour of each node (0 when not given); whether any was given. */
  private readonly prices: Float64Array;
  readonly priced: boolean;
  private fragmentationSamples: FragmentationSample[] = [];
  private nextSample = Infinity;
  /**
   * Grid step of the samples, µs: from 4 s (finer costs scans and shows nothing a chart can),
   * doubling (keeping every other sample) to stay within MAX_SAMPLES.
   */
  private sampleStep = 4e6;
  private roundQueued = false;
  private nextOrdinal = 0;
  private lastTime = -Infinity;
  private lastEnd = -Infinity;

  constructor(nodes: readonly NodeSpec[], options: SimulationOptions) {
    this.cluster = new Cluster(nodes);
    this.balance = new NodeBalance(nodes.length, (i) => (nodes[i]!.status ?? 'up') === 'up');
    this.prices = Float64Array.from(nodes, (n) => n.price ?? 0);
    this.priced = nodes.some((n) => n.price !== undefined);
    this.scheduler = options.scheduler;
    this.strict = (options.queue ?? 'greedy') === 'strict-fifo';
    this.traceMode = options.replay === 'trace';
    this.onAttemptEnd = options.onAttemptEnd;
    this.victimFate = options.victims ?? 'requeue';
    this.explainer = options.explain;
    // Room for the live tasks of a large cell from the start: each growth rebuilds the heap.
    this.engine = new Engine((cls, payload) => this.dispatch(cls as EventClassValue, payload), 1 << 16);
    this.pending = new PendingQueue((task) => this.tasks.ordinal[task.id]!);
    this.parked = new PendingQueue((task) => this.tasks.ordinal[task.id]!);
    this.grownFlag = new Uint8Array(nodes.length);
    this.cluster.describeTasksWith((task) => this.runningTask(task));
    const engine = this.engine;
    const random = stream(options.seed, `scheduler/${options.scheduler.name}`);
    this.countReasons = options.reasons ?? false;
    // A strict queue asks for waits too: the round must stop at the first one, before the
    // scheduler looks at (and perhaps moves a cursor for) the tasks behind it.
    // Explaining asks for waits too: a task that waits is explained as well.
    this.ctx = { get now() { return engine.now; }, random, reasons: this.countReasons || this.strict || this.explainer !== undefined };
    // Explanations draw from a stream of their own: explaining moves no placement.
    const explainRandom = stream(options.seed, 'explain');
    this.explainCtx = { get now() { return engine.now; }, random: explainRandom, reasons: true };
    this.parking = options.scheduler.ignoresUnfit === true && !this.ctx.reasons && !this.traceMode;
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
    return this.pending.length + this.parked.length;
  }

  /** Tasks that arrived and wait for the tasks they depend on. */
  get blockedCount(): number {
    return this.dependencies.blockedCount;
  }

  get runningCount(): number {
    return this.started - this.completed - this.evicted;
  }

  /** The metrics, which start at the first record. */
  get metrics(): Metrics | undefined {
    return this.metricsOrNone;
  }

  /** Fragmentation and balance sampled at regular instants (see fragmentation.ts). */
  get samples(): readonly FragmentationSample[] {
    return this.fragmentationSamples;
  }

  /** Time of the last task end (finish or eviction), µs, or -Infinity before any. */
  get lastTaskEnd(): number {
    return this.lastEnd;
  }

  /** Takes the next record. Records must come in order of time. */
  push(record: TraceRecord): void {
    const time = record.kind === 'task' ? record.submit : record.time;
    if (time < this.lastTime || time < this.engine.now) {
      const what = record.kind === 'task' ? `task ${record.id}` : `node ${record.node}`;
      throw new RangeError(`${what}: time ${time} µs comes before an earlier record's (${Math.max(this.lastTime, this.engine.now)} µs)`);
    }
    this.lastTime = time;
    if (this.metricsOrNone === undefined) this.startMetrics(time);
    if (record.kind === 'node') {
      const id = this.nextChange++;
      this.nodeChanges.set(id, record);
      this.engine.schedule(time, NODE_EVENT[record.change], id);
      return;
    }
    if (record.service !== undefined) {
      const book = this.serviceBooks.get(record.service);
      if (book) book.desired++;
      else this.serviceBooks.set(record.service, { desired: 1, running: 0, full: false, lowest: 0, missing: 0, since: 0, restarts: 0 });
    }
    const slot = this.tasks.add(this.nextOrdinal++, record);
    this.engine.schedule(time, EventClass.Submit, slot);
  }

  /** Runs every event before `t` (µs): events at `t` may still be joined by more records. */
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
    let upPrice = 0;
    for (let i = 0; i < this.cluster.nodeCount; i++) if (this.cluster.status(nodeId(i)) === 'up') upPrice += this.prices[i]!;
    m.add(Channel.upPrice, upPrice);
    m.add(Channel.upNodes, this.cluster.upNodes);
    this.metricsOrNone = m;
    this.nextSample = origin;
  }

  /**
   * Samples fragmentation and balance at every grid instant up to `now`, with the state that
   * held just before `now` (the events at `now` have not applied yet).
   */
  private sample(now: number): void {
    const { cpu, memory } = fragmentation(this.cluster, this.pending.mergedWith(this.parked.items));
    const pending = this.pendingCount, cpuCv = this.balance.cv;
    const origin = this.metricsOrNone!.origin;
    while (this.nextSample <= now) {
      this.fragmentationSamples.push({ time: this.nextSample, weight: this.sampleStep, cpu, memory, pending, cpuCv });
      this.nextSample += this.sampleStep;
      if (this.fragmentationSamples.length > MAX_SAMPLES) {
        // Keep the samples on the doubled grid, each now standing for twice the time.
        const step = (this.sampleStep *= 2);
        this.fragmentationSamples = this.fragmentationSamples
          .filter((x) => (x.time - origin) % step === 0).map((x) => ({ ...x, weight: step }));
        this.nextSample = origin + Math.ceil((this.nextSample - origin) / step) * step;
      }
    }
  }

  /** The sampled series closed at `end` (µs): one more sample if the grid reached it. */
  finishSamples(end: number): void {
    if (this.metricsOrNone && this.nextSample <= end) this.sample(end);
  }

  /** Counts a node's cpu utilization in the balance, after its allocation or capacity changed. */
  private rebalance(node: number): void {
    const id = nodeId(node);
    if (this.cluster.status(id) !== 'up') return;
    const cap = this.cluster.capacity(id, 'cpu');
    this.balance.set(node, cap > 0 ? this.cluster.allocated(id, 'cpu') / cap : 0);
    this.rebalanceChannels();
  }

  private dispatch(cls: EventClassValue, payload: number): void {
    const now = this.engine.now;
    this.metricsOrNone!.advance(now);
    if (now >= this.nextSample) this.sample(now);
    switch (cls) {
      case EventClass.Finish: return this.onFinish(payload);
      case EventClass.NodeFail:
      case EventClass.NodeRecover:
      case EventClass.NodeAdd:
      case EventClass.NodeRemove:
      case EventClass.NodeUpdate: return this.onNodeChange(payload);
      case EventClass.Submit: return this.onSubmit(payload);
      case EventClass.TraceStart: return this.onTraceStart(payload);
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
    const record = t.record(slot);
    m.arrival(this.engine.now);
    this.submitted++;
    if (this.traceMode) {
      if (record.placed === undefined) {
        this.traceReplay.neverPlaced++;
        t.release(slot);
        return;
      }
      t.state[slot] = TaskState.Pending;
      m.add(Channel.pending, 1);
      this.engine.schedule(Math.max(this.engine.now, record.placed.start), EventClass.TraceStart, slot);
      return;
    }
    if (!this.cluster.couldEverFit(record)) {
      // Larger than every node (whatever its status) as the cluster is now: reported, dropped.
      this.unschedulable++;
      if (this.unschedulableSample.length < 10) this.unschedulableSample.push(record.id);
      if (record.job !== undefined) this.dependencies.join(record.job, record.group, record.groupSize);
      t.release(slot);
      return;
    }
    if (record.job !== undefined && !this.dependencies.arrive(slot, record.job, record.group, record.groupSize, record.after)) {
      t.state[slot] = TaskState.Blocked;
      return;
    }
    this.enqueue(slot);
  }

  /** Puts an arrived task (or one whose dependencies are done) in the queue. */
  private enqueue(slot: number): void {
    const t = this.tasks;
    t.state[slot] = TaskState.Pending;
    t.submit[slot] = this.engine.now;
    this.pending.arrive(this.pendingTask(slot));
    this.metricsOrNone!.add(Channel.pending, 1);
    this.requestRound();
  }

  private onFinish(slot: number): void {
    const t = this.tasks;
    const grouped = (t.flags[slot]! & TaskFlag.Group) !== 0 ? t.record(slot) : undefined;
    this.metricsOrNone!.recordCompletion(this.engine.now - t.submit[slot]!, t.duration[slot]!);
    this.endAttempt(slot);
    this.completed++;
    t.release(slot);
    if (grouped !== undefined) for (const waiting of this.dependencies.finished(grouped.job!, grouped.group)) this.enqueue(waiting);
    if (this.pendingCount > 0) this.requestRound();
  }

  private onTraceStart(slot: number): void {
    const t = this.tasks;
    const node = this.cluster.indexOf(t.record(slot).placed!.node);
    if (node === undefined) {
      this.traceReplay.unknownNode++;
      this.metricsOrNone!.add(Channel.pending, -1);
      t.release(slot);
      return;
    }
    this.start(slot, node);
    if (this.cluster.overCommitted(node)) this.traceReplay.overCommits++;
  }

  private onNodeChange(id: number): void {
    const change = this.nodeChanges.get(id)!;
    this.nodeChanges.delete(id);
    const node = this.cluster.indexOf(change.node);
    if (node === undefined) {
      this.unknownNodeRecords++;
      return;
    }
    const status = this.cluster.status(nodeId(node));
    switch (change.change) {
      case 'fail':
        if (status === 'up') {
          this.nodeFailures++;
          this.takeDown(node, 'down');
        }
        break;
      case 'remove':
        if (status !== 'absent') this.takeDown(node, 'absent');
        break;
      case 'recover':
        if (status === 'down') this.bringUp(node);
        break;
      case 'add':
        if (change.capacity) this.resize(node, change.capacity);
        if (status !== 'up') this.bringUp(node);
        break;
      case 'update':
        if (change.capacity) this.resize(node, change.capacity);
        break;
    }
    if (this.pendingCount > 0) this.requestRound();
  }

  /** A node fails or leaves: its tasks are evicted and requeued (not in trace mode). */
  private takeDown(node: number, status: 'down' | 'absent'): void {
    if (!this.traceMode) for (const task of this.cluster.tasksOn(nodeId(node))) this.evict(task);
    this.countCapacity(node, -1);
    this.cluster.setStatus(node, status);
    this.balance.remove(node);
    this.rebalanceChannels();
  }

  private bringUp(node: number): void {
    this.roomGrew(node);
    this.cluster.setStatus(node, 'up');
    this.countCapacity(node, 1);
    this.rebalance(node);
  }

  private rebalanceChannels(): void {
    const m = this.metricsOrNone!;
    m.set(Channel.cpuCv, this.balance.cv);
    m.set(Channel.cpuStdDev, this.balance.stdDev);
  }

  /** A new capacity; tasks that no longer fit are evicted, latest started first. */
  private resize(node: number, capacity: NonNullable<NodeRecord['capacity']>): void {
    const up = this.cluster.status(nodeId(node)) === 'up';
    this.roomGrew(node);
    if (up) this.countCapacity(node, -1);
    this.cluster.setCapacity(node, capacity.cpu, capacity.memory, capacity.gpu);
    if (up) {
      this.countCapacity(node, 1);
      this.rebalance(node);
    }
    if (this.traceMode) return;
    const latestFirst = this.cluster.tasksOn(nodeId(node)).sort((a, b) => this.tasks.start[b]! - this.tasks.start[a]!);
    for (const task of latestFirst) {
      if (!this.cluster.overCommitted(node)) break;
      this.evict(task);
    }
  }

  private countCapacity(node: number, sign: number): void {
    const id = nodeId(node);
    const m = this.metricsOrNone!;
    m.add(Channel.capCpu, sign * this.cluster.capacity(id, 'cpu'));
    m.add(Channel.capMemory, sign * this.cluster.capacity(id, 'memory'));
    m.add(Channel.capGpu, sign * this.cluster.capacity(id, 'gpu'));
    m.add(Channel.upPrice, sign * this.prices[node]!);
    m.add(Channel.upNodes, sign);
  }

  /**
   * Takes a running task off its node and puts it back in the queue at its place (after the
   * round, when a round is running: the scheduler may be reading the queue).
   */
  private evict(slot: number): void {
    this.cancelFinish(slot);
    this.endAttempt(slot);
    this.evicted++;
    this.tasks.state[slot] = TaskState.Pending;
    const task = this.pendingTask(slot);
    if (this.inRound) this.deferred.push(task);
    else this.pending.insert(task);
    this.metricsOrNone!.add(Channel.pending, 1);
  }

  /** Commits a preemption if it is valid: evicts the victims, starts the task. */
  private preempt(task: TaskId, node: NodeId, victims: readonly TaskId[]): boolean {
    const t = this.tasks;
    const slot = task as number;
    if (!this.isPending(slot)) {
      this.conflicts.notPending++;
      return false;
    }
    if (!this.isNode(node) || this.cluster.status(node) !== 'up' || !this.meetsConstraints(slot, node)) {
      this.conflicts.noRoom++;
      return false;
    }
    let cpu = this.cluster.free(node, 'cpu'), memory = this.cluster.free(node, 'memory'), gpu = this.cluster.free(node, 'gpu');
    const seen = new Set<number>();
    for (const v of victims) {
      const ok = Number.isInteger(v) && v >= 0 && v < t.capacity && t.state[v] === TaskState.Running && t.node[v] === node &&
        t.priority[v]! < t.priority[slot]! && !seen.has(v);
      if (!ok) {
        this.conflicts.badVictims++;
        return false;
      }
      seen.add(v);
      cpu += t.cpu[v]!;
      memory += t.memory[v]!;
      gpu += t.gpu[v]!;
    }
    if (cpu < t.cpu[slot]! || memory < t.memory[slot]! || gpu < t.gpu[slot]!) {
      this.conflicts.badVictims++;
      return false;
    }
    for (const v of victims) {
      this.preemption.victims++;
      if (this.victimFate === 'requeue') {
        this.preemption.requeued++;
        this.evict(v);
      } else {
        this.preemption.failed++;
        this.fail(v);
      }
    }
    this.preemption.preemptions++;
    this.start(slot, node);
    return true;
  }

  /**
   * A replica of a service starts or stops. Once all replicas first ran, the books integrate
   * the shortfall and keep the fewest that ran for a while (a replica evicted and placed again
   * at the same instant is no outage).
   */
  private countReplica(name: string, delta: number): void {
    const b = this.serviceBooks.get(name)!;
    const now = this.engine.now;
    if (b.full && now > b.since) {
      b.missing += (b.desired - b.running) * (now - b.since);
      if (b.running < b.lowest) b.lowest = b.running;
    }
    b.since = now;
    if (delta > 0 && b.full) b.restarts++;
    b.running += delta;
    if (!b.full && b.running === b.desired) {
      b.full = true;
      b.lowest = b.desired;
    }
  }

  /** The services' replica books, closed at `end` (µs). */
  services(end: number): ServiceReplicas[] {
    return [...this.serviceBooks].map(([name, b]) => {
      const tail = b.full && end > b.since ? end - b.since : 0;
      return {
        name, desired: b.desired, running: b.running,
        lowest: !b.full ? b.running : tail > 0 ? Math.min(b.lowest, b.running) : b.lowest,
        missingSeconds: (b.missing + (b.desired - b.running) * tail) / 1e6,
        restarts: b.restarts,
      };
    });
  }

  private cancelFinish(slot: number): void {
    const event = this.tasks.finishEvent[slot]!;
    if (event >= 0) this.engine.cancel(event as EventId);
  }

  /** Takes a running task off its node for good: it ends without completing. */
  private fail(slot: number): void {
    this.cancelFinish(slot);
    this.endAttempt(slot);
    this.tasks.release(slot);
  }

  private requestRound(): void {
    if (this.roundQueued || this.traceMode) return;
    this.roundQueued = true;
    this.engine.schedule(this.engine.now, EventClass.Round, 0);
  }

  /** Free room may have grown on the node: parked tasks that fit there are offered again. */
  private roomGrew(node: number): void {
    if (!this.parking || this.grownFlag[node] === 1) return;
    this.grownFlag[node] = 1;
    this.grown.push(node);
  }

  /**
   * Before a round: the parked tasks that fit on a node whose room grew, in queue order (every
   * other parked task still fits nowhere). They stay parked; the round offers them with the
   * active tasks. Runs once per round over every parked task when room grew: kept tight.
   */
  private parkedThatMayFit(): readonly PendingTask[] {
    const grown = this.grown;
    if (grown.length === 0) return NONE;
    let found: readonly PendingTask[] = NONE;
    if (this.parked.length === 0) {
      this.parkedFrontier.clear();
    } else {
      const fits = fitsOnGrown(this.cluster, grown);
      if (this.parkedFrontier.anyFits(fits)) {
        found = this.parked.filter(fits);
        if (found.length === 0 && !this.parkedFrontier.full) {
          // The frontier said some parked task fits, and none does: its smallest requests have
          // left. Make it again from the parked tasks.
          this.parkedFrontier.clear();
          for (const task of this.parked.items) this.parkedFrontier.add(task);
        }
      }
    }
    for (const node of grown) this.grownFlag[node] = 0;
    this.grown = this.roundGrown;
    this.grown.length = 0;
    this.roundGrown = grown;
    return found;
  }

  private onRound(): void {
    this.roundQueued = false;
    const unparked = this.parkedThatMayFit();
    const queue = unparked.length > 0 ? this.pending.mergedWith(unparked) : this.pending.items;
    if (queue.length === 0) return;
    this.rounds++;
    let placed = 0;
    this.inRound = true;
    try {
      placed = this.consume(queue);
    } finally {
      this.inRound = false;
    }
    this.afterRound(placed, unparked);
  }

  /** Commits the scheduler's decisions for the queue; returns how many tasks started. */
  private consume(queue: readonly PendingTask[]): number {
    let placed = 0;
    const byId = this.explainer ? new Map(queue.map((task) => [task.id as number, task])) : undefined;
    for (const d of this.scheduler.decide(queue, this.cluster, this.ctx)) {
      const explained = byId?.get(d.task);
      if (explained !== undefined) this.explain(explained, d);
      // Strict FIFO places a prefix of the queue: it stops at the first task not placed.
      if (this.strict && (d.kind !== 'place' || d.task !== queue[placed]?.id)) {
        if (d.kind === 'wait' && this.countReasons) this.waitReasons[d.reason]++;
        break;
      }
      switch (d.kind) {
        case 'place':
          if (this.commit(d.task, d.node)) placed++;
          else if (this.strict) return placed;
          break;
        case 'wait':
          if (this.countReasons) this.waitReasons[d.reason]++;
          break;
        case 'preempt':
          if (this.preempt(d.task, d.node, d.victims)) placed++;
          else if (this.strict) return placed;
          break;
        default: {
          const never: never = d;
          throw new Error(`unknown decision ${JSON.stringify(never)}`);
        }
      }
    }
    return placed;
  }

  /** Reports every node's verdict for a decision about to be committed, if it is asked for. */
  private explain(task: PendingTask, d: Decision): void {
    const e = this.explainer!;
    if (e.tasks !== 'all' && !e.tasks.has(task.name)) return;
    const c = this.cluster;
    const verdicts: NodeVerdict[] = this.scheduler.explain?.(task, c, this.explainCtx) ?? feasibility(task, c);
    e.onExplain({
      time: this.engine.now / 1e6,
      task: task.name,
      decision: {
        kind: d.kind,
        ...(d.kind !== 'wait' ? { node: c.nodeName(d.node) } : { reason: d.reason }),
        ...(d.kind === 'preempt' && { victims: d.victims.map((v) => this.tasks.record(v).id) }),
      },
      nodes: verdicts.map((v) => ('rejected' in v ? { node: c.nodeName(v.node), rejected: v.rejected } : { ...v, node: c.nodeName(v.node) })),
    });
  }

  /** Drops the placed tasks from the queues, and parks the tasks no node has room for. */
  private afterRound(placed: number, unparked: readonly PendingTask[]): void {
    const notPending = (task: PendingTask) => this.tasks.state[task.id] !== TaskState.Pending;
    let victims: Set<number> | undefined;
    if (this.deferred.length > 0) {
      // Victims of preemption: placed tasks leave first, and so does the entry of a victim
      // that started earlier in this round (it is pending again), then the victims join the
      // queue, and another round offers them room.
      const evicted = new Set(this.deferred.map((task) => task.id as number));
      victims = evicted;
      this.pending.removeWhere((task) => notPending(task) || evicted.has(task.id));
      if (this.parked.length > 0) this.parked.removeWhere((task) => notPending(task) || evicted.has(task.id));
      for (const task of this.deferred) this.pending.insert(task);
      this.deferred.length = 0;
      this.requestRound();
    }
    // A start can open a node to a task whose required affinity names it, or whose hard spread
    // waits for another domain to fill: offer the queue again at this instant when such a task
    // is still waiting (rounds end, as each one that asks again has started a task).
    let again = false;
    const leaves = (task: PendingTask): boolean => {
      if (notPending(task)) return true;
      if (placed > 0 && !again && waitsOnStarts(task)) again = true;
      return false;
    };
    if (!this.parking) {
      if (placed > 0) this.pending.removeWhere(leaves);
      if (again) this.requestRound();
      return;
    }
    if (unparked.length > 0) {
      // The parked tasks offered: those started leave, those still without room stay parked (and
      // in the frontier), and those a rule of the policy kept waiting (not room) join the active
      // tasks. Room for them can only be on a node whose room grew, before the round or in it
      // (where preemption evicted), as it was the only room for them when the round began.
      const grown = this.grown.length > 0 ? [...this.roundGrown, ...this.grown] : this.roundGrown;
      const fitsGrown = fitsOnGrown(this.cluster, grown);
      const leaving: PendingTask[] = [];
      const active: PendingTask[] = [];
      for (const task of unparked) {
        if (notPending(task)) leaving.push(task);
        else if (fitsGrown(task) && !victims?.has(task.id)) active.push(task);
      }
      this.parked.delete(leaving);
      this.parked.delete(active);
      for (const task of active) this.pending.insert(task);
    }
    const fits = fitsSomewhere(this.cluster);
    this.pending.removeWhere((task) => {
      if (leaves(task)) return true;
      if (hasPlacementRules(task, this.cluster) || fits(task)) return false;
      this.parked.insert(task);
      this.parkedFrontier.add(task);
      return true;
    });
    if (again) this.requestRound();
  }

  /** Commits a placement if it is valid; returns whether it was. */
  private commit(task: TaskId, node: NodeId): boolean {
    const t = this.tasks;
    const slot = task as number;
    if (!this.isPending(slot)) {
      this.conflicts.notPending++;
      return false;
    }
    if (!this.isNode(node) || !this.cluster.hasRoom(node, t.cpu[slot]!, t.memory[slot]!, t.gpu[slot]!) || !this.meetsConstraints(slot, node)) {
      this.conflicts.noRoom++;
      return false;
    }
    this.start(slot, node);
    return true;
  }

  /** Is this a task slot (as a scheduler may give any number) of a pending task? */
  private isPending(slot: number): boolean {
    return Number.isInteger(slot) && slot >= 0 && slot < this.tasks.capacity && this.tasks.state[slot] === TaskState.Pending;
  }

  private isNode(node: number): boolean {
    return Number.isInteger(node) && node >= 0 && node < this.cluster.nodeCount;
  }

  private meetsConstraints(slot: number, node: NodeId): boolean {
    return placementAllows(this.tasks.record(slot), node, this.cluster);
  }

  /** Starts a pending task on a node now. */
  private start(slot: number, node: number): void {
    const t = this.tasks;
    const cpu = t.cpu[slot]!, memory = t.memory[slot]!, gpu = t.gpu[slot]!;
    const now = this.engine.now;
    const m = this.metricsOrNone!;
    if (this.cluster.taskCount(nodeId(node)) === 0) {
      m.add(Channel.activeNodes, 1);
      m.add(Channel.activePrice, this.prices[node]!);
    }
    this.cluster.place(node, slot, cpu, memory, gpu);
    if (cpu > 0) this.rebalance(node);
    t.state[slot] = TaskState.Running;
    t.node[slot] = node;
    t.start[slot] = now;
    if ((t.flags[slot]! & TaskFlag.Service) !== 0) this.countReplica(t.record(slot).service!, 1);
    else t.finishEvent[slot] = this.engine.schedule(now + t.duration[slot]!, EventClass.Finish, slot);
    m.add(Channel.allocCpu, cpu);
    m.add(Channel.allocMemory, memory);
    m.add(Channel.allocGpu, gpu);
    m.add(Channel.pending, -1);
    m.add(Channel.running, 1);
    m.recordWait(now - t.submit[slot]!, t.priority[slot]!);
    this.started++;
  }

  /** Takes a running task off its node and logs the attempt. Metrics are advanced already. */
  private endAttempt(slot: number): void {
    const t = this.tasks;
    const node = t.node[slot]!;
    const cpu = t.cpu[slot]!, memory = t.memory[slot]!, gpu = t.gpu[slot]!;
    const now = this.engine.now;
    this.cluster.remove(node, slot, cpu, memory, gpu);
    this.roomGrew(node);
    const m = this.metricsOrNone!;
    if (this.cluster.taskCount(nodeId(node)) === 0) {
      m.add(Channel.activeNodes, -1);
      m.add(Channel.activePrice, -this.prices[node]!);
    }
    if (cpu > 0) this.rebalance(node);
    m.add(Channel.allocCpu, -cpu);
    m.add(Channel.allocMemory, -memory);
    m.add(Channel.allocGpu, -gpu);
    m.add(Channel.running, -1);
    this.digest.add(t.ordinal[slot]!, node, t.start[slot]!, now);
    if ((t.flags[slot]! & TaskFlag.Service) !== 0) this.countReplica(t.record(slot).service!, -1);
    this.onAttemptEnd?.({
      task: t.record(slot).id, node: this.cluster.nodeName(nodeId(node)), submit: t.submit[slot]!, start: t.start[slot]!, end: now,
    });
    t.node[slot] = -1;
    t.finishEvent[slot] = -1;
    // Written only when set: most runs never describe a task, and undefined written at every slot
    // would turn the empty array into a slow dictionary.
    if (this.described[slot] !== undefined) this.described[slot] = undefined;
    this.lastEnd = now;
  }

  // Built field by field (no spreads): made for every task that enters the queue.
  private pendingTask(slot: number): PendingTask {
    const t = this.tasks;
    const record: TaskRecord = t.record(slot);
    const task: Mutable<PendingTask> = {
      id: taskId(slot), name: record.id, cpu: t.cpu[slot]!, memory: t.memory[slot]!, gpu: t.gpu[slot]!,
      priority: t.priority[slot]!, submit: t.submit[slot]!,
    };
    if (record.constraints !== undefined) task.constraints = record.constraints;
    if (record.tolerations !== undefined) task.tolerations = record.tolerations;
    if (record.affinity !== undefined) task.affinity = record.affinity;
    if (record.antiAffinity !== undefined) task.antiAffinity = record.antiAffinity;
    if (record.spread !== undefined) task.spread = record.spread;
    if (record.estimate !== undefined) task.estimate = record.estimate;
    if (record.schedulingClass !== undefined) task.schedulingClass = record.schedulingClass;
    copyOwner(record, task);
    return task;
  }

  /** What running() tells of a running task, made once per attempt when first asked. */
  private runningTask(task: TaskId): RunningTask | undefined {
    const t = this.tasks;
    const slot = task as number;
    if (!(slot >= 0 && slot < t.capacity) || t.state[slot] !== TaskState.Running) return undefined;
    return (this.described[slot] ??= this.describe(slot));
  }

  private describe(slot: number): RunningTask {
    const t = this.tasks;
    const record = t.record(slot);
    const task: Mutable<RunningTask> = {
      id: taskId(slot), name: record.id, cpu: t.cpu[slot]!, memory: t.memory[slot]!, gpu: t.gpu[slot]!,
      priority: t.priority[slot]!, node: nodeId(t.node[slot]!), start: t.start[slot]!,
    };
    copyOwner(record, task);
    if (record.estimate !== undefined) task.estimate = record.estimate;
    return task;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const NONE: readonly PendingTask[] = Object.freeze([]);

/** Copies the job, user, group and group size a record has (none unless it names a job or user). */
function copyOwner(record: TaskRecord, to: { job?: string; user?: string; group?: string; groupSize?: number }): void {
  if (record.job === undefined && record.user === undefined) return;
  if (record.job !== undefined) to.job = record.job;
  if (record.user !== undefined) to.user = record.user;
  if (record.group !== undefined) to.group = record.group;
  if (record.groupSize !== undefined) to.groupSize = record.groupSize;
}

/**
 * Does a parked request fit on one of these nodes, whose room grew (the only room it can have)?
 * Checked node by node when they are few, else by the index over the whole cluster (the same
 * answer).
 */
function fitsOnGrown(cluster: Cluster, grown: readonly number[]): (r: Resources) => boolean {
  return grown.length <= 8 ? fitsOneOf(cluster, grown) : fitsSomewhere(cluster);
}

/** Does a request fit on one of a few nodes (up, with room)? Their room is read once. */
function fitsOneOf(cluster: Cluster, nodes: readonly number[]): (r: Resources) => boolean {
  const cpu: number[] = [], memory: number[] = [], gpu: number[] = [];
  let maxCpu = -1, maxMemory = -1, maxGpu = -1;
  for (const n of nodes) {
    const node = nodeId(n);
    if (cluster.status(node) !== 'up') continue;
    const c = cluster.free(node, 'cpu'), m = cluster.free(node, 'memory'), g = cluster.free(node, 'gpu');
    cpu.push(c); memory.push(m); gpu.push(g);
    maxCpu = Math.max(maxCpu, c); maxMemory = Math.max(maxMemory, m); maxGpu = Math.max(maxGpu, g);
  }
  const k = cpu.length;
  return (r) => {
    if (r.cpu > maxCpu || r.memory > maxMemory || r.gpu > maxGpu) return false;
    for (let i = 0; i < k; i++) if (r.cpu <= cpu[i]! && r.memory <= memory[i]! && r.gpu <= gpu[i]!) return true;
    return false;
  };
}

/** Does a request fit on some node? Asks the index, once per request that no smaller one failed. */
function fitsSomewhere(cluster: Cluster): (r: Resources) => boolean {
  const noRoom = new FailedRequests();
  return (r) => {
    if (noRoom.covers(r)) return false;
    if (cluster.firstFit(r) !== undefined) return true;
    noRoom.add(r);
    return false;
  };
}

/** Each node's verdict by room and placement rules, for a scheduler that does not explain itself. */
function feasibility(task: PendingTask, cluster: Cluster): NodeVerdict[] {
  const out: NodeVerdict[] = [];
  for (let i = 0; i < cluster.nodeCount; i++) {
    const node = nodeId(i);
    const rejected = rejectionOf(task, node, cluster);
    out.push(rejected === undefined ? { node, scores: {} } : { node, rejected });
  }
  return out;
}
