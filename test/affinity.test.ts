// Affinity and anti-affinity between tasks: never two database replicas on one node, the cache
// next to its web server (on its node, or in its zone), under every built-in policy and on the
// platform's commit; preferred rules only move the k8s-* scores (InterPodAffinity, weight 2).

import { describe, expect, it } from 'vitest';
import { builtinSchedulers, createScheduler } from '../schedulers/registry.ts';
import { placementAllows, rejectionByRules } from '../schedulers/constraints.ts';
import { interPodAffinityRaw, normalizeInterPodAffinity } from '../schedulers/policies/kubernetes-rules.ts';
import { nodeId, taskId, type PendingTask, type RunningTask, type Scheduler, type TaskId } from '../schedulers/contract.ts';
import { Cluster } from '../sim/cluster.ts';
import { stream } from '../sim/random.ts';
import type { AttemptRow } from '../sim/simulation.ts';
import type { AffinityRule, TaskRecord } from '../traces/record.ts';
import { nodes, simulate, task } from './helpers.ts';

const cell = nodes([
  { name: 'a', count: 2, cpu: 8, memory: 32, labels: { zone: 'a' } },
  { name: 'b', count: 2, cpu: 8, memory: 32, labels: { zone: 'b' } },
]);
const zoneOf = new Map(cell.map((n) => [n.name, n.labels.zone]));

const rule = (group: string, scope: string, extra: Partial<AffinityRule> = {}): AffinityRule => ({ to: { group }, scope, required: true, ...extra });
const of = (group: string, r: TaskRecord, extra: Partial<TaskRecord> = {}): TaskRecord => ({ ...r, job: 'shop', group, ...extra });

/** Pairs of attempts of the listed tasks that overlap in time on one node. */
function sharing(rows: readonly AttemptRow[], tasks: ReadonlySet<string>): string[] {
  const mine = rows.filter((r) => tasks.has(r.task));
  const out: string[] = [];
  for (let i = 0; i < mine.length; i++) {
    for (let j = i + 1; j < mine.length; j++) {
      const x = mine[i]!, y = mine[j]!;
      if (x.node === y.node && x.start < y.end && y.start < x.end) out.push(`${x.task}+${y.task}@${x.node}`);
    }
  }
  return out;
}

// Six replicas of `db` for four nodes, arriving together: four run, two wait for a node of their own.
const dbs = Array.from({ length: 6 }, (_, i) => of('db', task(`db-${i}`, 0, 100 + 10 * i, 1, 2), { antiAffinity: [rule('db', 'node')] }));
// A web server, its cache (same node), a log shipper (same zone), and filler work.
const web = [
  of('web', task('web-0', 0, 500, 2, 4)),
  of('cache', task('cache-0', 1, 400, 1, 2), { affinity: [rule('web', 'node')] }),
  of('logs', task('logs-0', 1, 400, 1, 2), { affinity: [rule('web', 'zone')] }),
  ...Array.from({ length: 8 }, (_, i) => task(`fill-${i}`, 0.5, 50, 1, 1)),
];

describe('rules between tasks, under every built-in policy', () => {
  for (const { name } of builtinSchedulers()) {
    it(`${name}: db replicas never share a node; the cache lands on web's node, the shipper in its zone`, async () => {
      // Estimates equal to durations: what easy-backfill needs.
      const records = [...dbs, ...web].sort((x, y) => x.submit - y.submit).map((r) => ({ ...r, estimate: r.duration }));
      const quiet = simulate(cell, records, await createScheduler(name));
      const explained = simulate(cell, records, await createScheduler(name), { reasons: true });
      for (const { sim, rows } of [quiet, explained]) {
        expect(sim.conflicts.noRoom).toBe(0);
        expect(sharing(rows, new Set(dbs.map((d) => d.id)))).toEqual([]);
        expect(rows.filter((r) => r.task.startsWith('db-')).length).toBe(6); // the last two ran once a node was free
        const at = new Map(rows.map((r) => [r.task, r.node]));
        expect(at.get('cache-0')).toBe(at.get('web-0'));
        expect(zoneOf.get(at.get('logs-0')!)).toBe(zoneOf.get(at.get('web-0')!));
      }
      expect(explained.sim.waitReasons.affinity).toBeGreaterThan(0);
      expect(explained.rows).toEqual(quiet.rows); // asking why changes nothing
    });
  }
});

