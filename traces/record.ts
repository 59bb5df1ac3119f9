// What every trace reader and generator produces: one record per task, in base units, in
// order of submit time (and trace order for equal times).

export interface TaskRecord {
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
  readonly job?: string;
  readonly user?: string;
}

/** A stream of records in batches, so that a reader's per-record cost stays synchronous. */
export type TaskSource = AsyncIterable<readonly TaskRecord[]>;
