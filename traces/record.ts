// What every trace reader and generator produces, in order of time (and trace order for equal
// times): task arrivals, and changes to the cluster's machines. Base units throughout: µs,
// millicores, MiB, milli-GPUs.

/** A condition on a node's label, as traces state them (Google's task constraints, GPU models). */
export interface Constraint {
  readonly label: string;
  /**
   * `in`: the label's value is one of `values`; `<`, `<=`, `>`, `>=` compare as numbers;
   * `exists` and `missing`: the node has the label, or has not (`value` is then unused).
   */
  readonly op: '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'exists' | 'missing';
  readonly value: string;
  readonly values?: readonly string[];
}

/**
 * What a taint does to a task that does not tolerate it: `NoSchedule`, never placed on the node;
 * `PreferNoSchedule`, placed there only when Kubernetes' scoring finds nothing better (other
 * policies ignore it).
 */
export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule';
export const TAINT_EFFECTS: readonly TaintEffect[] = ['NoSchedule', 'PreferNoSchedule'];

/** A node's taint (Kubernetes'): it repels the tasks that do not tolerate it. `value` is '' when none. */
export interface Taint {
  readonly key: string;
  readonly value: string;
  readonly effect: TaintEffect;
}

/**
 * A task's toleration (Kubernetes'): `Equal` tolerates taints of its key and value, `Exists` of
 * its key whatever the value, and of every key when `key` is ''; without an effect it tolerates
 * both effects.
 */
export interface Toleration {
  readonly key: string;
  readonly operator: 'Equal' | 'Exists';
  /** For `Equal` ('' when absent). */
  readonly value?: string;
  readonly effect?: TaintEffect;
}

/**
 * The tasks a rule is about: those of `job` (the task's own job when absent) in `group` (any
 * group of that job when absent).
 */
export interface TaskSelector {
  readonly job?: string;
  readonly group?: string;
}

/**
 * Affinity (or anti-affinity) to the running tasks `to` selects, within `scope`: `node` (the same
 * node) or a node label (the same value of it: `zone`). Required rules are filters every policy
 * applies; preferred ones (weight 1-100) only move Kubernetes' scores.
 */
export interface AffinityRule {
  readonly to: TaskSelector;
  readonly scope: string;
  readonly required: boolean;
  /** Preferred rules: 1-100 (default 1). */
  readonly weight?: number;
}

/**
 * Topology spread of the task's own group (its job's tasks of its group) across the values of
 * `label` (`node`: across nodes): placing the task may leave the group's count in the chosen
 * domain at most `maxSkew` above the smallest count of any domain. Hard rules are filters; soft
 * ones only move Kubernetes' scores.
 */
export interface SpreadRule {
  readonly label: string;
  readonly maxSkew: number;
  readonly hard: boolean;
}

export interface TaskRecord {
  readonly kind: 'task';
  /** The task's id in the trace. */
  readonly id: string;
  /** Integer microseconds. */
  readonly submit: number;
  /** Run time the task needs once started, integer microseconds. */
  readonly duration: number;
  /** Millicores. */
  readonly cpu: number;
  /** MiB. */
  readonly memory: number;
  /** Milli-GPUs. */
  readonly gpu: number;
  /** Higher runs first. */
  readonly priority: number;
  /**
   * Google's scheduling class, 0 (batch, least latency-sensitive) to 3 (most): a hint for
   * policies, which the platform does not act on.
   */
  readonly schedulingClass?: number;
  readonly job?: string;
  readonly user?: string;
  /** The user's run-time estimate (SWF's requested time), µs. */
  readonly estimate?: number;
  /** Labels a node must have to take the task. */
  readonly constraints?: readonly Constraint[];
  /** Taints of nodes the task may be placed on anyway. */
  readonly tolerations?: readonly Toleration[];
  /** Rules on where the task runs relative to other running tasks. */
  readonly affinity?: readonly AffinityRule[];
  readonly antiAffinity?: readonly AffinityRule[];
  readonly spread?: readonly SpreadRule[];
  /**
   * Dependencies (Alibaba's DAGs): the task belongs to `group` (of `groupSize` tasks) within its
   * `job`, and starts only once every task of the groups in `after` has finished.
   */
  readonly group?: string;
  readonly groupSize?: number;
  readonly after?: readonly string[];
  /**
   * The service this task is a replica of (`berth sim --services`): it runs until the run ends
   * (its duration is unused), and when evicted it is placed again, as the real driver's
   * controller restores a service's replicas.
   */
  readonly service?: string;
  /** Where and when the trace ran the task (for `--replay trace`). */
  readonly placed?: { readonly node: string; readonly start: number };
}

export type NodeChange = 'add' | 'remove' | 'fail' | 'recover' | 'update';

/** A machine joins, leaves, fails, recovers or changes capacity at `time`. */
export interface NodeRecord {
  readonly kind: 'node';
  /** Integer microseconds. */
  readonly time: number;
  readonly node: string;
  readonly change: NodeChange;
  /** The new capacity, for `update` (and `add` when it changed). */
  readonly capacity?: { readonly cpu: number; readonly memory: number; readonly gpu: number };
}

export type TraceRecord = TaskRecord | NodeRecord;

/** When a record happens: a task's submit, a node change's time. */
export const timeOf = (r: TraceRecord): number => (r.kind === 'task' ? r.submit : r.time);

/** A stream of records in batches, so that a reader's per-record cost stays synchronous. */
export type TaskSource = AsyncIterable<readonly TraceRecord[]>;