describe('required affinity', () => {
  // A round that starts a task is followed, at the same instant, by another when a task with a
  // required affinity still waits: the cache, ahead of web in the queue, starts when web does.
  it('waits while no task it names runs, and starts next to it at the instant it starts', async () => {
    for (const webSubmit of [30, 0]) {
      const records = [
        of('cache', task('cache-0', 0, 100, 1, 1), { affinity: [rule('web', 'node')] }),
        of('web', task('web-0', webSubmit, 100, 1, 1)),
        task('other', 40, 10, 1, 1),
      ];
      const { rows, sim } = simulate(cell, records, await createScheduler('spread'), { reasons: true });
      const cache = rows.find((r) => r.task === 'cache-0')!;
      expect(cache.start).toBe(webSubmit * 1e6);
      expect(cache.node).toBe(rows.find((r) => r.task === 'web-0')!.node);
      expect(sim.waitReasons.affinity).toBeGreaterThan(0);
    }
  });

  it('does not ask for rounds without end while a task whose affinity nobody meets waits', async () => {
    const records = [
      of('cache', task('cache-0', 0, 100, 1, 1), { affinity: [rule('nobody', 'node')] }),
      ...Array.from({ length: 5 }, (_, i) => task(`t-${i}`, 10 * i, 5, 1, 1)),
    ];
    const { rows, sim } = simulate(cell, records, await createScheduler('first-fit'));
    expect(rows.some((r) => r.task === 'cache-0')).toBe(false);
    // Each submit's round (at 0, 10, … 40 s) starts its task and asks for one more, which starts
    // nothing; each end's round (5, 15, … 45 s) starts nothing and asks for no other.
    expect(sim.rounds).toBe(5 * 2 + 5);
  });

  it('lets the first task of a group that names its own group start anywhere, and the rest join its zone', async () => {
    const team = Array.from({ length: 4 }, (_, i) => of('team', task(`team-${i}`, i, 100, 1, 1), { affinity: [rule('team', 'zone')] }));
    for (const name of ['spread', 'k8s-default', 'random']) {
      const { rows } = simulate(cell, team, await createScheduler(name));
      expect(new Set(rows.map((r) => zoneOf.get(r.node))).size, name).toBe(1);
      expect(rows.length).toBe(4);
    }
  });

  it('selects by job: another job\'s group of the same name does not count', () => {
    const cluster = withRunning(cell, [{ node: 0, job: 'other', group: 'web' }]);
    const cache: PendingTask = { ...pending('cache'), job: 'shop', group: 'cache', affinity: [rule('web', 'node')] };
    expect(placementAllows(cache, nodeId(0), cluster)).toBe(false);
    expect(placementAllows({ ...cache, affinity: [{ to: { job: 'other', group: 'web' }, scope: 'node', required: true }] }, nodeId(0), cluster)).toBe(true);
    // A node without the scope's label fails a required affinity, passes an anti-affinity.
    const bare = withRunning(nodes([{ name: 'x', cpu: 1, memory: 1 }]), [{ node: 0, job: 'shop', group: 'web' }]);
    expect(rejectionByRules({ ...cache, affinity: [rule('web', 'rack')] }, nodeId(0), bare)).toBe('affinity');
    expect(placementAllows({ ...cache, antiAffinity: [rule('web', 'rack')] }, nodeId(0), bare)).toBe(true);
  });
});

describe('the platform refuses a placement that breaks an anti-affinity', () => {
  it('counts it as a conflict', () => {
    const cheat: Scheduler = { name: 'cheat', *decide(pending) { for (const t of pending) yield { kind: 'place', task: t.id, node: nodeId(0) }; } };
    const { rows, sim } = simulate(cell, dbs.slice(0, 2).map((d) => ({ ...d, duration: 10e6 })), cheat);
    expect(sharing(rows, new Set(['db-0', 'db-1']))).toEqual([]);
    expect(rows.map((r) => r.start)).toEqual([0, 10e6]); // the second waited for the first to end
    expect(sim.conflicts.noRoom).toBeGreaterThan(0);
  });
});

