// Taints and tolerations: a node's NoSchedule taint keeps off every task that does not tolerate
// it, under every built-in policy and on the platform's commit; PreferNoSchedule only lowers the
// k8s-* scores (TaintToleration, weight 3).

import { describe, expect, it } from 'vitest';
import { builtinSchedulers, createScheduler } from '../schedulers/registry.ts';
import { hasPlacementRules, placementAllows, rejectionByRules, tolerates } from '../schedulers/constraints.ts';
import { pipeline, type Filter, type PipelineSpec } from '../schedulers/pipeline.ts';
import { leastAllocated, mostAllocated } from '../schedulers/scorers.ts';
import { intolerablePreferNoSchedule, normalizeReverse } from '../schedulers/policies/kubernetes-rules.ts';
import { nodeId, taskId, type DecideContext, type PendingTask, type Scheduler } from '../schedulers/contract.ts';
import { Cluster } from '../sim/cluster.ts';
import { stream } from '../sim/random.ts';
import type { Taint, TaskRecord, Toleration } from '../traces/record.ts';
import { clusterRefusal as failure, nodes, parseCluster as parse, simulate, task } from './helpers.ts';

const GPU_ONLY: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
const TOLERATE_GPU: Toleration[] = [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }];

describe('tolerations match taints as Kubernetes does', () => {
  const taint: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  const cases: [string, Toleration, boolean][] = [
    ['Equal, same key and value', { key: 'dedicated', operator: 'Equal', value: 'gpu' }, true],
    ['Equal, another value', { key: 'dedicated', operator: 'Equal', value: 'db' }, false],
    ['Equal without a value matches only an empty value', { key: 'dedicated', operator: 'Equal' }, false],
    ['Exists, same key', { key: 'dedicated', operator: 'Exists' }, true],
    ['Exists, another key', { key: 'spot', operator: 'Exists' }, false],
    ['Exists with an empty key tolerates everything', { key: '', operator: 'Exists' }, true],
    ['same effect', { key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }, true],
    ['another effect', { key: 'dedicated', operator: 'Exists', effect: 'PreferNoSchedule' }, false],
  ];
  for (const [name, toleration, expected] of cases) it(name, () => expect(tolerates(toleration, taint)).toBe(expected));
});

describe('cluster file taints', () => {
  const group = (taints: string) => `nodes:\n  - name: g\n    cpu: 8\n    memory: 32\n    taints:\n${taints}`;

  it('gives each node of a group its taints, the value empty when not given', () => {
    const [node] = parse(group('      - {key: dedicated, value: gpu, effect: NoSchedule}\n      - {key: spot, effect: PreferNoSchedule}\n'));
    expect(node!.taints).toEqual([GPU_ONLY, { key: 'spot', value: '', effect: 'PreferNoSchedule' }]);
    expect(parse('nodes:\n  - {cpu: 1, memory: 1}\n')[0]!.taints).toBeUndefined();
  });

  it('names the file, the line and the field of a bad taint', () => {
    expect(failure(group('      - {key: dedicated, effect: NoExecute}\n')))
      .toBe('c.yaml:6: nodes[0].taints[0].effect: expected NoSchedule or PreferNoSchedule; got "NoExecute" (NoExecute is not modelled: berth evicts no running task for a taint)');
    expect(failure(group('      - {value: gpu, effect: NoSchedule}\n'))).toBe('c.yaml:6: nodes[0].taints[0].key: missing: every taint needs a key');
    expect(failure(group('      - {key: dedicated}\n'))).toBe('c.yaml:6: nodes[0].taints[0].effect: missing: expected NoSchedule or PreferNoSchedule');
    expect(failure(group('      - {key: "a=b", effect: NoSchedule}\n'))).toMatch(/^c\.yaml:6: nodes\[0\]\.taints\[0\]\.key: expected a key of letters/);
    expect(failure(group('      - {key: a, value: "x y", effect: NoSchedule}\n'))).toMatch(/^c\.yaml:6: nodes\[0\]\.taints\[0\]\.value: expected letters, digits/);
    expect(failure(group('      - {key: a, effect: NoSchedule, tolerate: yes}\n'))).toMatch(/^c\.yaml:6: nodes\[0\]\.taints\[0\]\.tolerate: unknown field; expected one of key, value, effect$/);
    expect(failure('nodes:\n  - cpu: 1\n    memory: 1\n    taints: dedicated\n')).toMatch(/^c\.yaml:4: nodes\[0\]\.taints: expected a list of taints/);
  });
});

