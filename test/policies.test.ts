// The production emulations and the policies from the literature, on small hand-made cells,
// against tables worked out from the formulas in ../shared/reference/scheduler-formulas.md.
// Amounts below are cores and GiB; the view holds millicores and MiB.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT } from './peer-support.ts';
import { Cluster } from '../sim/cluster.ts';
import { stream } from '../sim/random.ts';
import { taskId, type NodeId, type PendingTask, type Scheduler } from '../schedulers/contract.ts';
import { createScheduler } from '../schedulers/registry.ts';
import { swarmScore } from '../schedulers/policies/swarm.ts';
import { nomadFitness, nomadLimit } from '../schedulers/policies/nomad.ts';
import { balancedScore, fitScore, leastRequestedScore, mostRequestedScore, numFeasibleNodesToFind } from '../schedulers/policies/kubernetes.ts';
import { alignment } from '../schedulers/policies/tetris.ts';

interface NodeState { cpu: number; memory: number; gpu?: number; used?: [number, number][] }

/** A cell of nodes (cores, GiB), each running tasks of the given (cores, GiB). */
function cell(states: NodeState[]): Cluster {
  const cluster = new Cluster(states.map((s, i) => ({ name: `n${i}`, cpu: s.cpu * 1000, memory: s.memory * 1024, gpu: (s.gpu ?? 0) * 1000, labels: {} })));
  let id = 1000;
  states.forEach((s, i) => {
    for (const [cpu, memory] of s.used ?? []) cluster.place(i, id++, Math.round(cpu * 1000), Math.round(memory * 1024), 0);
  });
  return cluster;
}

function pending(cpu: number, memory: number, extra: Partial<PendingTask> = {}): PendingTask {
  return { id: taskId(0), name: 't', cpu: Math.round(cpu * 1000), memory: Math.round(memory * 1024), gpu: 0, priority: 0, submit: 0, ...extra };
}

/** Where the scheduler puts one task (undefined: nowhere). */
async function place(name: string | Scheduler, cluster: Cluster, task: PendingTask, seed = 1): Promise<NodeId | undefined> {
  const scheduler = typeof name === 'string' ? await createScheduler(name) : name;
  for (const d of scheduler.decide([task], cluster, { now: 0, random: stream(seed, 'test'), reasons: false })) {
    if (d.kind === 'place') return d.node;
  }
  return undefined;
}

/** Where the scheduler puts the task under each of `seeds` seeds, as a set of node indices. */
async function outcomes(name: string, cluster: Cluster, task: PendingTask, seeds = 40): Promise<Set<number | undefined>> {
  const out = new Set<number | undefined>();
  for (let seed = 1; seed <= seeds; seed++) out.add(await place(name, cluster, task, seed));
  return out;
}

