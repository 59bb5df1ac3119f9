// The controller: observes every host (ping, then a label-filtered list of the app's
// containers), tracks each host's health, asks plan.ts what to do, and does it: removes,
// starts, restarts with back-off, and creates idempotently. It holds no state that matters:
// everything is re-derived from the engines on every pass, so a controller killed at any
// moment and started again adopts what runs. Event streams only wake the loop early.

import { setTimeout as sleepFor } from 'node:timers/promises';
import { InputError } from '../sim/errors.ts';
import { MIB_PER_GIB, MILLI_PER_CORE, MILLI_PER_GPU, capacityToBase } from '../sim/units.ts';
import type { DecideContext, Scheduler } from '../schedulers/contract.ts';
import { stream } from '../sim/random.ts';
import { RestartBackoff, type BackoffOptions } from './backoff.ts';
import { EngineClient } from './engine-client.ts';
import { EngineError, type Engine, type EngineContainer } from './engine.ts';
import type { HostSpec } from './hosts-file.ts';
import { LABEL, containerName, createBody, ownerFilter, slotKey, slotOf } from './labels.ts';
import { plan, type Action, type HostHealth, type HostState, type Plan } from './plan.ts';
import type { AppSpec, Workload } from './spec-file.ts';

export interface ControllerOptions {
  readonly app: AppSpec;
  readonly hosts: readonly HostSpec[];
  readonly scheduler: Scheduler;
  readonly seed: number;
  /** Between reconcile passes, ms (an event may wake a pass sooner). */
  readonly intervalMs: number;
  readonly pingTimeoutMs: number;
  /** A host that does not answer is suspect, and down once this long has passed since it last did. */
  readonly graceMs: number;
  /** Timeout of every other engine call, ms. */
  readonly callTimeoutMs: number;
  readonly backoff: BackoffOptions;
  /** Engine calls in flight per host. */
  readonly concurrency: number;
  /** Moves the app's replicas off this host, one at a time (berth drain). */
  readonly drain?: string;
  readonly log: (line: string) => void;
  /** Engines in inventory order (tests pass fakes); by default clients of the hosts' endpoints. */
  readonly engines?: readonly Engine[];
  readonly now?: () => number;
}

export const CONTROLLER_DEFAULTS = { intervalMs: 5_000, pingTimeoutMs: 2_000, graceMs: 30_000, callTimeoutMs: 10_000, concurrency: 8 };

interface Link {
  readonly spec: HostSpec;
  readonly index: number;
  readonly engine: Engine;
  health: HostHealth;
  firstTry: number | undefined;
  lastOk: number | undefined;
  error: string | undefined;
  capacity: HostState['capacity'];
  containers: EngineContainer[];
  images: Set<string>;
}

export interface PassReport {
  readonly plan: Plan;
  /** Actions done this pass (restarts waiting for their back-off are not). */
  readonly done: number;
  readonly failed: number;
  readonly hosts: readonly { readonly name: string; readonly health: HostHealth; readonly error: string | undefined }[];
  /** The earliest back-off restart due, ms. */
  readonly nextDue: number | undefined;
  readonly converged: boolean;
}

export class Controller {
  private readonly links: Link[];
  private readonly backoff: RestartBackoff;
  private readonly ctx: DecideContext;
  private readonly now: () => number;
  private readonly started: number;
  private wakeUp: (() => void) | undefined;
  private readonly stop = new AbortController();

  constructor(private readonly o: ControllerOptions) {
    this.now = o.now ?? Date.now;
    this.started = this.now();
    this.links = o.hosts.map((spec, index) => ({
      spec: o.drain === spec.name ? { ...spec, cordon: true } : spec, index,
      engine: o.engines?.[index] ?? new EngineClient(spec.endpoint, { ...(spec.tls && { tls: spec.tls }), timeoutMs: o.callTimeoutMs }),
      health: 'suspect', firstTry: undefined, lastOk: undefined, error: undefined, capacity: undefined, containers: [], images: new Set(),
    }));
    this.backoff = new RestartBackoff(o.backoff);
    const random = stream(o.seed, `scheduler/${o.scheduler.name}`);
    const started = this.started, now = this.now;
    this.ctx = { get now() { return (now() - started) * 1000; }, random, reasons: false };
  }

