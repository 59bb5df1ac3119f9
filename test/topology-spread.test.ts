// Topology spread: a group's running tasks per zone differ by at most maxSkew (Kubernetes'
// PodTopologySpread: count in the candidate's domain + 1 - the smallest count over the domains),
// under every built-in policy, waiting when no domain keeps the skew; soft rules and the system
// defaults only move the k8s-* scores (PodTopologySpread, weight 2).

import { describe, expect, it } from 'vitest';
import { builtinSchedulers, createScheduler } from '../schedulers/registry.ts';
import { placementAllows } from '../schedulers/constraints.ts';
import { podTopologySpreadScores } from '../schedulers/policies/kubernetes-rules.ts';
import { nodeId, taskId, type NodeId, type PendingTask, type RunningTask, type TaskId } from '../schedulers/contract.ts';
import { Cluster } from '../sim/cluster.ts';
import type { NodeSpec } from '../sim/cluster-file.ts';
import type { AttemptRow } from '../sim/simulation.ts';
import type { SpreadRule, TaskRecord } from '../traces/record.ts';
import { nodes, simulate, task } from './helpers.ts';

const threeZones = nodes(['a', 'b', 'c'].map((zone) => ({ name: zone, count: 2, cpu: 8, memory: 32, labels: { zone } })));
const zoneOf = new Map(threeZones.map((n) => [n.name, n.labels.zone!]));
const ZONE_1: SpreadRule = { label: 'zone', maxSkew: 1, hard: true };
const svc = (i: number, submit: number): TaskRecord => ({ ...task(`svc-${i}`, submit, 500, 1, 2), job: 'shop', group: 'svc', spread: [ZONE_1] });

/** The group's running count per zone just after each of its starts. */
function skews(rows: readonly AttemptRow[]): number[] {
  const mine = rows.filter((r) => r.task.startsWith('svc-'));
  return mine.map((x) => {
    const counts = new Map([['a', 0], ['b', 0], ['c', 0]]);
    for (const y of mine) if (y.start <= x.start && x.start < y.end) counts.set(zoneOf.get(y.node)!, counts.get(zoneOf.get(y.node)!)! + 1);
    return Math.max(...counts.values()) - Math.min(...counts.values());
  });
}

describe('hard spread, under every built-in policy', () => {
  // Zone c is full until 100 s (two fillers bound to it): the group gets one task into a and
  // one into b at 1 s, then waits; once c frees, the rest spread 3/3/3.
  const fillers = [0, 1].map((i) => ({ ...task(`fill-${i}`, 0, 100, 8, 8), constraints: [{ label: 'zone', op: '==' as const, value: 'c' }] }));
  const group = Array.from({ length: 9 }, (_, i) => svc(i, 1));

  for (const { name } of builtinSchedulers()) {
    it(`${name}: 9 tasks over 3 zones with maxSkew 1, waiting while zone c is full`, async () => {
      for (const reasons of [false, true]) {
        // Estimates equal to durations: what easy-backfill needs.
        const records = [...fillers, ...group].map((r) => ({ ...r, estimate: r.duration }));
        const { rows, sim } = simulate(threeZones, records, await createScheduler(name), { reasons });
        expect(sim.conflicts.noRoom).toBe(0);
        const starts = rows.filter((r) => r.task.startsWith('svc-')).map((r) => r.start / 1e6).sort((x, y) => x - y);
        expect(starts).toEqual([1, 1, 100, 100, 100, 100, 100, 100, 100]);
        const perZone = new Map<string, number>();
        for (const r of rows) if (r.task.startsWith('svc-')) perZone.set(zoneOf.get(r.node)!, (perZone.get(zoneOf.get(r.node)!) ?? 0) + 1);
        expect(perZone).toEqual(new Map([['a', 3], ['b', 3], ['c', 3]]));
        expect(Math.max(...skews(rows))).toBeLessThanOrEqual(1);
        if (reasons) expect(sim.waitReasons.affinity).toBeGreaterThan(0);
      }
    });
  }
});