describe('swarm-binpack, swarm-spread, swarm-random', () => {
  it('scores a resource as (used + request) * 100 / total in integer division, 100 when nothing is asked', () => {
    expect(swarmScore(1000, 1000, 3000)).toBe(66); // 2000 * 100 / 3000 = 66.7 -> 66
    expect(swarmScore(500, 1000, 3000)).toBe(50); // 1500 * 100 / 3000 = 50
    expect(swarmScore(510, 1000, 3000)).toBe(50); // 1510 * 100 / 3000 = 50.3 -> 50: a tie made by truncation
    expect(swarmScore(2000, 0, 4000)).toBe(100); // request 0: 100, not the node's use
  });

  it('binpack takes the highest weight, spread the lowest', async () => {
    // task 1 core, 2 GiB
    // n0 (4, 8) using (2, 4): cpu (2000+1000)*100/4000 = 75, mem (4096+2048)*100/8192 = 75 -> 150
    // n1 (4, 8) using (1, 2): cpu 2000*100/4000 = 50, mem 4096*100/8192 = 50 -> 100
    // n2 (8, 16) using (4, 8): cpu 5000*100/8000 = 62, mem 10240*100/16384 = 62 -> 124
    const c = cell([{ cpu: 4, memory: 8, used: [[2, 4]] }, { cpu: 4, memory: 8, used: [[1, 2]] }, { cpu: 8, memory: 16, used: [[4, 8]] }]);
    expect(await place('swarm-binpack', c, pending(1, 2))).toBe(0);
    expect(await place('swarm-spread', c, pending(1, 2))).toBe(1);
  });

  it('breaks equal weights by container count: binpack more, spread fewer; then the lower index', async () => {
    // task 1 core, no memory (memScore 100 everywhere)
    // n0 (3, 4) one task of 0.5: cpu 1500*100/3000 = 50 -> 150 + 1000, 1 container
    // n1 (3, 4) two tasks of 0.25 and 0.26: cpu 1510*100/3000 = 50 -> the same weight, 2 containers
    // n2 (3, 4) one task of 0.5: as n0
    const c = cell([{ cpu: 3, memory: 4, used: [[0.5, 0]] }, { cpu: 3, memory: 4, used: [[0.25, 0], [0.26, 0]] }, { cpu: 3, memory: 4, used: [[0.5, 0]] }]);
    expect(await place('swarm-binpack', c, pending(1, 0))).toBe(1);
    expect(await place('swarm-spread', c, pending(1, 0))).toBe(0);
  });

  it('never takes a node without room, nor one whose total is below the request', async () => {
    // n0 (2, 4) is too small in total; n1 (4, 8) using (3.5, 0) lacks free cpu; only n2 fits
    const c = cell([{ cpu: 2, memory: 4 }, { cpu: 4, memory: 8, used: [[3.5, 0]] }, { cpu: 4, memory: 8, used: [[1, 1]] }]);
    for (const name of ['swarm-binpack', 'swarm-spread']) expect(await place(name, c, pending(3, 1)), name).toBe(2);
    expect(await outcomes('swarm-random', c, pending(3, 1))).toEqual(new Set([2]));
  });

  it('random draws among the nodes with room, each of them for some seed', async () => {
    const c = cell([{ cpu: 4, memory: 8 }, { cpu: 4, memory: 8, used: [[4, 0]] }, { cpu: 4, memory: 8 }, { cpu: 4, memory: 8 }]);
    expect(await outcomes('swarm-random', c, pending(1, 1))).toEqual(new Set([0, 2, 3]));
  });
});

describe('nomad-binpack, nomad-spread', () => {
  it('scores fit as 20 - (10^freeCpu + 10^freeMem) for binpack and the rest of 18 for spread', () => {
    // empty once placed (free 1, 1): total 20 -> binpack 0, spread 18
    expect(nomadFitness('binpack', 0, 4000, 0, 8192)).toBeCloseTo(0, 12);
    expect(nomadFitness('spread', 0, 4000, 0, 8192)).toBeCloseTo(18, 12);
    // half full: 2 * 10^0.5 = 6.3246 -> binpack 13.6754, spread 4.3246
    expect(nomadFitness('binpack', 2000, 4000, 4096, 8192)).toBeCloseTo(13.6754, 4);
    expect(nomadFitness('spread', 2000, 4000, 4096, 8192)).toBeCloseTo(4.3246, 4);
    // full: total 2 -> binpack 18, spread 0; cpu full, memory empty: 1 + 10 = 11 -> 9 and 9
    expect(nomadFitness('binpack', 4000, 4000, 8192, 8192)).toBeCloseTo(18, 12);
    expect(nomadFitness('spread', 4000, 4000, 0, 8192)).toBeCloseTo(9, 12);
  });

  it('lets through 2 nodes for batch jobs and max(2, ceil(log2 n)) for services', () => {
    expect([1, 4, 8, 9, 1000, 12500].map((n) => nomadLimit('service', n))).toEqual([2, 2, 3, 4, 10, 14]);
    expect(nomadLimit('batch', 12500)).toBe(2);
  });

  it('passes over up to 3 nodes scoring 0 (spread: nodes the task would fill), so the limit does not stop at them', async () => {
    // n0-n2 (4, 8) using (3, 7): the task (1, 1) fills them: 10^0 + 10^0 = 2 -> spread 0, skipped;
    // n3 empty scores 10^0.75 + 10^0.875 - 2 = 11.12 -> 0.62. The limit is 2 of 4 nodes, so without
    // the skips n3 would be missed for some shuffles.
    const full: [number, number][] = [[3, 7]];
    const c = cell([{ cpu: 4, memory: 8, used: full }, { cpu: 4, memory: 8, used: full }, { cpu: 4, memory: 8, used: full }, { cpu: 4, memory: 8 }]);
    expect(await outcomes('nomad-spread', c, pending(1, 1))).toEqual(new Set([3]));
  });

  it('sees only `limit` nodes of the shuffle: on 2 nodes always the best, on 8 not always', async () => {
    const two = cell([{ cpu: 4, memory: 8, used: [[2, 2]] }, { cpu: 4, memory: 8 }]);
    expect(await outcomes('nomad-spread', two, pending(1, 1))).toEqual(new Set([1]));
    expect(await outcomes('nomad-binpack', two, pending(1, 1))).toEqual(new Set([0]));
    // 8 nodes, one empty, seven half full: limit 3 of 8, so the empty node is missed for some seeds
    const eight = cell([...Array.from({ length: 7 }, () => ({ cpu: 4, memory: 8, used: [[2, 4]] as [number, number][] })), { cpu: 4, memory: 8 }]);
    const seen = await outcomes('nomad-spread', eight, pending(1, 1));
    expect(seen.has(7)).toBe(true);
    expect(seen.size).toBeGreaterThan(1);
  });

  it('takes the job type as an option, and refuses others', async () => {
    expect((await createScheduler('nomad-binpack', { jobType: 'batch' })).name).toBe('nomad-binpack');
    await expect(createScheduler('nomad-binpack', { jobType: 'system' })).rejects.toThrow(/jobType must be service or batch; got system/);
    await expect(createScheduler('nomad-spread', { limit: 3 })).rejects.toThrow(/takes the options jobType; got limit/);
  });
});