  /** One reconcile pass. `strictImages`: a missing image is an error, not a warning. */
  async pass(strictImages: boolean): Promise<PassReport> {
    const now = this.now();
    await Promise.all(this.links.map((l) => this.observe(l, now)));
    const missingImages = await this.checkImages();
    if (missingImages.size > 0) {
      const [w, hosts] = [...missingImages][0]!;
      const problem = `image ${JSON.stringify(w.image)} is not on host${hosts.length > 1 ? 's' : ''} ${hosts.join(', ')}; ` +
        'berth does not pull images: load it on every host first (docker load, docker import or docker pull there)';
      if (strictImages) throw new InputError({ file: this.o.app.file, field: `${w.field}.image` }, problem);
      this.o.log(`warning: ${w.field}.image: ${problem}; its missing replicas wait`);
    }
    const states: HostState[] = this.links.map((l) => ({
      name: l.spec.name, health: l.health, cordon: l.spec.cordon, capacity: l.capacity, labels: l.spec.labels,
      containers: l.health === 'down' ? [] : l.containers,
    }));
    const moving = this.o.drain === undefined ? undefined : this.movingSlot();
    const p = plan(this.o.app, states, this.o.scheduler, this.ctx, moving === undefined ? {} : { moving });
    for (const l of this.links) {
      if (l.health !== 'up') continue;
      for (const c of l.containers) { const s = slotOf(c.labels); if (s && c.state === 'running') this.backoff.running(s, now); }
    }
    let done = 0, failed = 0, nextDue: number | undefined;
    const run = async (a: Action): Promise<void> => {
      try {
        if (a.kind === 'create' && missingImages.has(a.workload)) return;
        if (a.kind === 'restart') {
          const before = this.backoff.exits(a.slot);
          const due = this.backoff.dueAt(a.slot, now);
          if (due > now) {
            if (this.backoff.exits(a.slot) > before) this.o.log(`${a.slot} on ${this.name(a.host)}: ${a.exit.toLowerCase()}; restart in ${fmtS(due - now)}`);
            nextDue = Math.min(nextDue ?? Infinity, due);
            return;
          }
        }
        await this.act(a);
        if (a.kind === 'restart') this.backoff.restarted(a.slot);
        done++;
      } catch (err) {
        failed++;
        this.o.log(`${this.name(a.host)}: ${describe(a)} failed: ${(err as Error).message}`);
      }
    };
    // Removals first (they free room), then the rest; a few calls in flight per host.
    await this.perHost(p.actions.filter((a) => a.kind === 'remove'), run);
    await this.perHost(p.actions.filter((a) => a.kind !== 'remove'), run);
    const converged = p.satisfied === p.desired && p.actions.length === 0;
    return {
      plan: p, done, failed, nextDue, converged,
      hosts: this.links.map((l) => ({ name: l.spec.name, health: l.health, error: l.error })),
    };
  }

  /**
   * Reconciles until the signal aborts, or with `once` until converged (resolves) or stuck
   * (throws an InputError saying why): slots no host can take while every host has answered or
   * been declared down, or no convergence within `timeoutMs`.
   */
  async run(opts: { once: boolean; signal?: AbortSignal; timeoutMs?: number }): Promise<PassReport | undefined> {
    const signal = opts.signal;
    signal?.addEventListener('abort', () => this.wakeUp?.(), { once: true });
    if (!opts.once) this.watchEvents();
    let first = true;
    let last: PassReport | undefined;
    try {
      while (!signal?.aborted) {
        const r = await this.pass(first || opts.once);
        last = r;
        if (first) this.o.log(`pass 1: ${r.plan.desired} desired, ${r.plan.satisfied} running, ${r.done} actions`);
        first = false;
        if (r.converged && (opts.once || this.o.drain !== undefined)) return r;
        if (opts.once) this.checkStuck(r, opts.timeoutMs);
        const wait = Math.max(50, Math.min(this.o.intervalMs, (r.nextDue ?? Infinity) - this.now()));
        // A pass that acted is followed quickly by one that checks the result.
        await this.sleep(r.done > 0 ? Math.min(wait, 250) : wait);
      }
      return last;
    } finally {
      this.stop.abort();
    }
  }

  async close(): Promise<void> {
    this.stop.abort();
    await Promise.all(this.links.map((l) => l.engine.close().catch(() => undefined)));
  }

  // ---- observing ----

