// The order of events at one instant (design: task finishes, then node events, then submits;
// then one scheduling round), queue disciplines, evictions and unschedulable tasks.

import { describe, expect, it } from 'vitest';
import { firstFit } from '../schedulers/policies/first-fit.ts';
import { roundRobin } from '../schedulers/policies/round-robin.ts';
import type { Scheduler } from '../schedulers/contract.ts';
import { EventClass } from '../sim/simulation.ts';
import { nodes, simulate, task } from './helpers.ts';

const starts = (rows: { task: string; start: number }[]) =>
  Object.fromEntries(rows.map((r) => [r.task, r.start / 1e6]));

describe('same-instant order', () => {
  it('is written once: finishes, then node events (fail, recover, add, remove, update), then submits, then the round', () => {
    const order = [EventClass.Finish, EventClass.NodeFail, EventClass.NodeRecover, EventClass.NodeAdd, EventClass.NodeRemove,
      EventClass.NodeUpdate, EventClass.Submit, EventClass.TraceStart, EventClass.Round];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(new Set(order).size).toBe(Object.keys(EventClass).length);
  });

  it('applies a finish before a submit at the same instant, so the arrival can use the room', () => {
    const cluster = nodes([{ name: 'a', cpu: 1, memory: 1 }]);
    const { rows } = simulate(cluster, [task('A', 0, 10, 1, 1), task('B', 10, 5, 1, 1), task('C', 10, 5, 1, 1)], firstFit());
    expect(starts(rows)).toEqual({ A: 0, B: 10, C: 15 });
  });

  it('runs one round after all arrivals of an instant, in queue order (priority first)', () => {
    const cluster = nodes([{ name: 'a', cpu: 1, memory: 1 }]);
    const { rows, sim } = simulate(cluster, [
      task('low', 5, 10, 1, 1, { priority: 0 }),
      task('high', 5, 10, 1, 1, { priority: 9 }),
    ], firstFit());
    expect(starts(rows)).toEqual({ high: 5, low: 15 });
    expect(sim.rounds).toBe(2);
  });

  it('lets a task finish on a node that fails at the same instant (finish first), and uses a recovery at the instant of an arrival', () => {
    const cluster = nodes([{ name: 'a', cpu: 1, memory: 1 }]);
    const { rows, sim } = simulate(cluster, [task('A', 0, 10, 1, 1), task('B', 20, 5, 1, 1)], firstFit(), {
      nodeEvents: [{ time: 10, node: 0, kind: 'fail' }, { time: 20, node: 0, kind: 'recover' }],
    });
    expect(sim.evicted).toBe(0);
    expect(sim.completed).toBe(2);
    expect(starts(rows)).toEqual({ A: 0, B: 20 });
  });

  it('offers the room of a zero-duration task to a further round at the same instant', () => {
    const cluster = nodes([{ name: 'a', cpu: 1, memory: 1 }]);
    const { rows } = simulate(cluster, [task('zero', 3, 0, 1, 1), task('next', 3, 4, 1, 1)], firstFit());
    expect(rows.map((r) => [r.task, r.start / 1e6, r.end / 1e6])).toEqual([['zero', 3, 3], ['next', 3, 7]]);
  });
});

describe('queue disciplines', () => {
  const cluster = nodes([{ name: 'a', cpu: 2, memory: 4 }]);
  const records = [task('A', 0, 10, 1, 1), task('B', 1, 10, 2, 1), task('C', 2, 10, 1, 1)];

  it('greedy goes on past a task that fits nowhere', () => {
    expect(starts(simulate(cluster, records, firstFit(), { queue: 'greedy' }).rows)).toEqual({ A: 0, C: 2, B: 12 });
  });

  it('strict-fifo stops the round at the first task that does not fit', () => {
    expect(starts(simulate(cluster, records, firstFit(), { queue: 'strict-fifo' }).rows)).toEqual({ A: 0, B: 10, C: 20 });
  });

  it('strict-fifo does not let the scheduler look past the first task that does not fit', () => {
    const seen: string[] = [];
    const inner = roundRobin();
    const spy: Scheduler = {
      name: 'spy',
      *decide(pending, view, ctx) {
        for (const d of inner.decide(pending, view, ctx)) {
          seen.push(pending.find((t) => t.id === d.task)!.name);
          yield d;
        }
      },
    };
    simulate(cluster, records, spy, { queue: 'strict-fifo' });
    // t=0 A placed; t=1 B waits; t=2 B waits again and C, behind it, is not looked at;
    // t=10 B placed, then C waits; t=20 C placed.
    expect(seen).toEqual(['A', 'B', 'B', 'B', 'C', 'C']);
  });
});

describe('failures and unschedulable tasks', () => {
  it('evicts the tasks of a failed node and requeues them at their place in the queue', () => {
    const cluster = nodes([{ name: 'a', cpu: 1, memory: 1 }, { name: 'b', cpu: 1, memory: 1 }]);
    const records = [task('A', 0, 100, 1, 1), task('B', 1, 100, 1, 1), task('C', 2, 5, 1, 1)];
    const { rows, sim } = simulate(cluster, records, firstFit(), {
      nodeEvents: [{ time: 50, node: 0, kind: 'fail' }, { time: 60, node: 0, kind: 'recover' }],
    });
    expect(sim.evicted).toBe(1);
    expect(sim.completed).toBe(3);
    // A ran on a until the failure, then again from the recovery; rows come in order of end.
    expect(rows.map((r) => [r.task, r.node, r.start / 1e6, r.end / 1e6])).toEqual([
      ['A', 'a', 0, 50], ['B', 'b', 1, 101], ['C', 'b', 101, 106], ['A', 'a', 60, 160],
    ]);
  });

  it('reports a task larger than every node instead of waiting for it forever', () => {
    const cluster = nodes([{ name: 'a', cpu: 4, memory: 8 }, { name: 'b', cpu: 8, memory: 4 }]);
    const { sim, rows } = simulate(cluster, [task('huge', 0, 1, 8, 8), task('ok', 0, 1, 8, 4)], firstFit());
    expect(sim.unschedulable).toBe(1);
    expect(sim.unschedulableSample).toEqual(['huge']);
    expect(sim.pendingCount).toBe(0);
    expect(rows.map((r) => r.task)).toEqual(['ok']);
  });

  it('waits, rather than drops, a task that only a node that is down could hold', () => {
    const cluster = nodes([{ name: 'a', cpu: 4, memory: 8 }, { name: 'b', cpu: 1, memory: 1 }]);
    const { rows, sim } = simulate(cluster, [task('big', 1, 1, 4, 8)], firstFit(), {
      nodeEvents: [{ time: 0, node: 0, kind: 'fail' }, { time: 9, node: 0, kind: 'recover' }],
    });
    expect(sim.unschedulable).toBe(0);
    expect(starts(rows)).toEqual({ big: 9 });
  });
});