describe('the skew arithmetic', () => {
  // Running tasks of shop/svc: 2 in zone a (both on a-0), 1 in zone b, none in c.
  const running = [{ node: 0 }, { node: 0 }, { node: 2 }];
  const spreadTask = (spread: SpreadRule[], extra: Partial<PendingTask> = {}): PendingTask =>
    ({ id: taskId(99), name: 't', cpu: 100, memory: 100, gpu: 0, priority: 0, submit: 0, job: 'shop', group: 'svc', spread, ...extra });
  const allowed = (cluster: Cluster, t: PendingTask) => [0, 1, 2, 3, 4, 5].filter((n) => placementAllows(t, nodeId(n), cluster)).map((n) => cluster.nodeName(nodeId(n)));

  it('allows a node when count(domain) + 1 - min <= maxSkew', () => {
    const cluster = withGroup(threeZones, running);
    // maxSkew 1, min 0 (zone c): a 2+1-0 = 3, b 1+1-0 = 2, c 0+1-0 = 1: only c
    expect(allowed(cluster, spreadTask([ZONE_1]))).toEqual(['c-0', 'c-1']);
    // maxSkew 2: b 2 <= 2 too
    expect(allowed(cluster, spreadTask([{ ...ZONE_1, maxSkew: 2 }]))).toEqual(['b-0', 'b-1', 'c-0', 'c-1']);
    // per node, maxSkew 1, min 0: a-0 has 2 (2+1 = 3), b-0 has 1 (2): the empty nodes only
    expect(allowed(cluster, spreadTask([{ label: 'node', maxSkew: 1, hard: true }]))).toEqual(['a-1', 'b-1', 'c-0', 'c-1']);
    // a soft rule rejects nothing
    expect(allowed(cluster, spreadTask([{ ...ZONE_1, hard: false }]))).toHaveLength(6);
    // another group's rule counts its own tasks: none run, every zone is at 0
    expect(allowed(cluster, spreadTask([ZONE_1], { group: 'other' }))).toHaveLength(6);
  });

  it('counts as domains only the zones of nodes that meet the task\'s constraints and are part of the cluster', () => {
    const cluster = withGroup(threeZones, running);
    // zone != c: domains a and b, min 1: a 2+1-1 = 2 > 1, b 1+1-1 = 1
    expect(allowed(cluster, spreadTask([ZONE_1], { constraints: [{ label: 'zone', op: '!=', value: 'c' }] }))).toEqual(['b-0', 'b-1']);
    // zone c's nodes absent (removed): the same
    const gone = withGroup(threeZones.map((n) => (n.labels.zone === 'c' ? { ...n, status: 'absent' as const } : n)), running);
    expect(allowed(gone, spreadTask([ZONE_1])).filter((n) => !n.startsWith('c'))).toEqual(['b-0', 'b-1']);
  });

  it('rejects a node without the label', () => {
    const cluster = withGroup([...threeZones, { name: 'bare', cpu: 8000, memory: 8192, gpu: 0, labels: {} }], []);
    expect(placementAllows(spreadTask([ZONE_1]), nodeId(6), cluster)).toBe(false);
    expect(placementAllows(spreadTask([ZONE_1]), nodeId(0), cluster)).toBe(true);
  });
});

