// `berth deploy --dry-run`: the placement the simulator's platform computes for the spec on
// idle hosts of the inventory's capacities, with the same scheduler and seed. The slots are
// submitted in the controller's order and groups (plan.ts placementGroups): one instant per
// group, so each group is one scheduling round, as each is one decide call on real hosts. On an
// idle set of hosts the controller's first pass places every slot where this says.

import type { NodeSpec } from '../sim/cluster-file.ts';
import { Simulation } from '../sim/simulation.ts';
import { nodeId, type Scheduler } from '../schedulers/contract.ts';
import type { TaskRecord } from '../traces/record.ts';
import { slotKey } from './labels.ts';
import { pendingTask, placementGroups } from './plan.ts';
import type { AppSpec, Workload } from './spec-file.ts';

/** A run longer than any dry run looks at: tasks never end within it. */
const FOREVER = 1e12;

export interface DryRun {
  /** Slot to host name, or null when the slot could not be placed. In spec order. */
  readonly placements: Readonly<Record<string, string | null>>;
}

export function dryRun(app: AppSpec, nodes: readonly NodeSpec[], cordoned: ReadonlySet<string>, scheduler: Scheduler, seed: number): DryRun {
  // The simulator keeps task ids to itself; the scheduler's own decisions say which went where.
  const decided: { task: number; name: string; node: number }[] = [];
  const watching: Scheduler = {
    name: scheduler.name,
    *decide(pending, cluster, ctx) {
      const names = new Map(pending.map((t) => [t.id as number, t.name]));
      for (const d of scheduler.decide(pending, cluster, ctx)) {
        if (d.kind === 'place') decided.push({ task: d.task, name: names.get(d.task) ?? '', node: d.node });
        yield d;
      }
    },
  };
  const sim = new Simulation(nodes, { scheduler: watching, seed });
  for (const n of nodes) if (cordoned.has(n.name)) sim.push({ kind: 'node', time: 0, node: n.name, change: 'fail' });
  const names = nodes.map((n) => n.name);
  const perHost = new Map(app.workloads.map((w) => [w.name, nodes.map(() => 0)]));
  const slots: { w: Workload; index: number }[] = app.workloads.flatMap((w) => Array.from({ length: w.count }, (_, index) => ({ w, index })));
  const placements: Record<string, string | null> = Object.fromEntries(slots.map((s) => [slotKey(s.w.name, s.index), null]));
  const byName = new Map(slots.map((s) => [slotKey(s.w.name, s.index), s]));
  let t = 0;
  for (const group of placementGroups(slots)) {
    for (const { w, index } of group) {
      const task = pendingTask(w, index, 0, perHost.get(w.name)!, names);
      const record: TaskRecord = {
        kind: 'task', id: task.name, submit: t, duration: FOREVER, cpu: w.cpu, memory: w.memory, gpu: 0, priority: 0,
        ...(task.constraints && { constraints: task.constraints }),
      };
      sim.push(record);
    }
    decided.length = 0;
    sim.runBefore(t + 1);
    for (const d of decided) {
      // Only what the platform committed (it refuses a decision that does not fit).
      if (!sim.cluster.tasksOn(nodeId(d.node)).includes(d.task as never)) continue;
      placements[d.name] = names[d.node]!;
      perHost.get(byName.get(d.name)!.w.name)![d.node]!++;
    }
    t++;
  }
  return { placements };
}
