import type { AffinityRule, Constraint, SpreadRule, Taint, Toleration } from '../traces/record.ts';

// The contract between a scheduling policy and the platform that runs it (the simulator, or
// the Docker driver). A scheduler is a pure policy: it reads a read-only ClusterView and returns
// decisions as data. It does no I/O, reads no clock and no Math.random (its randomness is
// ctx.random, a seeded stream), and never writes the view. That is what lets one object run in
// the simulator and on real hosts.

/** Dense index of a node in cluster order (the order of the cluster file). */
export type NodeId = number & { readonly __brand: 'NodeId' };
/** Handle of a live task (pending or running). Handles are reused after a task ends. */
export type TaskId = number & { readonly __brand: 'TaskId' };

// Ids are minted here and nowhere else.
export const nodeId = (index: number): NodeId => index as NodeId;
export const taskId = (index: number): TaskId => index as TaskId;

/**
 * Amounts of each resource, in base units: cpu in millicores, memory in MiB, gpu in
 * milli-GPUs (a task may ask for a fraction of a GPU). Integers, so arithmetic is exact.
 */
export interface Resources {
  readonly cpu: number;
  readonly memory: number;
  readonly gpu: number;
}
export type Resource = keyof Resources;
export type { AffinityRule, Constraint, SpreadRule, Taint, Toleration };
export const RESOURCES: readonly Resource[] = ['cpu', 'memory', 'gpu'];

/** Up: takes work. Down: failed, comes back. Absent: not part of the cluster now (not yet added, or removed). */
export type NodeStatus = 'up' | 'down' | 'absent';

/**
 * Why a node was rejected for a task, or why a task waits. A closed set, so that "why is this
 * task pending" can be counted and charted.
 */
export type Reason =
  | 'node-down' //           the node is not accepting work
  | 'insufficient-cpu' //    not enough free cpu (on this node, or on any node)
  | 'insufficient-memory'
  | 'insufficient-gpu'
  | 'fragmented' //          every resource is free somewhere, but no node has all of them at once
  | 'constraint' //          the task's constraints on node labels, or a filter of the policy, rejected the node
  | 'taint' //               the node has a NoSchedule taint the task does not tolerate
  | 'affinity' //            the task's required affinity, anti-affinity or hard topology spread rejected the node
  | 'not-sampled'; //        the policy's limit stage did not consider the node
export const REASONS: readonly Reason[] = [
  'node-down', 'insufficient-cpu', 'insufficient-memory', 'insufficient-gpu', 'fragmented', 'constraint', 'taint', 'affinity',
  'not-sampled',
];

/** A task waiting to be placed. Its request is the Resources it extends. */
export interface PendingTask extends Resources {
  readonly id: TaskId;
  /** The task's id in the trace. */
  readonly name: string;
  /** Higher runs first. */
  readonly priority: number;
  /** When the task became pending, integer microseconds. */
  readonly submit: number;
  /** Google's scheduling class, 0 (least latency-sensitive) to 3, when the trace gives one. */
  readonly schedulingClass?: number;
  /** Labels a node must have to take the task (none when undefined). */
  readonly constraints?: readonly Constraint[];
  /**
   * Placement rules (see schedulers/constraints.ts, which every policy and the platform apply):
   * taints it tolerates, affinity and anti-affinity to running tasks, topology spread of its group.
   */
  readonly tolerations?: readonly Toleration[];
  readonly affinity?: readonly AffinityRule[];
  readonly antiAffinity?: readonly AffinityRule[];
  readonly spread?: readonly SpreadRule[];
  /** The user's run-time estimate, µs, when the trace gives one. */
  readonly estimate?: number;
  /** The task's job and user, when the trace says. */
  readonly job?: string;
  readonly user?: string;
  /** The group of tasks within its job it belongs to (a DAG node, a gang), and the group's size. */
  readonly group?: string;
  readonly groupSize?: number;
}

/** A running task, as a policy may see it (DRF's shares, backfilling's reservations, preemption). */
export interface RunningTask extends Resources {
  readonly id: TaskId;
  readonly name: string;
  readonly priority: number;
  readonly node: NodeId;
  /** When it started, µs: simulated time; on real hosts, when its container was placed (since the epoch). */
  readonly start: number;
  readonly job?: string;
  readonly user?: string;
  readonly group?: string;
  /** The user's run-time estimate, µs, when the trace gives one (start + estimate: its expected end). */
  readonly estimate?: number;
}

export type Decision =
  | { readonly kind: 'place'; readonly task: TaskId; readonly node: NodeId }
  | { readonly kind: 'preempt'; readonly task: TaskId; readonly node: NodeId; readonly victims: readonly TaskId[] }
  | { readonly kind: 'wait'; readonly task: TaskId; readonly reason: Reason };