describe('PodTopologySpread scoring (k8s-*)', () => {
  // Candidates a-0, a-1, b-0, b-1; the group runs 2 tasks on a-0 and 1 on b-0.
  const four = nodes(['a', 'b'].map((zone) => ({ name: zone, count: 2, cpu: 8, memory: 32, labels: { zone } })));
  const cluster = withGroup(four, [{ node: 0 }, { node: 0 }, { node: 2 }]);
  const candidates = [0, 1, 2, 3].map(nodeId);
  const base: PendingTask = { id: taskId(99), name: 't', cpu: 100, memory: 100, gpu: 0, priority: 0, submit: 0, job: 'shop', group: 'svc' };

  it('scores a soft rule', () => {
    // zone, maxSkew 1: 2 domains among the candidates, weight ln(2 + 2) = 1.386
    // raw: zone a 2 x 1.386 + 0 = 2.77 -> 3; zone b 1 x 1.386 = 1.39 -> 1
    // min 1, max 3: 100 * (3 + 1 - raw) / 3: a 100*1/3 = 33, b 100*3/3 = 100
    expect(podTopologySpreadScores({ ...base, spread: [{ label: 'zone', maxSkew: 1, hard: false }] }, candidates, cluster)).toEqual([33, 33, 100, 100]);
  });

  it('scores the system defaults for a task of a group (node maxSkew 3, zone maxSkew 5)', () => {
    // node weight ln(4 + 2) = 1.792, zone weight ln(2 + 2) = 1.386
    // a-0: 2 x 1.792 + 2 + 2 x 1.386 + 4 = 12.36 -> 12     a-1: 0 + 2 + 6.77 = 8.77 -> 9
    // b-0: 1.792 + 2 + 1.386 + 4 = 9.18 -> 9               b-1: 2 + 5.39 = 7.39 -> 7
    // min 7, max 12: 100 * (19 - raw) / 12: 58, 83, 83, 100
    expect(podTopologySpreadScores(base, candidates, cluster)).toEqual([58, 83, 83, 100]);
    // no group, no rule: nothing to score
    const { group: _group, ...alone } = base;
    expect(podTopologySpreadScores(alone, candidates, cluster)).toEqual([0, 0, 0, 0]);
    // a hard rule only: Kubernetes scores no soft rule and applies no default
    expect(podTopologySpreadScores({ ...base, spread: [ZONE_1] }, candidates, cluster)).toEqual([0, 0, 0, 0]);
  });

  it('scores 0 a candidate without a soft rule\'s label', () => {
    const mixed = withGroup([...four, { name: 'bare', cpu: 8000, memory: 8192, gpu: 0, labels: {} }], [{ node: 0 }]);
    // zone weight ln(2 + 2); a-0 raw 1.386 -> 1, others 0, bare ignored; min 0, max 1:
    // 100 * (1 + 0 - raw) / 1: a-0 0, a-1 100, ...; bare 0
    expect(podTopologySpreadScores({ ...base, spread: [{ label: 'zone', maxSkew: 1, hard: false }] }, [0, 1, 2, 3, 4].map(nodeId), mixed))
      .toEqual([0, 0, 100, 100, 0]);
  });

  it('moves a group apart even under MostAllocated', async () => {
    // Two empty nodes: the second replica would join the first (MostAllocated 25 against 12),
    // but the defaults score the node holding it 66 against 100, x 2: 25 + 100 + 132 < 12 + 100 + 200.
    const two = nodes([{ name: 'n', count: 2, cpu: 8, memory: 32 }]);
    const replicas = [0, 1].map((i) => ({ ...task(`r-${i}`, i, 100, 1, 4), job: 'shop', group: 'r' }));
    const grouped = simulate(two, replicas, await createScheduler('k8s-most-allocated'));
    expect(new Set(grouped.rows.map((r) => r.node)).size).toBe(2);
    const loose = simulate(two, replicas.map(({ group: _g, ...r }) => r), await createScheduler('k8s-most-allocated'));
    expect(new Set(loose.rows.map((r) => r.node)).size).toBe(1);
  });
});

/** A cluster of the nodes with tasks of shop/svc running on the given nodes (asking for nothing). */
function withGroup(specs: readonly NodeSpec[], tasks: { node: number }[]): Cluster {
  const cluster = new Cluster(specs);
  const running: RunningTask[] = tasks.map((t, i) => ({
    id: taskId(i), name: `r${i}`, cpu: 0, memory: 0, gpu: 0, priority: 0, node: nodeId(t.node) as NodeId, start: 0, job: 'shop', group: 'svc',
  }));
  cluster.describeTasksWith((id: TaskId) => running[id]);
  running.forEach((t, i) => cluster.place(t.node, i, 0, 0, 0));
  return cluster;
}
