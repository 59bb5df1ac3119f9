// The pending queue, in queue order: priority (high first), then submit time, then trace
// order. One FIFO per priority: tasks arrive in (submit, trace order), so an arrival goes at
// the end of its priority's FIFO; a task that comes back (evicted from a failed node, or moved
// between the simulation's active and parked queues) goes back to its place in it. The whole
// queue in order is assembled only when a round asks for it after a change.

import type { PendingTask } from '../schedulers/contract.ts';

export class PendingQueue {
  /** Distinct priorities present, highest first. */
  private readonly levels: number[] = [];
  private readonly fifos = new Map<number, PendingTask[]>();
  private ordered: PendingTask[] = [];
  private stale = false;
  private count = 0;

  /**
   * @param ordinal trace order of a live task, for the last tie-break
   */
  constructor(private readonly ordinal: (task: PendingTask) => number) {}

  get length(): number {
    return this.count;
  }

  /** The tasks in queue order. Not to be changed while a round is consuming decisions. */
  get items(): readonly PendingTask[] {
    if (this.stale) {
      this.ordered = this.levels.length === 1 ? this.fifos.get(this.levels[0]!)! : this.concatenated();
      this.stale = false;
    }
    return this.ordered;
  }

  /** The FIFOs one after another, highest priority first (a new array: a round may keep the last). */
  private concatenated(): PendingTask[] {
    const out = new Array<PendingTask>(this.count);
    let k = 0;
    for (const priority of this.levels) for (const task of this.fifos.get(priority)!) out[k++] = task;
    return out;
  }

  /** A new arrival: later than every queued task of its priority. */
  arrive(task: PendingTask): void {
    this.fifo(task.priority).push(task);
    this.count++;
    this.stale = true;
  }

  /** A task back in the queue, at its place by (submit, trace order) within its priority. */
  insert(task: PendingTask): void {
    const fifo = this.fifo(task.priority);
    const last = fifo[fifo.length - 1];
    if (last === undefined || this.before(last, task)) {
      fifo.push(task);
    } else {
      fifo.splice(this.placeIn(fifo, task), 0, task);
    }
    this.count++;
    this.stale = true;
  }

  /**
   * Takes these tasks out, each found by binary search at its place (cheaper than removeWhere
   * when a few leave a long queue). A task not in the queue is passed over.
   */
  delete(tasks: Iterable<PendingTask>): void {
    for (const task of tasks) {
      const fifo = this.fifos.get(task.priority);
      if (fifo === undefined) continue;
      const at = this.placeIn(fifo, task);
      if (fifo[at] !== task) continue;
      fifo.splice(at, 1);
      this.count--;
      this.stale = true;
    }
  }

  /** Does `a` come before `b` in queue order? */
  before(a: PendingTask, b: PendingTask): boolean {
    if (a.priority !== b.priority) return a.priority > b.priority;
    return a.submit !== b.submit ? a.submit < b.submit : this.ordinal(a) < this.ordinal(b);
  }

  /** The tasks of this queue and others in queue order, in queue order (neither changes). */
  mergedWith(b: readonly PendingTask[]): readonly PendingTask[] {
    const a = this.items;
    if (b.length === 0) return a;
    if (a.length === 0) return b;
    const out = new Array<PendingTask>(a.length + b.length);
    let i = 0, j = 0, k = 0;
    while (i < a.length && j < b.length) out[k++] = this.before(b[j]!, a[i]!) ? b[j++]! : a[i++]!;
    while (i < a.length) out[k++] = a[i++]!;
    while (j < b.length) out[k++] = b[j++]!;
    return out;
  }

  /** The tasks for which `keep` holds, in queue order (each is asked once). */
  filter(keep: (task: PendingTask) => boolean): PendingTask[] {
    const out: PendingTask[] = [];
    for (const priority of this.levels) for (const task of this.fifos.get(priority)!) if (keep(task)) out.push(task);
    return out;
  }

  /** Drops the tasks for which `gone` holds, keeping the order of the rest. */
  removeWhere(gone: (task: PendingTask) => boolean): void {
    this.count = 0;
    for (const fifo of this.fifos.values()) {
      let k = 0;
      for (let i = 0; i < fifo.length; i++) {
        const task = fifo[i]!;
        if (!gone(task)) fifo[k++] = task;
      }
      fifo.length = k;
      this.count += k;
    }
    this.stale = true;
  }

  /** The first index of a FIFO whose task does not come before `task`. */
  private placeIn(fifo: readonly PendingTask[], task: PendingTask): number {
    let lo = 0, hi = fifo.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.before(fifo[mid]!, task)) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  private fifo(priority: number): PendingTask[] {
    let fifo = this.fifos.get(priority);
    if (fifo === undefined) {
      fifo = [];
      this.fifos.set(priority, fifo);
      let at = 0;
      while (at < this.levels.length && this.levels[at]! > priority) at++;
      this.levels.splice(at, 0, priority);
    }
    return fifo;
  }
}
