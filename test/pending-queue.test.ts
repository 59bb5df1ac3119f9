import { describe, expect, it } from 'vitest';
import { PendingQueue } from '../sim/pending-queue.ts';
import { taskId, type PendingTask } from '../schedulers/contract.ts';

const t = (id: number, priority: number, submit: number): PendingTask =>
  ({ id: taskId(id), name: `t${id}`, cpu: 0, memory: 0, gpu: 0, priority, submit });

describe('pending queue', () => {
  it('orders by priority (high first), then submit time, then trace order', () => {
    const q = new PendingQueue((task) => task.id);
    q.arrive(t(0, 1, 0));
    q.arrive(t(1, 5, 1));
    q.arrive(t(2, 1, 2));
    q.arrive(t(3, 5, 3));
    q.arrive(t(4, 9, 3));
    q.arrive(t(5, 0, 4));
    expect(q.items.map((x) => x.id)).toEqual([4, 1, 3, 0, 2, 5]);
  });

  it('puts a requeued task back at its place', () => {
    const q = new PendingQueue((task) => task.id);
    for (const x of [t(1, 5, 10), t(3, 5, 30), t(4, 1, 5)]) q.arrive(x);
    q.insert(t(2, 5, 20));
    q.insert(t(0, 5, 10)); // same priority and submit as task 1, earlier in the trace
    q.insert(t(5, 1, 50));
    expect(q.items.map((x) => x.id)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('drops tasks and keeps the order of the rest', () => {
    const q = new PendingQueue((task) => task.id);
    for (let i = 0; i < 6; i++) q.arrive(t(i, 0, i));
    q.removeWhere((x) => x.id % 2 === 0);
    expect(q.items.map((x) => x.id)).toEqual([1, 3, 5]);
    expect(q.length).toBe(3);
  });

  it('deletes given tasks by their place, passing over one it does not hold', () => {
    const q = new PendingQueue((task) => task.id);
    const tasks = [t(0, 5, 0), t(1, 5, 0), t(2, 5, 7), t(3, 1, 2), t(4, 1, 9)];
    for (const x of tasks) q.arrive(x);
    q.delete([tasks[1]!, tasks[4]!, t(9, 5, 3), t(8, 3, 1)]);
    expect(q.items.map((x) => x.id)).toEqual([0, 2, 3]);
    expect(q.length).toBe(3);
    // An equal task that is another object is not the one queued.
    q.delete([t(0, 5, 0)]);
    expect(q.length).toBe(3);
  });

  it('merges with another queue in queue order, each keeping its own', () => {
    const a = new PendingQueue((task) => task.id);
    const b = new PendingQueue((task) => task.id);
    for (const x of [t(0, 5, 0), t(2, 5, 0), t(5, 1, 3)]) a.insert(x);
    for (const x of [t(1, 5, 0), t(3, 9, 7), t(4, 1, 3)]) b.insert(x);
    expect(a.mergedWith(b.items).map((x) => x.id)).toEqual([3, 0, 1, 2, 4, 5]);
    expect(a.items.map((x) => x.id)).toEqual([0, 2, 5]);
    expect(b.items.map((x) => x.id)).toEqual([3, 1, 4]);
  });

  it('filters in queue order, across priorities, leaving the queue as it was', () => {
    const q = new PendingQueue((task) => task.id);
    for (const x of [t(0, 1, 0), t(1, 5, 0), t(2, 1, 3), t(3, 9, 7), t(4, 5, 3)]) q.insert(x);
    expect(q.filter((x) => x.id !== 2).map((x) => x.id)).toEqual([3, 1, 4, 0]);
    expect(q.items.map((x) => x.id)).toEqual([3, 1, 4, 0, 2]);
  });
});