describe('scheduler options on the command line', () => {
  const berth = (...args: string[]) => spawnSync(process.execPath, [join(PROJECT, 'bin', 'berth.js'), ...args], { cwd: PROJECT, encoding: 'utf8' });

  it('passes --scheduler-option to the scheduler, records it and repeats it', () => {
    const r = berth('sim', '--scheduler', 'nomad-binpack', '--scheduler-option', 'jobType=batch', '--nodes', '20', '--tasks', '200', '--json', '--quiet');
    const summary = JSON.parse(r.stdout) as { run: { schedulerOptions: unknown; command: string } };
    expect(summary.run.schedulerOptions).toEqual({ jobType: 'batch' });
    expect(summary.run.command).toMatch(/--scheduler-option jobType=batch/);
  });

  it('refuses an option the scheduler does not take, or one that is not KEY=VALUE', () => {
    const unknown = berth('sim', '--scheduler', 'binpack', '--scheduler-option', 'x=1', '--nodes', '3', '--tasks', '3');
    expect([unknown.status, unknown.stderr.trim()]).toEqual([1, 'berth: --scheduler: binpack takes no options; got x']);
    const malformed = berth('sim', '--scheduler-option', 'oops');
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toMatch(/--scheduler-option expects KEY=VALUE/);
  });
});

