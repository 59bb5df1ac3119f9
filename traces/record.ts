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
  /**
   * Dependencies (Alibaba's DAGs): the task belongs to `group` (of `groupSize` tasks) within its
   * `job`, and starts only once every task of the groups in `after` has finished.
   */
  readonly group?: string;
  readonly groupSize?: number;
  readonly after?: readonly string[];
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
