// The platform conformance suite: the same scheduler and the same spec give the same placement
// on every platform that commits decisions. Platforms: the simulator (the dry run), the
// controller on in-memory engines, and the controller on real Docker Engines (skipped, with
// the reason, where dockerd cannot run).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinSchedulers, createScheduler } from '../../schedulers/registry.ts';
import { Controller } from '../../real-driver/controller.ts';
import { DEFAULT_BACKOFF } from '../../real-driver/backoff.ts';
import { dryRun } from '../../real-driver/dry-run.ts';
import { EngineClient } from '../../real-driver/engine-client.ts';
import type { Engine } from '../../real-driver/engine.ts';
import type { HostSpec } from '../../real-driver/hosts-file.ts';
import { hostNodes } from '../../real-driver/plan.ts';
import { parseSpecFile, type AppSpec } from '../../real-driver/spec-file.ts';
import { hostReports, removeApp } from '../../real-driver/status.ts';
import { InputError } from '../../sim/errors.ts';
import { dockerUnavailable, startDaemons, IMAGE, type Daemons } from './dockerd.ts';
import { FakeEngine } from './fake-engine.ts';

const SCHEDULERS = [...builtinSchedulers().map((s) => s.name), 'examples/fewest-tasks.ts'];
const HOST_LABELS = [{ zone: 'a' }, { zone: 'b' }, { zone: 'b' }];

interface Case {
  readonly name: string;
  readonly spec: string;
  /** Checked on the simulator's placement, per scheduler where it differs. */
  readonly expect?: (perHost: number[], unplaced: number, scheduler: string) => void;
}

const svc = (name: string, n: number, cpu: number, extra = '') =>
  `  - {name: ${name}, image: "${IMAGE}", command: [sleep, "3600"], replicas: ${n}, resources: {cpu: ${cpu}, memory: 16MiB}${extra}}\n`;

const CASES: readonly Case[] = [
  {
    name: 'six replicas of 0.5 cores on three hosts of 2',
    spec: `services:\n${svc('web', 6, 0.5)}`,
    expect: (per, unplaced, s) => {
      expect(unplaced).toBe(0);
      if (s === 'spread' || s === 'round-robin' || s === 'examples/fewest-tasks.ts') expect(per).toEqual([2, 2, 2]);
      if (s === 'binpack' || s === 'first-fit') expect(per).toEqual([4, 2, 0]);
    },
  },
  {
    name: 'anti-affinity and constraints on host labels, with a service before and after',
    spec: `services:\n${svc('web', 3, 0.5)}${svc('api', 3, 0.25, ', antiAffinity: true')}${svc('zoned', 2, 0.25, ', constraints: ["zone == b"]')}`,
    expect: (per, unplaced) => {
      expect(unplaced).toBe(0);
      expect(per.reduce((a, b) => a + b, 0)).toBe(8);
    },
  },
  {
    name: 'more than the hosts can hold',
    spec: `services:\n${svc('big', 8, 1)}`,
    expect: (per, unplaced) => {
      expect(unplaced).toBe(2);
      expect(per).toEqual([2, 2, 2]);
    },
  },
];

function app(c: Case, i: number): AppSpec {
  return parseSpecFile(`name: conf${i}\n${c.spec}`, `case-${i}.yaml`);
}

function hostSpecs(endpoints: readonly string[]): HostSpec[] {
  return endpoints.map((endpoint, i) => ({ name: `h${i}`, endpoint, capacity: { cpu: 2, memory: 4 }, labels: HOST_LABELS[i]!, cordon: false }));
}

/** Slot to host name (null when unplaced), from the simulator. */
async function simPlacement(spec: AppSpec, scheduler: string, hosts: readonly HostSpec[]): Promise<Record<string, string | null>> {
  const nodes = hostNodes(hosts.map((h) => ({ name: h.name, labels: h.labels, capacity: { cpu: 2000, memory: 4096, gpu: 0 } })));
  return dryRun(spec, nodes, new Set(), await createScheduler(scheduler), 1).placements;
}

/** Converges a controller (once) and reads the placement back from the engines. */
async function controllerPlacement(spec: AppSpec, scheduler: string, hosts: readonly HostSpec[], engines?: readonly Engine[]): Promise<Record<string, string | null>> {
  const controller = new Controller({
    app: spec, hosts, scheduler: await createScheduler(scheduler), seed: 1, intervalMs: 200, pingTimeoutMs: 2_000, graceMs: 5_000,
    callTimeoutMs: 10_000, backoff: DEFAULT_BACKOFF, concurrency: 8, log: () => undefined, ...(engines && { engines }),
  });
  try {
    await controller.run({ once: true, timeoutMs: 60_000 });
  } catch (err) {
    if (!(err instanceof InputError && /cannot place/.test(err.message))) throw err;
  } finally {
    if (!engines) await controller.close();
  }
  const reports = await hostReports(hosts, { app: spec.name, ...(engines && { engines }) });
  const out: Record<string, string | null> = {};
  for (const w of spec.workloads) for (let i = 0; i < w.count; i++) out[`${w.name}/${i}`] = null;
  for (const r of reports) for (const c of r.containers) if (c.state === 'running') out[c.slot] = r.name;
  return out;
}

const perHost = (p: Record<string, string | null>) => ['h0', 'h1', 'h2'].map((h) => Object.values(p).filter((x) => x === h).length);

describe('the simulator and the controller on in-memory engines place alike', () => {
  CASES.forEach((c, i) => {
    for (const scheduler of SCHEDULERS) {
      it(`${c.name} · ${scheduler}`, async () => {
        const hosts = hostSpecs(['unix:///fake0', 'unix:///fake1', 'unix:///fake2']);
        const spec = app(c, i);
        const sim = await simPlacement(spec, scheduler, hosts);
        c.expect?.(perHost(sim), Object.values(sim).filter((x) => x === null).length, scheduler);
        const engines = hosts.map(() => new FakeEngine(8, 16 << 30, [IMAGE]));
        expect(await controllerPlacement(spec, scheduler, hosts, engines)).toEqual(sim);
      });
    }
  });
});

const reason = dockerUnavailable();

describe.skipIf(reason)(`the simulator and the controller on real Docker Engines place alike${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let d: Daemons;
  let hosts: HostSpec[];
  beforeAll(async () => {
    d = await startDaemons(3, 12);
    hosts = hostSpecs(d.daemons.map((x) => x.endpoint));
  }, 120_000);
  afterAll(async () => { await d?.stop(); }, 120_000);

  CASES.forEach((c, i) => {
    it(`${c.name} · every scheduler`, async () => {
      for (const scheduler of SCHEDULERS) {
        const spec = app(c, i);
        const sim = await simPlacement(spec, scheduler, hosts);
        const real = await controllerPlacement(spec, scheduler, hosts);
        const { unreachable } = await removeApp(hosts, spec.name);
        expect(unreachable).toEqual([]);
        expect(real, scheduler).toEqual(sim);
      }
    }, 120_000);
  });

  it('negotiates the API version through /_ping', async () => {
    const engine = new EngineClient(d.daemons[0]!.endpoint);
    expect(await engine.ping()).toBe('1.41');
    await engine.close();
  });
});