/** Scores the view can rank nodes by without visiting each one (see ClusterView.bestFit). */
export type Objective =
  | 'most-allocated' //  fullest node first (after placing the request): bin packing
  | 'least-allocated'; // emptiest node first: spreading

/**
 * What a policy may know of the cluster. Amounts are in base units (see Resources). Queries
 * consider only nodes that are up; a node "fits" a request when its free amount of every
 * resource is at least the request's.
 */
export interface ClusterView {
  readonly nodeCount: number;
  nodeName(node: NodeId): string;
  status(node: NodeId): NodeStatus;
  labels(node: NodeId): Readonly<Record<string, string>>;
  /** The node's taints (they do not change while the view lives). */
  taints(node: NodeId): readonly Taint[];
  capacity(node: NodeId, resource: Resource): number;
  allocated(node: NodeId, resource: Resource): number;
  free(node: NodeId, resource: Resource): number;
  /** Number of tasks running on the node. */
  taskCount(node: NodeId): number;
  /** The tasks running on the node (a new array on each call). */
  tasksOn(node: NodeId): TaskId[];
  /** What is known of a running task, or undefined when the id is not running. */
  running(task: TaskId): RunningTask | undefined;
  /**
   * The nodes running tasks of `job` (undefined: tasks without a job), of its `group` when given,
   * with how many each (only nodes with at least one). Indexed: no scan of the cluster.
   */
  runningByNode(job: string | undefined, group?: string): ReadonlyMap<NodeId, number>;
  /**
   * Grows whenever the view changes (a task starts or ends, a node's status or capacity
   * changes): what a policy derives from the view holds while it stays the same.
   */
  readonly generation: number;

  fits(node: NodeId, request: Resources): boolean;
  /** Why the node cannot take the request, or undefined when it can. */
  rejection(node: NodeId, request: Resources): Reason | undefined;

  /** First node in cluster order at or after `from` that fits (about log n). */
  firstFit(request: Resources, from?: number): NodeId | undefined;
  /** The node that fits with the best score for the objective; ties go to the lowest index. */
  bestFit(request: Resources, objective: Objective): NodeId | undefined;
  /** Nodes that fit, in cluster order from `from`, skipping whole ranges that cannot. */
  feasible(request: Resources, from?: number): Iterable<NodeId>;
  /** Why no node fits the request (call it when firstFit found none): one reason for all. */
  bottleneck(request: Resources): Reason;
}

export interface DecideContext {
  /** Simulated (or, on real hosts, controller) time in integer microseconds. */
  readonly now: number;
  /** This scheduler's seeded stream: the only randomness a policy may use. */
  readonly random: () => number;
  /**
   * True when someone asked why tasks wait: then yield a `wait`, with its reason, for each task
   * not placed. When false a scheduler may leave such tasks without a decision, which costs
   * nothing; placements must not depend on it.
   */
  readonly reasons: boolean;
}

export interface Scheduler {
  readonly name: string;
  /**
   * Decides for the pending tasks, which come in queue order. The platform consumes the
   * decisions lazily and commits each before asking for the next, so a generator sees its own
   * earlier placements in the view. A task left without a decision stays pending. A scheduler
   * may keep state of its own (a cursor), derived only from what it was given.
   */
  decide(pending: readonly PendingTask[], cluster: ClusterView, ctx: DecideContext): Iterable<Decision>;
  /**
   * Set when the policy's decisions do not depend on pending tasks that no up node has room for:
   * for such a task it yields no placement, draws nothing from ctx.random and changes no state
   * of its own, and its decisions for the other tasks are the same with or without it. The
   * platform may then leave tasks out of a round while no node has room for them (as Kubernetes'
   * queueing hints do), so a long queue of tasks that cannot start costs nothing per round. The
   * conformance suite checks the claim: the placements are the same when every task is offered.
   */
  readonly ignoresUnfit?: boolean;
  /**
   * Every node's verdict for the task as things stand (for `berth sim --explain`): rejected, with
   * the reason, or feasible, with its score from each scorer. Reads the view only, and draws
   * nothing from ctx.random that its decisions would. Without it, the platform reports each
   * node's feasibility alone.
   */
  explain?(task: PendingTask, cluster: ClusterView, ctx: DecideContext): NodeVerdict[];
}

/** One node's verdict for a task: why it was rejected, or how it scored. */
export type NodeVerdict =
  | { readonly node: NodeId; readonly rejected: Reason }
  | { readonly node: NodeId; readonly scores: Readonly<Record<string, number>>; readonly total?: number };

/** Options come from the command line or a sweep file; a factory validates what it reads. */
export type SchedulerOptions = Readonly<Record<string, string | number | boolean>>;
export type SchedulerFactory = (options: SchedulerOptions) => Scheduler;
