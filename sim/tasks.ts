// Live tasks (submitted and not yet ended) as a struct of arrays indexed by a slot number,
// which is the TaskId a scheduler sees. Slots are reused once a task ends, so memory grows
// with the number of live tasks, not with the length of the trace.

export const TaskState = {
  Free: 0,
  /** Read from the trace; its submit event has not fired yet. */
  Arriving: 1,
  Pending: 2,
  Running: 3,
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
  names: string[] = [];

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

  add(
    ordinal: number, name: string, submit: number, duration: number,
    cpu: number, memory: number, gpu: number, priority: number,
  ): number {
    if (this.freeCount === 0) this.grow(this.capacity * 2);
    const slot = this.freeSlots[--this.freeCount]!;
    this.used++;
    this.ordinal[slot] = ordinal;
    this.names[slot] = name;
    this.submit[slot] = submit;
    this.duration[slot] = duration;
    this.cpu[slot] = cpu;
    this.memory[slot] = memory;
    this.gpu[slot] = gpu;
    this.priority[slot] = priority;
    this.node[slot] = -1;
    this.finishEvent[slot] = -1;
    this.start[slot] = -1;
    this.state[slot] = TaskState.Arriving;
    return slot;
  }

  release(slot: number): void {
    this.state[slot] = TaskState.Free;
    this.names[slot] = '';
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
    const free = new Int32Array(capacity);
    free.set(this.freeSlots.subarray(0, this.freeCount));
    // The lowest new slot ends on top of the stack, so slots fill from 0 upwards.
    let k = this.freeCount;
    for (let s = capacity - 1; s >= old; s--) free[k++] = s;
    this.freeSlots = free;
    this.freeCount = k;
  }
}