describe('preferred affinity: only the k8s-* scores move', () => {
  // Node 0 runs two web tasks, node 1 one, node 2 a db task, node 3 nothing.
  const cluster = withRunning(cell, [
    { node: 0, job: 'shop', group: 'web' }, { node: 0, job: 'shop', group: 'web' },
    { node: 1, job: 'shop', group: 'web' }, { node: 2, job: 'shop', group: 'db' },
  ]);
  const nodesAll = [0, 1, 2, 3].map(nodeId);

  it('scores weight x tasks in the domain, minus for anti-affinity, normalised over min(0, ·) … max(0, ·)', () => {
    const near: PendingTask = { ...pending('t'), job: 'shop', affinity: [rule('web', 'node', { required: false, weight: 10 })] };
    // raw = 10 x web tasks on the node: 20, 10, 0, 0; max 20, min 0
    const raw = nodesAll.map((n) => interPodAffinityRaw(near, n, cluster));
    expect(raw).toEqual([20, 10, 0, 0]);
    // 100 * (raw - 0) / 20: 100, 50, 0, 0
    expect(normalizeInterPodAffinity(raw)).toEqual([100, 50, 0, 0]);

    const away: PendingTask = { ...near, affinity: [rule('web', 'zone', { required: false, weight: 3 })], antiAffinity: [rule('db', 'node', { required: false, weight: 5 })] };
    // zone a holds 3 web tasks: +3 x 3 = 9 on nodes 0 and 1; node 2 runs a db: -5; node 3: 0
    const raw2 = nodesAll.map((n) => interPodAffinityRaw(away, n, cluster));
    expect(raw2).toEqual([9, 9, -5, 0]);
    // max 9, min -5, diff 14: 100*(9+5)/14 = 100, 100*(0)/14 = 0, 100*(0+5)/14 = 35.7 -> 35
    expect(normalizeInterPodAffinity(raw2)).toEqual([100, 100, 0, 35]);
    // nothing selected anywhere: every node 0
    expect(normalizeInterPodAffinity([0, 0, 0])).toEqual([0, 0, 0]);
  });

  it('k8s-default puts a task next to the group it prefers when resources tie; first-fit ignores the preference', async () => {
    const records = [
      of('web', task('web-0', 0, 100, 1, 1), { antiAffinity: [rule('web', 'node')] }),
      of('web', task('web-1', 0, 100, 1, 1), { antiAffinity: [rule('web', 'node')] }),
      of('cache', task('cache-0', 1, 50, 1, 1), { affinity: [rule('web', 'node', { required: false, weight: 100 })] }),
    ];
    for (const seed of [1, 2, 3, 4, 5]) {
      const { rows } = simulate(cell, records, await createScheduler('k8s-default'), { seed });
      const webNodes = new Set(rows.filter((r) => r.task.startsWith('web')).map((r) => r.node));
      expect(webNodes.has(rows.find((r) => r.task === 'cache-0')!.node)).toBe(true);
    }
    const { rows } = simulate(cell, [of('web', task('web-0', 0, 100, 1, 1)), records[2]!], await createScheduler('spread'));
    expect(rows.find((r) => r.task === 'cache-0')!.node).not.toBe(rows.find((r) => r.task === 'web-0')!.node); // spread ignores it
  });
});

describe('the owner index (ClusterView.runningByNode)', () => {
  it('agrees with a scan of every node after random starts and ends', () => {
    const r = stream(3, 'owners');
    const cluster = new Cluster(cell);
    const live = new Map<number, RunningTask>();
    cluster.describeTasksWith((t) => live.get(t));
    const jobs = ['j1', 'j2', undefined];
    const groups = ['g1', 'g2', undefined];
    let next = 0;
    for (let step = 0; step < 3000; step++) {
      if (live.size > 0 && r() < 0.45) {
        const ids = [...live.keys()];
        const id = ids[Math.floor(r() * ids.length)]!;
        const t = live.get(id)!;
        cluster.remove(t.node, id, 0, 0, 0);
        live.delete(id);
      } else {
        const id = next++;
        const node = nodeId(Math.floor(r() * cell.length));
        const job = jobs[Math.floor(r() * 3)], group = job === undefined ? undefined : groups[Math.floor(r() * 3)];
        cluster.place(node, id, 0, 0, 0); // booked first, described as running after, as the simulator does
        live.set(id, { id: taskId(id), name: `t${id}`, cpu: 0, memory: 0, gpu: 0, priority: 0, node, start: 0, ...(job && { job }), ...(group && { group }) });
      }
      if (step % 7 !== 0) continue;
      for (const job of jobs) {
        for (const group of groups) {
          const scan = new Map<number, number>();
          for (const t of live.values()) {
            if (t.job === job && (group === undefined || t.group === group)) scan.set(t.node, (scan.get(t.node) ?? 0) + 1);
          }
          expect(new Map(cluster.runningByNode(job, group))).toEqual(scan);
        }
      }
    }
  });
});

function pending(name: string): PendingTask {
  return { id: taskId(999), name, cpu: 100, memory: 100, gpu: 0, priority: 0, submit: 0 };
}

/** A cluster of the nodes with the given tasks running (each asking for nothing). */
function withRunning(specs: typeof cell, tasks: { node: number; job: string; group: string }[]): Cluster {
  const cluster = new Cluster(specs);
  const running: RunningTask[] = tasks.map((t, i) => ({
    id: taskId(i), name: `r${i}`, cpu: 0, memory: 0, gpu: 0, priority: 0, node: nodeId(t.node), start: 0, job: t.job, group: t.group,
  }));
  cluster.describeTasksWith((id: TaskId) => running[id]);
  running.forEach((t, i) => cluster.place(t.node, i, 0, 0, 0));
  return cluster;
}