// The tainted node comes first in cluster order and is the only one large enough for a big task.
const cell = nodes([
  { name: 'gpu', cpu: 16, memory: 64, taints: [GPU_ONLY] },
  { name: 'plain', count: 2, cpu: 4, memory: 16 },
]);
const tolerant = (t: TaskRecord): TaskRecord => ({ ...t, tolerations: TOLERATE_GPU });
const workload: TaskRecord[] = [
  ...Array.from({ length: 6 }, (_, i) => task(`small-${i}`, i, 50, 1, 2)),
  ...Array.from({ length: 3 }, (_, i) => tolerant(task(`trained-${i}`, i, 50, 1, 2))),
  tolerant(task('big-tolerant', 10, 50, 12, 40)),
  task('big-intolerant', 10, 50, 12, 40),
];

describe('a NoSchedule taint keeps off every task that does not tolerate it', () => {
  // Estimates equal to durations: what easy-backfill needs.
  const estimated = workload.map((r) => ({ ...r, estimate: r.duration }));
  for (const { name } of builtinSchedulers()) {
    it(name, async () => {
      for (const reasons of [false, true]) {
        const { sim, rows } = simulate(cell, estimated, await createScheduler(name), { reasons });
        expect(sim.conflicts.noRoom).toBe(0); // the policy itself kept to the rule
        const byTask = new Map(rows.map((r) => [r.task, r.node]));
        for (const r of workload) if (r.tolerations === undefined) expect(byTask.get(r.id), r.id).not.toBe('gpu');
        expect(byTask.get('big-tolerant')).toBe('gpu');
        expect(byTask.has('big-intolerant')).toBe(false); // it fits only the tainted node: it waits
        expect(sim.pendingCount).toBe(1);
        if (reasons) expect(sim.waitReasons.taint).toBeGreaterThan(0);
      }
    });
  }
});

describe('the platform refuses a placement on a node whose taint the task does not tolerate', () => {
  it('counts it as a conflict and leaves the task pending', () => {
    const cheat: Scheduler = { name: 'cheat', *decide(pending) { for (const t of pending) yield { kind: 'place', task: t.id, node: nodeId(0) }; } };
    const { sim, rows } = simulate(cell, [task('t', 0, 10, 1, 1), tolerant(task('u', 0, 10, 1, 1))], cheat);
    expect(rows.map((r) => `${r.task}@${r.node}`)).toEqual(['u@gpu']);
    expect(sim.conflicts.noRoom).toBeGreaterThan(0);
    expect(sim.pendingCount).toBe(1);
  });
});

describe('the rules predicate', () => {
  const cluster = new Cluster(cell);
  const plain: PendingTask = { id: taskId(0), name: 't', cpu: 1000, memory: 1024, gpu: 0, priority: 0, submit: 0 };
  it('rejects a tainted node by "taint", a node the constraints rule out by "constraint"', () => {
    expect(rejectionByRules(plain, nodeId(0), cluster)).toBe('taint');
    expect(placementAllows(plain, nodeId(1), cluster)).toBe(true);
    expect(placementAllows({ ...plain, tolerations: TOLERATE_GPU }, nodeId(0), cluster)).toBe(true);
    expect(rejectionByRules({ ...plain, constraints: [{ label: 'zone', op: '==', value: 'a' }] }, nodeId(0), cluster)).toBe('constraint');
  });
  it('counts an intolerant task on a tainted cluster as one with rules, and a task that tolerates every taint as one without', () => {
    expect(hasPlacementRules(plain, cluster)).toBe(true);
    expect(hasPlacementRules({ ...plain, tolerations: [{ key: '', operator: 'Exists' }] }, cluster)).toBe(false);
    expect(hasPlacementRules(plain, new Cluster(nodes([{ cpu: 1, memory: 1 }])))).toBe(false);
  });
});

