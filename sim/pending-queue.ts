// The pending queue, in queue order: priority (high first), then submit time, then trace
// order. Tasks arrive in (submit, trace order), so an arrival only has to skip past the tasks
// of lower priority; a requeued task (evicted from a failed node) goes back to its place.

import type { PendingTask } from '../schedulers/contract.ts';

export class PendingQueue {
  /** The tasks in queue order. Not changed while a round is consuming decisions. */
  items: PendingTask[] = [];

  /**
   * @param ordinal trace order of a live task, for the last tie-break
   */
  constructor(private readonly ordinal: (task: PendingTask) => number) {}

  get length(): number {
    return this.items.length;
  }

  /** A new arrival: later than every queued task of its priority or higher. */
  arrive(task: PendingTask): void {
    const items = this.items;
    const last = items[items.length - 1];
    if (last === undefined || last.priority >= task.priority) {
      items.push(task);
      return;
    }
    // First position holding a lower priority.
    let lo = 0, hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid]!.priority >= task.priority) lo = mid + 1; else hi = mid;
    }
    items.splice(lo, 0, task);
  }

  /** A task back in the queue, at its place by (priority, submit, trace order). */
  requeue(task: PendingTask): void {
    const items = this.items;
    let lo = 0, hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.before(items[mid]!, task)) lo = mid + 1; else hi = mid;
    }
    items.splice(lo, 0, task);
  }

  /** Drops the tasks for which `gone` holds, keeping the order of the rest. */
  removeWhere(gone: (task: PendingTask) => boolean): void {
    const items = this.items;
    let k = 0;
    for (let i = 0; i < items.length; i++) {
      const task = items[i]!;
      if (!gone(task)) items[k++] = task;
    }
    items.length = k;
  }

  private before(a: PendingTask, b: PendingTask): boolean {
    if (a.priority !== b.priority) return a.priority > b.priority;
    if (a.submit !== b.submit) return a.submit < b.submit;
    return this.ordinal(a) < this.ordinal(b);
  }
}
