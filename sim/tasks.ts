// Live tasks (submitted and not yet ended) as a struct of arrays indexed by a slot number,
// which is the TaskId a scheduler sees. Slots are reused once a task ends, so memory grows
// with the number of live tasks, not with the length of the trace. The numbers the hot path
// reads are in typed arrays; the rest stays on the task's record, kept while the task lives.

import type { TaskRecord } from '../traces/record.ts';

export const TaskState = {
  Free: 0,
  /** Read from the trace; its submit event has not fired yet. */
  Arriving: 1,
  Pending: 2,
  Running: 3,
  /** Arrived, waiting for the tasks it depends on. */
  Blocked: 4,
} as const;

/** Bits of TaskTable.flags: what a task's record has, known without reading the record. */
export const TaskFlag = {
  /** A replica of a service (record.service). */
  Service: 1,
  /** In a group of a job (record.job and record.group): tasks may wait for the group to finish. */
  Group: 2,
} as const;

export class TaskTable {
  ordinal = new Float64Array(0);
  submit = new Float64Array(0);
  duration = new Float64Array(0);
  start = new Float64Array(0);
  cpu = new Float64Array(0);
  memory = new Float64Array(0);
  gpu = new Float64Array(0);
  priority = new Float64Array(0);
  node = new Int32Array(0);
  finishEvent = new Int32Array(0);
  state = new Uint8Array(0);
  /** TaskFlag bits: the end of an attempt, which comes long after the record was last read, need not read it. */
  flags = new Uint8Array(0);
  records: (TaskRecord | undefined)[] = [];

  private freeSlots = new Int32Array(0);
  private freeCount = 0;
  private used = 0;

  constructor(initialCapacity = 1024) {
    this.grow(initialCapacity);
  }

  get capacity(): number {
    return this.state.length;
  }

  /** Live tasks. */
  get size(): number {
    return this.used;
  }

  add(ordinal: number, record: TaskRecord): number {
    if (this.freeCount === 0) this.grow(this.capacity * 2);
    const slot = this.freeSlots[--this.freeCount]!;
    this.used++;
    this.ordinal[slot] = ordinal;
    this.records[slot] = record;
    this.submit[slot] = record.submit;
    this.duration[slot] = record.duration;
    this.cpu[slot] = record.cpu;
    this.memory[slot] = record.memory;
    this.gpu[slot] = record.gpu;
    this.priority[slot] = record.priority;
    this.node[slot] = -1;
    this.finishEvent[slot] = -1;
    this.start[slot] = -1;
    this.state[slot] = TaskState.Arriving;
    this.flags[slot] = (record.service !== undefined ? TaskFlag.Service : 0) | (record.job !== undefined && record.group !== undefined ? TaskFlag.Group : 0);
    return slot;
  }

  /** The task's record (live tasks only). */
  record(slot: number): TaskRecord {
    return this.records[slot]!;
  }

  release(slot: number): void {
    this.state[slot] = TaskState.Free;
    this.records[slot] = undefined;
    this.freeSlots[this.freeCount++] = slot;
    this.used--;
  }

  private grow(capacity: number): void {
    const old = this.state.length;
    const f64 = (a: Float64Array) => { const b = new Float64Array(capacity); b.set(a); return b; };
    const i32 = (a: Int32Array) => { const b = new Int32Array(capacity); b.set(a); return b; };
    this.ordinal = f64(this.ordinal);
    this.submit = f64(this.submit);
    this.duration = f64(this.duration);
    this.start = f64(this.start);
    this.cpu = f64(this.cpu);
    this.memory = f64(this.memory);
    this.gpu = f64(this.gpu);
    this.priority = f64(this.priority);
    this.node = i32(this.node);
    this.finishEvent = i32(this.finishEvent);
    const state = new Uint8Array(capacity); state.set(this.state); this.state = state;
    const flags = new Uint8Array(capacity); flags.set(this.flags); this.flags = flags;
    const free = new Int32Array(capacity);
    free.set(this.freeSlots.subarray(0, this.freeCount));
    // The lowest new slot ends on top of the stack, so slots fill from 0 upwards.
    let k = this.freeCount;
    for (let s = capacity - 1; s >= old; s--) free[k++] = s;
    this.freeSlots = free;
    this.freeCount = k;
  }
}