describe('pipeline fast paths with taints', () => {
  const passAll: Filter = { name: 'pass-all', check: () => undefined };
  const SPECS: PipelineSpec[] = [
    { name: 'first', limit: { kind: 'first', count: 1, rotate: false } },
    { name: 'rotating', limit: { kind: 'first', count: 1, rotate: true } },
    { name: 'most', scorers: [mostAllocated] },
    { name: 'least', scorers: [leastAllocated] },
  ];
  const TAINTS: Taint[] = [GPU_ONLY, { key: 'spot', value: '', effect: 'NoSchedule' }, { key: 'old', value: '', effect: 'PreferNoSchedule' }];
  for (const spec of SPECS) {
    it(`${spec.name}: the index and a visit of the feasible nodes agree, and no task lands where a taint forbids`, () => {
      const r = stream(5, spec.name);
      const cluster = new Cluster(Array.from({ length: 60 }, (_, i) => ({
        name: `n${i}`, cpu: [4000, 8000, 16000][i % 3]!, memory: [8192, 32768, 16384][i % 3]!, gpu: 0, labels: {},
        ...(i % 4 === 1 && { taints: [TAINTS[i % 3]!] }),
      })));
      const fast = pipeline(spec);
      const slow = pipeline({ ...spec, filters: [passAll] });
      const ctx: DecideContext = { now: 0, random: r, reasons: true };
      const running: { node: number; id: number; cpu: number; memory: number }[] = [];
      const tolerations: (Toleration[] | undefined)[] = [undefined, TOLERATE_GPU, [{ key: 'spot', operator: 'Exists' }], [{ key: '', operator: 'Exists' }]];
      for (let i = 0; i < 2000; i++) {
        const tol = tolerations[Math.floor(r() * tolerations.length)];
        const t: PendingTask = {
          id: taskId(i), name: `t${i}`, cpu: Math.floor(r() * 8) * 500, memory: Math.floor(r() * 16) * 1024, gpu: 0, priority: 0, submit: 0,
          ...(tol && { tolerations: tol }),
        };
        const [a] = [...fast.decide([t], cluster, ctx)];
        const [b] = [...slow.decide([t], cluster, ctx)];
        expect(b).toEqual(a);
        if (a?.kind === 'place') {
          expect(placementAllows(t, a.node, cluster)).toBe(true);
          cluster.place(a.node, i, t.cpu, t.memory, 0);
          running.push({ node: a.node, id: i, cpu: t.cpu, memory: t.memory });
        }
        while (running.length > 0 && r() < 0.5) {
          const [x] = running.splice(Math.floor(r() * running.length), 1);
          cluster.remove(x!.node, x!.id, x!.cpu, x!.memory, 0);
        }
      }
    });
  }
});

describe('PreferNoSchedule: only the k8s-* scores avoid the node', () => {
  // TaintToleration's raw score is the number of PreferNoSchedule taints not tolerated; it is
  // normalised in reverse by the largest: 100 - 100 * raw / max.
  it('normalises as DefaultNormalizeScore(100, reverse)', () => {
    const spot: Taint = { key: 'spot', value: '', effect: 'PreferNoSchedule' };
    const old: Taint = { key: 'old', value: '', effect: 'PreferNoSchedule' };
    const raws = [[], [spot], [spot, old], [GPU_ONLY]].map((taints) => intolerablePreferNoSchedule(taints, undefined));
    expect(raws).toEqual([0, 1, 2, 0]); // a NoSchedule taint is the filter's business, not the score's
    // max = 2: 100 - 100*0/2 = 100, 100 - 100*1/2 = 50, 100 - 100*2/2 = 0
    expect(normalizeReverse(raws)).toEqual([100, 50, 0, 100]);
    // every raw 0: every node 100
    expect(normalizeReverse([0, 0])).toEqual([100, 100]);
    // max = 3: 100 - trunc(100*1/3) = 100 - 33 = 67
    expect(normalizeReverse([1, 3])).toEqual([67, 0]);
    expect(intolerablePreferNoSchedule([spot, old], [{ key: 'spot', operator: 'Exists', effect: 'PreferNoSchedule' }])).toBe(1);
  });

  // Two identical empty nodes: NodeResourcesFit and BalancedAllocation tie, so without the taint
  // the choice is a fair draw. With it, the tainted node scores 3 x 0 and the other 3 x 100.
  const pair = nodes([
    { name: 'spot', cpu: 8, memory: 32, taints: [{ key: 'spot', value: '', effect: 'PreferNoSchedule' }] },
    { name: 'steady', cpu: 8, memory: 32 },
  ]);
  const one = (r: TaskRecord) => [r];

  for (const name of ['k8s-default', 'k8s-most-allocated']) {
    it(`${name} avoids the tainted node while another is as good, and uses it when none is`, async () => {
      const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
      for (const seed of seeds) {
        const { rows } = simulate(pair, one(task('t', 0, 10, 1, 1)), await createScheduler(name), { seed });
        expect(rows[0]!.node).toBe('steady');
      }
      const tolerating = new Set<string>();
      for (const seed of seeds) {
        const { rows } = simulate(pair, one({ ...task('t', 0, 10, 1, 1), tolerations: [{ key: 'spot', operator: 'Exists' }] }), await createScheduler(name), { seed });
        tolerating.add(rows[0]!.node);
      }
      expect(tolerating).toEqual(new Set(['spot', 'steady'])); // a tie again: drawn
      // The steady node is full: the tainted one takes the task (a preference, not a filter).
      const { rows } = simulate(pair, [task('fill', 0, 100, 8, 32), task('t', 1, 10, 1, 1)], await createScheduler(name));
      expect(rows.find((r) => r.task === 't')!.node).toBe('spot');
    });
  }

  for (const name of ['first-fit', 'binpack', 'round-robin']) {
    it(`${name} ignores it`, async () => {
      const { rows } = simulate(pair, one(task('t', 0, 10, 1, 1)), await createScheduler(name));
      expect(rows[0]!.node).toBe('spot');
    });
  }
});
