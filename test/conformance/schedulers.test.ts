// The conformance suite every scheduler joins: the built-ins by name, and the example of a
// user's module. A scheduler listed here runs every case below, under contention, on a
// heterogeneous cell with GPUs, with nodes failing and recovering. A case a scheduler cannot
// meet by design is listed in `skip` with the reason.

import { describe, expect, it } from 'vitest';
import { builtinSchedulers, createScheduler } from '../../schedulers/registry.ts';
import type { ClusterView, DecideContext, Decision, PendingTask, Scheduler, SchedulerOptions } from '../../schedulers/contract.ts';
import { expandGroups } from '../../sim/cluster-file.ts';
import { productionCell, productionWorkload } from '../../traces/synthetic/production.ts';
import { overCommit, simulate, type NodeEventAt } from '../helpers.ts';
import { placementAllows, satisfiesAll } from '../../schedulers/constraints.ts';
import { withPreemption } from '../../schedulers/preemption.ts';

type Case = 'work-conserving' | 'uses-randomness' | 'preemption';

interface Entry {
  readonly name: string;
  readonly create: () => Promise<Scheduler>;
  /** Cases that do not apply, each with the reason. */
  readonly skip?: Partial<Record<Case, string>>;
}

const DETERMINISTIC = 'a deterministic policy draws nothing from its stream, so the seed cannot change its placements';
/** Policies that draw from their stream: random choices, shuffles, random tie-breaks. */
const RANDOMIZED = new Set(['random', 'swarm-random', 'nomad-binpack', 'nomad-spread', 'k8s-default', 'k8s-most-allocated', 'power-of-two']);

/**
 * Options a built-in needs on the suite's workload. The workload gives no run-time estimates, so
 * easy-backfill gives every task Slurm's kind of default, 600 s (many run longer: reservations
 * then meet overdue tasks too); test/policy-backfill.test.ts runs the same checks with estimates.
 */
const OPTIONS: Readonly<Record<string, SchedulerOptions>> = { 'easy-backfill': { missingEstimate: 600 } };
const BACKFILLING = 'EASY backfilling keeps a task waiting, by design, where it would delay the reservation of the head of the queue';
/** Cases a built-in skips by design, beyond the randomness case. */
const SKIPS: Readonly<Record<string, Partial<Record<Case, string>>>> = {
  'easy-backfill': { 'work-conserving': BACKFILLING },
};
// gang runs every case: the suite's workload has no gangs, so each task must be placed as first
// fit would (test/policy-gang.test.ts checks gangs, with failing nodes).

const SCHEDULERS: readonly Entry[] = [
  ...builtinSchedulers().map((s): Entry => ({
    name: s.name,
    create: () => createScheduler(s.name, OPTIONS[s.name]),
    skip: { ...(!RANDOMIZED.has(s.name) && { 'uses-randomness': DETERMINISTIC }), ...SKIPS[s.name] },
  })),
  {
    // A task without an estimate may run forever: a head behind such tasks blocks the queue.
    name: 'easy-backfill (missingEstimate=forever)', create: () => createScheduler('easy-backfill', { missingEstimate: 'forever' }),
    skip: { 'uses-randomness': DETERMINISTIC, 'work-conserving': BACKFILLING },
  },
  { name: 'examples/fewest-tasks.ts', create: () => createScheduler('examples/fewest-tasks.ts'), skip: { 'uses-randomness': DETERMINISTIC } },
];

// A small cell under more load than it can take, with GPU tasks, tasks bound to a zone, and
// nodes failing, leaving, coming back and shrinking.
const cluster = expandGroups(productionCell(24));
const records = [...productionWorkload({ tasks: 3000, load: 1.3, seed: 42, nodes: cluster })].map((r, i) =>
  (i % 7 === 3 ? { ...r, constraints: [{ label: 'zone', op: '==' as const, value: 'abc'[i % 3]! }] } : r));
const nodeEvents: NodeEventAt[] = [
  { time: 300, node: 3, kind: 'fail' }, { time: 900, node: 3, kind: 'recover' },
  { time: 600, node: 10, kind: 'fail' }, { time: 601, node: 11, kind: 'remove' }, { time: 2000, node: 10, kind: 'recover' },
  { time: 2500, node: 11, kind: 'add' }, { time: 2600, node: 12, kind: 'update', capacity: { cpu: 4000, memory: 8192, gpu: 0 } },
];

