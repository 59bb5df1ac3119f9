// Services in the simulator: replicas of an app file's services run until the end, and the
// scheduler places again the ones a failure evicts (the real driver's reconcile rule).

import { describe, expect, it } from 'vitest';
import { parseSpecFile } from '../real-driver/spec-file.ts';
import { firstFit } from '../schedulers/policies/first-fit.ts';
import { spread } from '../schedulers/policies/spread.ts';
import type { Scheduler } from '../schedulers/contract.ts';
import { servicesOf, withServices } from '../sim/services.ts';
import { Simulation } from '../sim/simulation.ts';
import type { NodeRecord, TraceRecord } from '../traces/record.ts';
import { nodes, task } from './helpers.ts';

const app = parseSpecFile(`
name: shop
services:
  - {name: web, image: busybox, replicas: 6, resources: {cpu: 0.5, memory: 64MiB}}
jobs:
  - {name: report, image: busybox, count: 1, resources: {cpu: 0.1, memory: 16MiB}}
`, 'app.yaml');

/** Three zones of two 1-core nodes each. */
const cell = nodes(['a', 'b', 'c'].map((zone) => ({ name: zone, count: 2, cpu: 1, memory: 4, labels: { zone } })));
const zoneA = (time: number, change: 'fail' | 'recover'): NodeRecord[] =>
  ['a-0', 'a-1'].map((node) => ({ kind: 'node', time: time * 1e6, node, change }));

async function run(scheduler: Scheduler, records: TraceRecord[]) {
  const sim = new Simulation(cell, { scheduler, seed: 1 });
  async function* source() { yield records; }
  for await (const batch of withServices(source(), servicesOf(app).replicas)) for (const r of batch) sim.push(r);
  sim.run();
  return { sim, services: sim.services(Math.max(sim.now, sim.lastTaskEnd)) };
}

describe('services in the simulator', () => {
  it('leaves out the jobs, and makes one replica per count', () => {
    const { replicas, jobsLeftOut } = servicesOf(app);
    expect(replicas.map((r) => r.id)).toEqual(['web/0', 'web/1', 'web/2', 'web/3', 'web/4', 'web/5']);
    expect(jobsLeftOut).toEqual(['report']);
  });

  it('keeps the replica count through a zone failure when other zones have room', async () => {
    // Spread puts two replicas in each zone (3 cores of 6 used); zone a fails at 100 s: its two
    // replicas go to the half-free nodes of zones b and c at the same instant.
    const records: TraceRecord[] = [task('batch', 0, 50, 0.5, 1), ...zoneA(100, 'fail'), ...zoneA(1000, 'recover'), task('late', 2000, 10, 0.5, 1)];
    const { sim, services } = await run(spread(), records);
    expect(services).toEqual([{ name: 'web', desired: 6, running: 6, lowest: 6, missingSeconds: 0, restarts: 2 }]);
    expect(sim.evicted).toBe(2);
    expect(sim.nodeFailures).toBe(2);
  });

  it('counts the shortfall while no node has room, and restores the count when the zone comes back', async () => {
    // Replicas outrank batch work, so first fit puts two on each of a-0, a-1 and b-0; the batch
    // tasks take b-1 and c-0. When zone a fails, two of its four replicas go to c-1 at once;
    // the other two find no room until zone a recovers 900 s later: 2 x 900 replica-seconds.
    const fill = [task('c0', 0, 5000, 1, 1), task('c1', 0, 5000, 1, 1)];
    const records: TraceRecord[] = [...fill, ...zoneA(100, 'fail'), ...zoneA(1000, 'recover')];
    const { services } = await run(firstFit(), records);
    expect(services).toEqual([{ name: 'web', desired: 6, running: 6, lowest: 4, missingSeconds: 2 * 900, restarts: 4 }]);
  });
});

describe('services from an app file', () => {
  it('keep replicas with antiAffinity apart, and refuse a limit per host the simulator cannot say', () => {
    const apart = parseSpecFile(`
name: db
services:
  - {name: db, image: busybox, replicas: 3, resources: {cpu: 0.1, memory: 16MiB}, antiAffinity: true}
`, 'db.yaml');
    const sim = new Simulation(cell, { scheduler: firstFit(), seed: 1 });
    for (const r of servicesOf(apart).replicas) sim.push({ ...r, submit: 0 });
    sim.run();
    const hosts = [0, 1, 2, 3, 4, 5].filter((n) => sim.cluster.taskCount(n as never) > 0);
    expect(hosts).toEqual([0, 1, 2]); // first fit would have put all three on node 0
    const two = parseSpecFile(`
name: db
services:
  - {name: db, image: busybox, replicas: 3, resources: {cpu: 0.1, memory: 16MiB}, maxPerHost: 2}
`, 'db.yaml');
    expect(() => servicesOf(two)).toThrow(/maxPerHost.*2 cannot be simulated/);
  });
});
