// The controller's rules on in-memory engines (no Docker needed): lost create replies, hosts
// suspect then down then back, foreign containers, back-off; and the input files' errors.

import { describe, expect, it } from 'vitest';
import { createScheduler } from '../../schedulers/registry.ts';
import { Controller } from '../../real-driver/controller.ts';
import { RestartBackoff } from '../../real-driver/backoff.ts';
import { parseHostsFile } from '../../real-driver/hosts-file.ts';
import { LABEL } from '../../real-driver/labels.ts';
import { parseSpecFile } from '../../real-driver/spec-file.ts';
import { FakeEngine } from './fake-engine.ts';

const IMAGE = 'img:1';
const spec = parseSpecFile(`name: app\nservices:\n  - {name: web, image: "${IMAGE}", replicas: 6, resources: {cpu: 0.5, memory: 16MiB}}\n`, 'app.yaml');
const hosts = ['a', 'b', 'c'].map((name) => ({ name, endpoint: `unix:///${name}`, capacity: { cpu: 2, memory: 4 }, labels: {}, cordon: false }));

async function setup(opts: { graceMs?: number } = {}) {
  const engines = hosts.map(() => new FakeEngine(2, 4 << 30, [IMAGE]));
  let clock = 0;
  const log: string[] = [];
  const controller = new Controller({
    app: spec, hosts, scheduler: await createScheduler('spread'), seed: 1, intervalMs: 1000, pingTimeoutMs: 100,
    graceMs: opts.graceMs ?? 3000, callTimeoutMs: 100, backoff: { initialMs: 1000, maxMs: 8000, resetMs: 60_000 }, concurrency: 4,
    log: (l) => log.push(l), engines, now: () => clock,
  });
  return { engines, controller, log, tick: (ms: number) => { clock += ms; } };
}

const running = (engines: FakeEngine[]) => engines.map((e) => [...e.containers.values()].filter((c) => c.state === 'running').length);
const slots = (engines: FakeEngine[]) => engines.flatMap((e) => [...e.containers.values()].filter((c) => c.state === 'running').map((c) => `${c.labels[LABEL.service]}/${c.labels[LABEL.replica]}`)).sort();

describe('the controller on in-memory engines', () => {
  it('starts a container whose create reply was lost, instead of creating another', async () => {
    const { engines, controller, log } = await setup();
    engines[0]!.loseCreateReplies = 2;
    await controller.pass(true);
    expect(log.filter((l) => /failed: socket hang up/.test(l))).toHaveLength(2);
    expect(running(engines)).toEqual([0, 2, 2]);
    await controller.pass(true);
    expect(running(engines)).toEqual([2, 2, 2]);
    expect(log.filter((l) => /started on a \(it was created, not started\)/.test(l))).toHaveLength(2);
    expect(engines[0]!.containers.size).toBe(2);
    expect((await controller.pass(true)).converged).toBe(true);
  });

  it('keeps a suspect host\'s replicas, replaces them once it is down, and removes the surplus when it is back', async () => {
    const { engines, controller, tick } = await setup({ graceMs: 3000 });
    await controller.pass(true);
    expect(running(engines)).toEqual([2, 2, 2]);
    engines[2]!.down = true;
    tick(1000);
    let r = await controller.pass(false);
    expect(r.hosts[2]!.health).toBe('suspect');
    expect(r.plan.actions).toEqual([]); // nothing replaced yet
    tick(2500);
    r = await controller.pass(false);
    expect(r.hosts[2]!.health).toBe('down');
    expect(running(engines)).toEqual([3, 3, 2]); // c's two still run, unseen
    engines[2]!.down = false;
    tick(1000);
    r = await controller.pass(false);
    expect(r.hosts[2]!.health).toBe('up');
    expect(running(engines)).toEqual([3, 3, 0]);
    expect(slots(engines)).toEqual(['web/0', 'web/1', 'web/2', 'web/3', 'web/4', 'web/5']);
  });

  it('never touches a container of its name that it does not own, and says so', async () => {
    const { engines, controller, log } = await setup();
    await engines[0]!.createContainer('berth-app-web-0', { Image: IMAGE, Labels: { mine: 'no' }, HostConfig: { NanoCpus: 1, Memory: 1, NetworkMode: 'none', RestartPolicy: { Name: 'no' } } });
    await controller.pass(true);
    expect(log.some((l) => /a container named berth-app-web-0 exists there and is not the app app's/.test(l))).toBe(true);
    expect([...engines[0]!.containers.values()].find((c) => c.name === 'berth-app-web-0')!.labels).toEqual({ mine: 'no' });
  });

  it('restarts an exited container in place after the back-off, not before', async () => {
    const { engines, controller, tick, log } = await setup();
    await controller.pass(true);
    engines[1]!.exit('berth-app-web-1', 1);
    let r = await controller.pass(false);
    expect(r.nextDue).toBe(1000);
    expect(running(engines)).toEqual([2, 1, 2]);
    tick(999);
    await controller.pass(false);
    expect(running(engines)).toEqual([2, 1, 2]);
    tick(1);
    r = await controller.pass(false);
    expect(running(engines)).toEqual([2, 2, 2]);
    engines[1]!.exit('berth-app-web-1', 1);
    r = await controller.pass(false);
    expect(r.nextDue).toBe(1000 + 2000); // doubled
    expect(log.filter((l) => /restart in/.test(l))).toEqual(['web/1 on b: exited (1) 1 second ago; restart in 1.0 s', 'web/1 on b: exited (1) 1 second ago; restart in 2.0 s']);
    expect(engines[1]!.containers.size).toBe(2); // restarted, never recreated
  });

  it('backs off 10 s, 20 s, 40 s … up to 300 s by default', () => {
    const b = new RestartBackoff();
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => b.delay(n) / 1000)).toEqual([10, 20, 40, 80, 160, 300, 300]);
  });
});