describe('k8s-default, k8s-most-allocated', () => {
  it('looks for all nodes below 100, else n * max(5, 50 - n/125) / 100, at least 100', () => {
    expect(numFeasibleNodesToFind(50)).toBe(50);
    expect(numFeasibleNodesToFind(100)).toBe(100); // 100 * 50 / 100 = 50 -> at least 100
    expect(numFeasibleNodesToFind(1000)).toBe(420); // 50 - 8 = 42 % -> 420
    expect(numFeasibleNodesToFind(5000)).toBe(500); // 50 - 40 = 10 % -> 500
    expect(numFeasibleNodesToFind(12500)).toBe(625); // 50 - 100 < 5 -> 5 % -> 625
  });

  it('scores resources in integer arithmetic', () => {
    expect(leastRequestedScore(3000, 4000)).toBe(25); // (4000 - 3000) * 100 / 4000 = 25
    expect(leastRequestedScore(5000, 4000)).toBe(0); // more than the node has
    expect(mostRequestedScore(3000, 4000)).toBe(75); // 3000 * 100 / 4000 = 75
    expect(mostRequestedScore(5000, 4000)).toBe(100); // min(5000, 4000) * 100 / 4000
    // cpu 25, memory (10000 - 5000) * 100 / 10000 = 50 -> (25 + 50) / 2 = 37.5 -> 37
    expect(fitScore('least-allocated', 3000, 4000, 5000, 10000)).toBe(37);
    // cpu 75, memory 50 -> 62.5 -> 62
    expect(fitScore('most-allocated', 3000, 4000, 5000, 10000)).toBe(62);
    // f = 0.75 and 0.5: std = 0.25 / 2 = 0.125 -> (1 - 0.125) * 100 = 87.5 -> 87
    expect(balancedScore(3000, 4000, 5000, 10000)).toBe(87);
    expect(balancedScore(4000, 4000, 1000, 10000)).toBe(55); // 1 and 0.1: std 0.45 -> 55
  });

  it('least-allocated prefers the emptier node, most-allocated the fuller', async () => {
    // task 1 core, 1 GiB; n0 (4, 8) using (2, 4), n1 (4, 8) empty
    // k8s-default: n0 fit ((4000-3000)*100/4000 = 25, (8192-5120)*100/8192 = 37) -> 31, balanced 0.75 vs 0.625 -> 93: 124
    //              n1 fit (75, 87) -> 81, balanced 0.25 vs 0.125 -> 93: 174 -> n1
    const c = cell([{ cpu: 4, memory: 8, used: [[2, 4]] }, { cpu: 4, memory: 8 }]);
    expect(await outcomes('k8s-default', c, pending(1, 1))).toEqual(new Set([1]));
    expect(await outcomes('k8s-most-allocated', c, pending(1, 1))).toEqual(new Set([0]));
  });

  it('counts a request of 0 cpu as 100 millicores when scoring fit', async () => {
    // task 0 cores, 1 GiB on n0 (1, 8) and n1 (2, 8), both empty:
    // with 100 m: cpu (1000-100)*100/1000 = 90 vs (2000-100)*100/2000 = 95 -> n1 wins every time;
    // were it 0, both would score alike and the tie would be drawn at random.
    const c = cell([{ cpu: 1, memory: 8 }, { cpu: 2, memory: 8 }]);
    expect(await outcomes('k8s-default', c, pending(0, 1))).toEqual(new Set([1]));
  });

  it('breaks ties at random', async () => {
    const c = cell([{ cpu: 4, memory: 8 }, { cpu: 4, memory: 8 }, { cpu: 4, memory: 8 }]);
    expect(await outcomes('k8s-default', c, pending(1, 1))).toEqual(new Set([0, 1, 2]));
  });

  it('scores only the feasible nodes it looked for, starting where the previous search stopped', async () => {
    // 200 equal empty nodes: it looks for max(100, 200 * 49 / 100) = 100 nodes, so the first task
    // lands among nodes 0-99 and the second among 100-199.
    const c = cell(Array.from({ length: 200 }, () => ({ cpu: 4, memory: 8 })));
    const k8s = await createScheduler('k8s-default');
    const random = stream(3, 'test');
    const first = [...k8s.decide([pending(1, 1)], c, { now: 0, random, reasons: false })][0];
    expect(first).toMatchObject({ kind: 'place' });
    const n1 = (first as { node: number }).node;
    c.place(n1, 1, 1000, 1024, 0);
    const second = [...k8s.decide([pending(1, 1, { id: taskId(2) })], c, { now: 0, random, reasons: false })][0] as { node: number };
    expect(n1).toBeLessThan(100);
    expect(second.node).toBeGreaterThanOrEqual(100);
  });
});

describe('tetris, power-of-two', () => {
  it('tetris: the best alignment of demand and free room, normalised by the node', async () => {
    // task (2, 2): n0 (4, 16) empty: 0.5 * 1 + 0.125 * 1 = 0.625; n1 (8, 4) empty: 0.25 + 0.5 = 0.75
    const c = cell([{ cpu: 4, memory: 16 }, { cpu: 8, memory: 4 }]);
    expect(alignment.score(pending(2, 2), 0 as NodeId, c, { now: 0, random: () => 0, reasons: false })).toBeCloseTo((100 / 3) * 0.625, 9);
    expect(await place('tetris', c, pending(2, 2))).toBe(1);
  });

  it('power-of-two: the less allocated of two random nodes with room, so never the fullest of three', async () => {
    const c = cell([{ cpu: 4, memory: 8, used: [[2.5, 0]] }, { cpu: 4, memory: 8 }, { cpu: 4, memory: 8, used: [[1, 0]] }]);
    const seen = await outcomes('power-of-two', c, pending(1, 1));
    expect(seen.has(0)).toBe(false);
    expect(seen).toEqual(new Set([1, 2]));
  });
});