  private async observe(l: Link, now: number): Promise<void> {
    l.firstTry ??= now;
    try {
      const version = await l.engine.ping(this.o.pingTimeoutMs);
      l.capacity ??= await this.capacityOf(l);
      l.containers = await l.engine.listContainers(ownerFilter(this.o.app.name));
      if (l.health !== 'up') this.o.log(`host ${l.spec.name} up (${l.spec.endpoint}, API ${version})`);
      l.health = 'up';
      l.lastOk = now;
      l.error = undefined;
    } catch (err) {
      const message = (err as Error).message;
      const since = l.lastOk ?? l.firstTry;
      const next: HostHealth = now - since >= this.o.graceMs ? 'down' : 'suspect';
      if (next !== l.health || l.error === undefined) {
        this.o.log(next === 'down'
          ? `host ${l.spec.name} down: no answer for ${fmtS(now - since)} (${message}); its replicas are placed elsewhere`
          : `host ${l.spec.name} suspect: ${message}`);
      }
      l.health = next;
      l.error = message;
    }
  }

  private async capacityOf(l: Link): Promise<NonNullable<HostState['capacity']>> {
    const c = l.spec.capacity;
    const info = c?.cpu !== undefined && c.memory !== undefined ? undefined : await l.engine.info();
    return {
      cpu: capacityToBase(c?.cpu ?? info!.cpus, MILLI_PER_CORE),
      memory: c?.memory !== undefined ? capacityToBase(c.memory, MIB_PER_GIB) : Math.floor(info!.memoryBytes / 1024 / 1024),
      gpu: capacityToBase(c?.gpu ?? 0, MILLI_PER_GPU),
    };
  }

  /** Workloads whose image is missing on some host that answers, with those hosts. */
  private async checkImages(): Promise<Map<Workload, string[]>> {
    const missing = new Map<Workload, string[]>();
    const images = [...new Set(this.o.app.workloads.filter((w) => w.count > 0).map((w) => w.image))];
    await Promise.all(this.links.filter((l) => l.health === 'up').map(async (l) => {
      for (const image of images) {
        if (l.images.has(image)) continue;
        try {
          if (await l.engine.imageExists(image)) l.images.add(image);
          else for (const w of this.o.app.workloads) if (w.image === image) missing.set(w, [...(missing.get(w) ?? []), l.spec.name]);
        } catch { /* the host will be suspect next pass */ }
      }
    }));
    const order = new Map(this.links.map((l) => [l.spec.name, l.index]));
    for (const hosts of missing.values()) hosts.sort((a, b) => order.get(a)! - order.get(b)!);
    return missing;
  }

  /** Drain: the first slot, in spec order, with a live container on the drained host. */
  private movingSlot(): string | undefined {
    const l = this.links.find((x) => x.spec.name === this.o.drain);
    if (!l) return undefined;
    const slots = new Set(l.containers.filter((c) => c.state === 'running').map((c) => slotOf(c.labels)));
    for (const w of this.o.app.workloads) {
      for (let i = 0; i < w.count; i++) if (slots.has(slotKey(w.name, i))) return slotKey(w.name, i);
    }
    return undefined;
  }

  // ---- acting ----