/** The only members a scheduler may touch: the ClusterView interface. */
const VIEW_MEMBERS = new Set<string>([
  'nodeCount', 'nodeName', 'status', 'labels', 'taints', 'capacity', 'allocated', 'free', 'taskCount', 'tasksOn', 'running',
  'runningByNode', 'generation', 'fits', 'rejection', 'firstFit', 'bestFit', 'feasible', 'bottleneck',
]);

function readOnly(cluster: ClusterView): ClusterView {
  return new Proxy(cluster, {
    get(target, key, receiver) {
      if (typeof key === 'string' && !VIEW_MEMBERS.has(key)) throw new Error(`the scheduler used ${key}, which is not part of ClusterView`);
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
    set() {
      throw new Error('the scheduler wrote to the cluster view');
    },
  });
}

/** Globals a pure policy never reads; they throw while it decides. */
const FORBIDDEN: [object, string][] = [[Math, 'random'], [Date, 'now'], [performance, 'now'], [process, 'hrtime']];

function whilePure<T>(step: () => T): T {
  const saved = FORBIDDEN.map(([obj, key]) => (obj as Record<string, unknown>)[key]);
  for (const [obj, key] of FORBIDDEN) {
    (obj as Record<string, unknown>)[key] = () => { throw new Error(`the scheduler read ${key === 'random' ? 'Math.random' : key}`); };
  }
  try {
    return step();
  } finally {
    FORBIDDEN.forEach(([obj, key], i) => { (obj as Record<string, unknown>)[key] = saved[i]; });
  }
}

interface Audit {
  readonly problems: string[];
  waits: number;
  /** Tasks offered, summed over rounds. */
  offered: number;
}

/**
 * Wraps a scheduler to check, decision by decision, what the platform cannot see by itself:
 * every decision names a task of this round's pending list, no task is placed twice in a round,
 * a wait comes only when no node has room (for work-conserving policies), and the policy reads
 * neither the clock nor Math.random nor anything outside ClusterView.
 */
function audited(inner: Scheduler, audit: Audit, workConserving: boolean): Scheduler {
  return {
    name: inner.name,
    ...(inner.ignoresUnfit !== undefined && { ignoresUnfit: inner.ignoresUnfit }),
    decide(pending: readonly PendingTask[], cluster: ClusterView, ctx: DecideContext): Iterable<Decision> {
      audit.offered += pending.length;
      const ids = new Map(pending.map((t) => [t.id as number, t]));
      const placed = new Set<number>();
      const view = readOnly(cluster);
      const it = whilePure(() => inner.decide(pending, view, ctx)[Symbol.iterator]());
      return {
        [Symbol.iterator]: () => ({
          next: () => {
            const r = whilePure(() => it.next());
            if (r.done) return r;
            const d = r.value;
            const task = ids.get(d.task);
            if (!task) audit.problems.push(`decision for task ${d.task}, which is not pending`);
            if (d.kind === 'place') {
              if (placed.has(d.task)) audit.problems.push(`task ${d.task} placed twice in one round`);
              placed.add(d.task);
            }
            if (d.kind === 'wait') {
              audit.waits++;
              const room = task && [...cluster.feasible(task)].find((n) => placementAllows(task, n, cluster));
              if (workConserving && room !== undefined) {
                audit.problems.push(`task ${task!.name} told to wait (${d.reason}) while node ${room} has room and meets its placement rules`);
              }
            }
            return r;
          },
          return: (value?: unknown) => (it.return ? whilePure(() => it.return!(value)) : { done: true as const, value: undefined }),
        }),
      };
    },
  };
}

for (const entry of SCHEDULERS) {
  describe(`scheduler conformance: ${entry.name}`, () => {
    const run = async (seed: number, workConserving = false, reasons = false) => {
      const audit: Audit = { problems: [], waits: 0, offered: 0 };
      const outcome = simulate(cluster, records, audited(await entry.create(), audit, workConserving), { seed, nodeEvents, reasons });
      return { ...outcome, audit };
    };

    it('never over-commits any resource of any node at any instant, and meets every constraint', async () => {
      const { sim, rows, audit } = await run(1);
      expect(sim.conflicts).toEqual({ notPending: 0, noRoom: 0, unsupported: 0, badVictims: 0 });
      expect(overCommit(cluster, records, rows, nodeEvents)).toBeUndefined();
      const byId = new Map(records.map((r) => [r.id, r]));
      const byNode = new Map(cluster.map((n) => [n.name, n]));
      const broken = rows.find((row) => {
        const constraints = byId.get(row.task)!.constraints;
        return constraints !== undefined && !satisfiesAll(byNode.get(row.node)!.labels, constraints);
      });
      expect(broken).toBeUndefined();
      expect(audit.problems).toEqual([]);
      expect(sim.evicted).toBeGreaterThan(0); // the failures hit running tasks
      // Some tasks are bound to a zone that has no node large enough: they are still waiting.
      expect(sim.completed + sim.unschedulable + sim.pendingCount).toBe(records.length);
      expect(sim.pendingCount).toBeLessThan(10);
    });

    it('places only pending tasks, each at most once a round, through the read-only view, without clock or Math.random', async () => {
      const { audit, sim } = await run(2);
      expect(audit.problems).toEqual([]);
      expect(sim.started).toBeGreaterThan(0);
    });

    it('is reproducible for a seed', async () => {
      const a = await run(7);
      const b = await run(7);
      expect(b.digest).toBe(a.digest);
      expect(b.rows).toEqual(a.rows);
    });

    // Asked why tasks wait, the platform offers every pending task every round; otherwise it
    // parks the tasks no node has room for, when the scheduler says it ignores them.
    it('places the same whether or not it is asked why tasks wait (and so whether or not tasks are parked)', async () => {
      const quiet = await run(4);
      const explained = await run(4, false, true);
      expect(explained.audit.waits).toBeGreaterThan(0); // the cell is overloaded: waits happen, with reasons
      expect(explained.digest).toBe(quiet.digest);
      expect(explained.rows).toEqual(quiet.rows);
      if ((await entry.create()).ignoresUnfit) expect(quiet.audit.offered).toBeLessThan(explained.audit.offered);
      else expect(quiet.audit.offered).toBe(explained.audit.offered);
    });

    const skipPreemption = entry.skip?.preemption;
    it.skipIf(skipPreemption !== undefined)(`runs under preemption: victims are of lower priority, nothing over-commits, no decision is refused${skipPreemption ? `: skipped, ${skipPreemption}` : ''}`, async () => {
      const audit: Audit = { problems: [], waits: 0, offered: 0 };
      // The first 1,200 tasks: every waiting task looks for victims in every round, which costs.
      const some = records.slice(0, 1200);
      const { sim, rows } = simulate(cluster, some, withPreemption(audited(await entry.create(), audit, false)), { seed: 5, nodeEvents });
      expect(sim.preemption.preemptions).toBeGreaterThan(0);
      expect(sim.conflicts).toEqual({ notPending: 0, noRoom: 0, unsupported: 0, badVictims: 0 });
      expect(overCommit(cluster, some, rows, nodeEvents)).toBeUndefined();
      expect(audit.problems).toEqual([]);
    });

    const skipWork = entry.skip?.['work-conserving'];
    it.skipIf(skipWork !== undefined)(`waits only when no node has room (work-conserving)${skipWork ? `: skipped, ${skipWork}` : ''}`, async () => {
      const { audit } = await run(3, true, true);
      expect(audit.waits).toBeGreaterThan(0);
      expect(audit.problems).toEqual([]);
    });

    const skipRandom = entry.skip?.['uses-randomness'];
    it.skipIf(skipRandom !== undefined)(`draws from its seeded stream: another seed, other placements${skipRandom ? `: skipped, ${skipRandom}` : ''}`, async () => {
      expect((await run(8)).digest).not.toBe((await run(9)).digest);
    });
  });
}

describe('the conformance checks themselves', () => {
  it('catch a scheduler that reads Math.random, writes the view, or places a task twice', async () => {
    const cheats: Scheduler[] = [
      { name: 'reads-random', *decide(pending) { for (const t of pending) yield { kind: 'place', task: t.id, node: Math.floor(Math.random()) as never }; } },
      { name: 'writes-view', *decide(pending, c) { (c as unknown as { place: () => void }).place(); yield* []; void pending; } },
      { name: 'twice', *decide(pending) { const t = pending[0]; if (t) { yield { kind: 'place', task: t.id, node: 0 as never }; yield { kind: 'place', task: t.id, node: 0 as never }; } } },
    ];
    for (const cheat of cheats) {
      const audit: Audit = { problems: [], waits: 0, offered: 0 };
      let failed = false;
      try {
        simulate(cluster, records.slice(0, 50), audited(cheat, audit, false));
      } catch {
        failed = true;
      }
      expect(failed || audit.problems.length > 0, cheat.name).toBe(true);
    }
  });
});