describe('hosts.yaml and app.yaml errors name the file, line and field', () => {
  it.each([
    ['hosts:\n  - {name: a}\n', 'h.yaml:2: hosts[0].endpoint: missing: every host needs an endpoint such as tcp://10.0.0.5:2376 or unix:///var/run/docker.sock'],
    ['hosts:\n  - {name: a, endpoint: "ftp://x"}\n', 'h.yaml:2: hosts[0].endpoint: expected unix:///path/to/docker.sock, tcp://host:port, http://host:port or https://host:port; got "ftp://x"'],
    ['hosts:\n  - {name: a, endpoint: "tcp://x:1"}\n  - {name: a, endpoint: "tcp://y:1"}\n', 'h.yaml:3: hosts[1].name: "a" is also the name of hosts[0]'],
    ['hosts:\n  - {name: a, endpoint: "tcp://x:1", capacity: {cpu: -1}}\n', 'h.yaml:2: hosts[0].capacity.cpu: expected a number >= 0 (cores); got -1'],
  ])('hosts %#', (text, message) => {
    expect(() => parseHostsFile(text, 'h.yaml')).toThrow(message);
  });

  it.each([
    ['services:\n  - {name: web}\n', 's.yaml:1: name: missing: the app needs a name (it names the containers and labels them)'],
    ['name: x\nservices:\n  - {name: web, image: i, resources: {cpu: 0.001, memory: 1}}\n', 's.yaml:3: services[0].resources.cpu: expected at least 0.01 cores (Docker\'s smallest CPU limit); got 0.001'],
    ['name: x\nservices:\n  - {name: web, image: i, resources: {cpu: 1, memory: 2MiB}}\n', 's.yaml:3: services[0].resources.memory: expected at least 6 MiB (Docker\'s smallest memory limit); got "2MiB"'],
    ['name: x\nservices:\n  - {name: web, image: i, replicas: two, resources: {cpu: 1, memory: 1}}\n', 's.yaml:3: services[0].replicas: expected a whole number >= 0; got "two"'],
    ['name: x\nservices:\n  - {name: web, image: i, resources: {cpu: 1, memory: 1}, constraints: ["zone ~ a"]}\n', 's.yaml:3: services[0].constraints[0]: expected "label OP value"'],
    ['name: x\njobs:\n  - {name: j, image: i, resources: {cpu: 1, memory: 1}, replicas: 2}\n', 's.yaml:3: jobs[0].replicas: unknown field; expected one of name, image, command, env, resources, constraints, count, maxPerHost'],
  ])('spec %#', (text, message) => {
    expect(() => parseSpecFile(text, 's.yaml')).toThrow(message);
  });
});