  private async act(a: Action): Promise<void> {
    const engine = this.links[a.host]!.engine;
    switch (a.kind) {
      case 'remove':
        await engine.removeContainer(a.id);
        this.o.log(`${a.name} removed from ${this.name(a.host)} (${a.why})`);
        return;
      case 'start':
        await engine.startContainer(a.id);
        this.o.log(`${a.slot} started on ${this.name(a.host)} (it was created, not started)`);
        return;
      case 'restart':
        await engine.startContainer(a.id);
        this.o.log(`${a.slot} restarted on ${this.name(a.host)} (exit ${this.backoff.exits(a.slot)})`);
        return;
      case 'create':
        return this.create(a.host, a.workload, a.index, a.slot);
      default: {
        const never: never = a;
        throw new Error(`unknown action ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Create and start, idempotently: the name is the slot's, so a create whose reply was lost
   * comes back as a 409 and the container is adopted (the same app, slot and spec-hash) or
   * replaced (an older spec-hash). A container of that name berth does not own is left alone.
   */
  private async create(host: number, w: Workload, index: number, slot: string): Promise<void> {
    const engine = this.links[host]!.engine;
    const app = this.o.app;
    const name = containerName(app.name, w.name, index);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const body = createBody(app, w, index, this.name(host), Date.now());
        const id = await engine.createContainer(name, body);
        await engine.startContainer(id);
        this.known(host, { id, name, state: 'running', status: 'Up', labels: body.Labels, created: Math.floor(Date.now() / 1000), image: w.image });
        this.o.log(`${slot} placed on ${this.name(host)}`);
        return;
      } catch (err) {
        if (!(err instanceof EngineError) || err.status !== 409) throw err;
      }
      const existing = await engine.inspectContainer(name);
      if (!existing) continue;
      if (existing.labels[LABEL.managed] !== 'true' || existing.labels[LABEL.owner] !== app.name) {
        throw new EngineError(409, `a container named ${name} exists there and is not the app ${app.name}'s: remove or rename it`);
      }
      if (existing.labels[LABEL.specHash] === w.hash && slotOf(existing.labels) === slot) {
        if (!existing.running) await engine.startContainer(existing.id);
        this.known(host, { id: existing.id, name, state: 'running', status: 'Up', labels: existing.labels, created: Math.floor(Date.now() / 1000), image: w.image });
        this.o.log(`${slot} adopted on ${this.name(host)} (it existed already)`);
        return;
      }
      await engine.removeContainer(existing.id);
      await delay(Math.min(1000, 50 * 2 ** attempt));
    }
    throw new EngineError(409, `the name ${name} stayed in use after 5 attempts`);
  }

  /**
   * What this controller made on a host joins the host's last known containers, so that if the
   * host stops answering before the next list, its replicas there still count while it is suspect.
   */
  private known(host: number, c: EngineContainer): void {
    const l = this.links[host]!;
    l.containers = [...l.containers.filter((x) => x.name !== c.name), c];
  }

  private async perHost(actions: readonly Action[], run: (a: Action) => Promise<void>): Promise<void> {
    const queues = new Map<number, Action[]>();
    for (const a of actions) queues.set(a.host, [...(queues.get(a.host) ?? []), a]);
    await Promise.all([...queues.values()].map(async (queue) => {
      const workers = Array.from({ length: Math.min(this.o.concurrency, queue.length) }, async () => {
        for (let a = queue.shift(); a; a = queue.shift()) await run(a);
      });
      await Promise.all(workers);
    }));
  }

  // ---- waiting ----

  private checkStuck(r: PassReport, timeoutMs: number | undefined): void {
    const settled = r.hosts.every((h) => h.health !== 'suspect');
    const file = this.o.app.file;
    if (r.plan.unplaced.length > 0 && settled && r.done === 0 && r.failed === 0) {
      const down = r.hosts.filter((h) => h.health === 'down').map((h) => h.name);
      throw new InputError({ file }, `cannot place ${r.plan.unplaced.length} of ${r.plan.desired} replicas: ` +
        r.plan.unplaced.slice(0, 5).map((u) => `${u.slot} (${u.reason})`).join(', ') + (r.plan.unplaced.length > 5 ? ', …' : '') +
        (down.length > 0 ? `; hosts down: ${down.join(', ')}` : ''));
    }
    if (timeoutMs !== undefined && this.now() - this.started > timeoutMs) {
      throw new InputError({ file }, `not converged after ${fmtS(timeoutMs)}: ${r.plan.satisfied} of ${r.plan.desired} replicas run` +
        (r.plan.unplaced.length > 0 ? `; unplaced: ${r.plan.unplaced.slice(0, 5).map((u) => `${u.slot} (${u.reason})`).join(', ')}` : '') +
        (r.hosts.some((h) => h.health !== 'up') ? `; hosts not answering: ${r.hosts.filter((h) => h.health !== 'up').map((h) => `${h.name} (${h.error})`).join(', ')}` : ''));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() { clearTimeout(timer); resolve(); }
      this.wakeUp = done;
    });
  }

  /** Container events of the app on every host wake the loop: a hint, never the truth. */
  private watchEvents(): void {
    for (const l of this.links) {
      void (async () => {
        let pause = 1000;
        while (!this.stop.signal.aborted) {
          try {
            await l.engine.events(ownerFilter(this.o.app.name), (e) => {
              if (e.action === 'die' || e.action === 'destroy' || e.action === 'oom' || e.action.startsWith('health_status')) this.wakeUp?.();
            }, this.stop.signal);
            pause = 1000;
          } catch { /* reconnect below */ }
          if (this.stop.signal.aborted) return;
          await sleepUnlessAborted(pause, this.stop.signal);
          pause = Math.min(10_000, pause * 2);
        }
      })();
    }
  }

  private name(host: number): string {
    return this.links[host]!.spec.name;
  }
}

function describe(a: Action): string {
  return a.kind === 'create' ? `placing ${a.slot}` : a.kind === 'remove' ? `removing ${a.name}` : `starting ${a.slot}`;
}

const sleepUnlessAborted = (ms: number, signal: AbortSignal) => sleepFor(ms, undefined, { signal }).catch(() => undefined);
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const fmtS = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
