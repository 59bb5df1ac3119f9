// The real driver against three throwaway Docker Engines on loopback addresses: placement,
// a host lost and back, the controller killed and restarted, crash loops, drains, bad inputs,
// and the figures of the closing note (printed, never asserted).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../real-driver/engine-client.ts';
import { LABEL } from '../../real-driver/labels.ts';
import { dockerUnavailable, startDaemons, IMAGE, type Daemons } from './dockerd.ts';
import { Background, berth, exactlyOnce, perHost, placement, sleeper, slotsOf, waitFor, writeHosts, writeSpec } from './support.ts';

const reason = dockerUnavailable();
const FAST = ['--interval', '1', '--grace', '3', '--ping-timeout', '0.5', '--call-timeout', '10'];

describe.skipIf(reason)(`berth deploy on three real Docker Engines${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let d: Daemons;
  let dir: string;
  let hosts: string;
  let names: string[];

  beforeAll(async () => {
    d = await startDaemons(3, 2);
    dir = mkdtempSync(join(tmpdir(), 'berth-real-'));
    hosts = writeHosts(dir, 'hosts.yaml', d.daemons, { cpu: 2 });
    names = d.daemons.map((x) => x.name);
  }, 120_000);

  afterAll(async () => {
    await d?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('spreads 6 replicas of 0.5 cores 2/2/2 over three hosts of 2 cores and bin-packs them 4/2/0, as the dry run says', async () => {
    for (const [scheduler, expected] of [['spread', [2, 2, 2]], ['binpack', [4, 2, 0]]] as const) {
      const spec = writeSpec(dir, `place-${scheduler}`, sleeper('web', 6));
      const dry = berth('deploy', '--hosts', hosts, '--spec', spec, '--scheduler', scheduler, '--dry-run', '--json');
      expect(dry.code, dry.err).toBe(0);
      const r = berth('deploy', '--hosts', hosts, '--spec', spec, '--scheduler', scheduler, '--once', ...FAST);
      expect(r.code, r.out + r.err).toBe(0);
      const real = await placement(hosts, `place-${scheduler}`);
      expect(perHost(real, names)).toEqual(expected);
      expect(exactlyOnce(real, slotsOf('web', 6))).toBe(true);
      const planned = JSON.parse(dry.out).placements as Record<string, string>;
      expect(Object.fromEntries(Object.entries(real).map(([slot, on]) => [slot, on[0]]))).toEqual(planned);
      // Limits, ownership, and no Docker restart policy.
      const engine = new EngineClient(d.daemons[0]!.endpoint);
      const [first] = await engine.listContainers([`${LABEL.owner}=place-${scheduler}`]);
      const inspected = await engine.inspectContainer(first!.id);
      await engine.close();
      expect(inspected).toMatchObject({ nanoCpus: 500_000_000, memoryBytes: 16 * 1024 * 1024, restartPolicy: 'no', networkMode: 'none' });
      expect(inspected!.labels).toMatchObject({ [LABEL.managed]: 'true', [LABEL.owner]: `place-${scheduler}`, [LABEL.service]: 'web' });
      expect(berth('down', '--hosts', hosts, '--spec', spec).code).toBe(0);
    }
  });

  it('reports a host with a wrong address and deploys on the others', async () => {
    const withBad = writeHosts(dir, 'bad-host.yaml', d.daemons, { cpu: 2, extra: '  - {name: nowhere, endpoint: "tcp://127.0.0.1:9", capacity: {cpu: 2, memory: 4}}\n' });
    const spec = writeSpec(dir, 'badhost', sleeper('web', 3));
    const r = berth('deploy', '--hosts', withBad, '--spec', spec, '--scheduler', 'spread', '--once', ...FAST);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/host nowhere suspect: ECONNREFUSED/);
    expect(perHost(await placement(withBad, 'badhost'), [...names, 'nowhere'])).toEqual([1, 1, 1, 0]);
    const status = berth('status', '--hosts', withBad, '--json');
    expect(status.code).toBe(0);
    const report = JSON.parse(status.out) as { hosts: { name: string; state: string; error?: string; containers: unknown[]; capacity: unknown }[] };
    expect(report.hosts.map((h) => h.state)).toEqual(['up', 'up', 'up', 'down']);
    expect(report.hosts[3]!.error).toMatch(/ECONNREFUSED/);
    expect(report.hosts[0]).toMatchObject({ capacity: { cpu: 2, memory: 4, gpu: 0 } });
    // down says which host it could not reach, and exits 1.
    const down = berth('down', '--hosts', withBad, '--spec', spec);
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/nowhere \(ECONNREFUSED/);
    expect(await placement(hosts, 'badhost')).toEqual({});
  });

  it('refuses a spec whose image no host has, naming the field and the hosts', () => {
    const spec = writeSpec(dir, 'noimage', `  - {name: web, image: "nope/absent:1", replicas: 2, resources: {cpu: 0.1, memory: 16MiB}}\n`);
    const r = berth('deploy', '--hosts', hosts, '--spec', spec, '--once', ...FAST);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`berth: ${spec}: services[0].image: image "nope/absent:1" is not on hosts h0, h1, h2; ` +
      'berth does not pull images: load it on every host first (docker load, docker import or docker pull there)\n');
  });

  it('restarts a crash-looping container itself, with exponential back-off, never recreating it', { timeout: 60_000 }, async () => {
    const spec = writeSpec(dir, 'crash', `  - {name: bad, image: "${IMAGE}", command: "exit 3", replicas: 1, resources: {cpu: 0.1, memory: 16MiB}}\n`);
    const engines = d.daemons.map((x) => new EngineClient(x.endpoint));
    const starts: number[] = [];
    const creates: string[] = [];
    const watching = new AbortController();
    const streams = engines.map((e) => e.events([`${LABEL.owner}=crash`], (ev) => {
      if (ev.action === 'start') starts.push(Date.now());
      if (ev.action === 'create') creates.push(ev.id);
    }, watching.signal).catch(() => undefined));
    await new Promise((r) => setTimeout(r, 300));
    const ctl = new Background(['deploy', '--hosts', hosts, '--spec', spec, ...FAST, '--backoff', '1', '--backoff-max', '60']);
    await new Promise((r) => setTimeout(r, 17_000));
    expect(await ctl.stop('SIGTERM')).toBe(0);
    watching.abort();
    await Promise.all(streams);
    await Promise.all(engines.map((e) => e.close()));
    // The back-off doubles from --backoff 1: restarts due 1, 2, 4, 8 s after each exit is seen,
    // so starts at about 0, 1, 3, 7 (and 15) s. A busy machine sees exits late, which stretches
    // the gaps, so what is checked is what load cannot change: the delays the controller sets,
    // that no restart comes before its delay, and that it never recreates the container.
    expect(creates.length, ctl.out).toBe(1);
    expect(starts.length, ctl.out).toBeGreaterThanOrEqual(3);
    expect(starts.length, ctl.out).toBeLessThanOrEqual(5);
    const delays = [...ctl.out.matchAll(/bad\/0 on h\d: exited \(3\) [^\n]*; restart in ([\d.]+) s/g)].map((m) => Number(m[1]));
    expect(delays.slice(0, 3), ctl.out).toEqual([1, 2, 4]);
    for (let i = 1; i < delays.length; i++) expect(delays[i], ctl.out).toBe(Math.min(60, 2 * delays[i - 1]!));
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    // Each gap holds the exit, its delay and the start: never shorter than the delay (less 100 ms of event-clock skew).
    for (let i = 0; i < gaps.length; i++) expect(gaps[i]!, `gaps ${gaps.join(', ')} ms, delays ${delays.join(', ')} s`).toBeGreaterThanOrEqual(delays[i]! * 1000 - 100);
    expect(berth('down', '--hosts', hosts, '--spec', spec).code).toBe(0);
  });

  it('heals a lost host, survives the controller killed with SIGKILL, and removes the surplus when the host returns', async () => {
    const spec = writeSpec(dir, 'heal', sleeper('web', 6));
    const slots = slotsOf('web', 6);
    let ctl = new Background(['deploy', '--hosts', hosts, '--spec', spec, '--scheduler', 'spread', ...FAST]);
    try {
      await healCase();
    } finally {
      // Whatever failed, the next cases get three answering hosts and no controller of this app.
      if (d.daemons[2]!.pid() === undefined) await d.daemons[2]!.start();
      await ctl.stop('SIGKILL').catch(() => undefined);
      berth('down', '--hosts', hosts, '--spec', spec);
    }
    async function healCase() {
    await waitFor('6 replicas', async () => (exactlyOnce(await placement(hosts, 'heal'), slots) ? true : undefined), 30_000);
    expect(perHost(await placement(hosts, 'heal'), names)).toEqual([2, 2, 2]);

    const killed = Date.now();
    d.daemons[2]!.kill();
    const healed = await waitFor('the replicas of h2 on h0 and h1', async () => {
      const p = await placement(hosts, 'heal');
      return exactlyOnce(p, slots) && perHost(p, names)[2] === 0 ? Date.now() : undefined;
    }, 30_000, 100);
    const heal = (healed - killed) / 1000;
    console.log(`[figure] host loss healed in ${heal.toFixed(1)} s (grace 3 s, interval 1 s)`);
    expect(ctl.out).toMatch(/host h2 down: no answer/);
    // Within the grace period, plus a reconcile interval, plus the creates (and this probe's own period).
    expect(heal).toBeLessThan(3 + 1 + 3);

    expect(await ctl.stop('SIGKILL')).toBe(null);
    ctl = new Background(['deploy', '--hosts', hosts, '--spec', spec, '--scheduler', 'spread', ...FAST]);
    await waitFor('the new controller to settle', async () => (/pass 1:/.test(ctl.out) ? true : undefined), 30_000);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(exactlyOnce(await placement(hosts, 'heal'), slots), ctl.out).toBe(true);
    expect(ctl.out).not.toMatch(/placed on/); // it adopted what runs

    // h2 comes back with its two old replicas still running (live restore): surplus.
    await d.daemons[2]!.start();
    // Both removals logged (a removal is logged once the engine has answered, a moment after the
    // listing stops showing the container).
    await waitFor('the surplus on h2 removed', async () => {
      const p = await placement(hosts, 'heal');
      return exactlyOnce(p, slots) && (ctl.out.match(/removed from h2 \(duplicate\)/g) ?? []).length >= 2 ? true : undefined;
    }, 30_000);
    expect(ctl.out.match(/removed from h2 \(duplicate\)/g)).toHaveLength(2);

    // SIGTERM: a clean exit, the containers left running.
    expect(await ctl.stop('SIGTERM')).toBe(0);
    expect(ctl.out).toMatch(/interrupted after .* containers keep running/);
    expect(exactlyOnce(await placement(hosts, 'heal'), slots)).toBe(true);
    expect(berth('down', '--hosts', hosts, '--spec', spec).code).toBe(0);
    }
  });

  it('adopts what a controller killed mid-deploy left, with no duplicate and nothing lost', async () => {
    const spec = writeSpec(dir, 'adopt', sleeper('web', 20, 0.05));
    const ctl = new Background(['deploy', '--hosts', hosts, '--spec', spec, '--scheduler', 'round-robin', ...FAST]);
    await waitFor('the first containers', async () => {
      const n = Object.keys(await placement(hosts, 'adopt')).length;
      return n >= 1 ? n : undefined;
    }, 30_000, 50);
    expect(await ctl.stop('SIGKILL')).toBe(null);
    const r = berth('deploy', '--hosts', hosts, '--spec', spec, '--scheduler', 'round-robin', '--once', ...FAST);
    expect(r.code, r.out + r.err).toBe(0);
    expect(exactlyOnce(await placement(hosts, 'adopt'), slotsOf('web', 20))).toBe(true);
    expect(berth('down', '--hosts', hosts, '--spec', spec).code).toBe(0);
  });

  it('drains a host one replica at a time', async () => {
    const spec = writeSpec(dir, 'drain', sleeper('web', 6));
    expect(berth('deploy', '--hosts', hosts, '--spec', spec, '--scheduler', 'spread', '--once', ...FAST).code).toBe(0);
    const r = berth('drain', 'h0', '--hosts', hosts, '--spec', spec, '--scheduler', 'spread', ...FAST);
    expect(r.code, r.out + r.err).toBe(0);
    const p = await placement(hosts, 'drain');
    expect(exactlyOnce(p, slotsOf('web', 6))).toBe(true);
    expect(perHost(p, names)).toEqual([0, 3, 3]);
    // One at a time: each replacement is placed before its original goes, and the next waits.
    const steps = r.out.split('\n').filter((l) => /placed on|removed from h0/.test(l)).map((l) => (/placed on/.test(l) ? 'place' : 'remove'));
    expect(steps).toEqual(['place', 'remove', 'place', 'remove']);
    expect(berth('down', '--hosts', hosts, '--spec', spec).code).toBe(0);
  });

  it('deploys 50 replicas; down removes what the app owns and nothing else', async () => {
    const engine = new EngineClient(d.daemons[1]!.endpoint);
    const foreign = await engine.createContainer('not-berths', { Image: IMAGE, Cmd: ['sleep', '3600'], Labels: { [LABEL.managed]: 'true', [LABEL.owner]: 'other' }, HostConfig: { NanoCpus: 1e8, Memory: 16 << 20, NetworkMode: 'none', RestartPolicy: { Name: 'no' } } });
    await engine.startContainer(foreign);
    const spec = writeSpec(dir, 'fifty', sleeper('web', 50, 0.1));
    const started = Date.now();
    const r = berth('deploy', '--hosts', hosts, '--spec', spec, '--scheduler', 'spread', '--once', ...FAST);
    const seconds = (Date.now() - started) / 1000;
    expect(r.code, r.out + r.err).toBe(0);
    console.log(`[figure] 50-replica deploy on three local engines: ${seconds.toFixed(1)} s (the command, start to exit); ${r.out.trim().split('\n').pop()}`);
    expect(exactlyOnce(await placement(hosts, 'fifty'), slotsOf('web', 50))).toBe(true);
    const down = berth('down', '--hosts', hosts, '--spec', spec);
    expect(down.code).toBe(0);
    expect(down.out).toMatch(/removed 17 containers of fifty/);
    expect(await placement(hosts, 'fifty')).toEqual({});
    expect((await engine.inspectContainer(foreign))?.running).toBe(true);
    await engine.removeContainer(foreign);
    await engine.close();
  });
});
