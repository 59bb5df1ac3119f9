// One reconcile step, without I/O: from the desired state (the spec) and the actual state (the
// containers each host lists, by label), the actions that bring one closer to the other. The
// placement of missing replicas is the scheduler's, on a Cluster (the simulator's ClusterView)
// of the hosts that take work, booked with what runs on them.
//
// Rules, per slot (one replica of a service, one task of a job):
// - A container whose labels name no slot of the spec, or an older spec-hash, is removed.
// - A job task with a container that exited 0 is done (that container is its record).
// - Among a slot's live containers (running, restarting, paused) one is kept: preferring a host
//   not cordoned, then not unhealthy, then the newest placement; the others are removed. So
//   when a host that was declared down comes back, its replicas that were replaced go.
// - A slot with no live container restarts its stopped one in place (the controller applies the
//   back-off), starts one left `created` (a start that never happened), or else is missing.
// - Hosts that are suspect (not answering, within the grace period) keep their last known
//   containers: their replicas count, nothing is placed on them, nothing there is touched.
//   Hosts that are down count for nothing: their replicas are missing and placed elsewhere.
// - Draining: the slot being moved gets a new container elsewhere while the old one runs;
//   once the new one runs, the rule above removes the old one (on a cordoned host).
// - Anti-affinity (maxPerHost), older than the contract's affinity rules: the planner
//   expresses it as constraints on the `berth.host` label that every host carries (`!=` each
//   host that already holds maxPerHost of the workload) and asks for such tasks one at a time.

import { Cluster } from '../sim/cluster.ts';
import type { NodeSpec } from '../sim/cluster-file.ts';
import { satisfiesAll } from '../schedulers/constraints.ts';
import { nodeId, taskId, type DecideContext, type PendingTask, type Reason, type RunningTask, type Scheduler } from '../schedulers/contract.ts';
import type { Constraint } from '../traces/record.ts';
import type { EngineContainer } from './engine.ts';
import { LABEL, slotKey, slotOf } from './labels.ts';
import type { AppSpec, Workload } from './spec-file.ts';

export type HostHealth = 'up' | 'suspect' | 'down';

export interface HostState {
  readonly name: string;
  readonly health: HostHealth;
  readonly cordon: boolean;
  /** Base units; undefined until the engine has answered once (and no inventory override). */
  readonly capacity: { readonly cpu: number; readonly memory: number; readonly gpu: number } | undefined;
  readonly labels: Readonly<Record<string, string>>;
  /** The app's containers: listed now (up), last known (suspect), none (down). */
  readonly containers: readonly EngineContainer[];
}

export type Action =
  | { readonly kind: 'remove'; readonly host: number; readonly id: string; readonly name: string; readonly why: string }
  | { readonly kind: 'start'; readonly host: number; readonly id: string; readonly name: string; readonly slot: string }
  | { readonly kind: 'restart'; readonly host: number; readonly id: string; readonly name: string; readonly slot: string; readonly exit: string }
  | { readonly kind: 'create'; readonly host: number; readonly workload: Workload; readonly index: number; readonly slot: string };

export interface Plan {
  readonly actions: Action[];
  /** Slots the scheduler could not place this time, with why. */
  readonly unplaced: { readonly slot: string; readonly reason: Reason }[];
  readonly desired: number;
  /** Slots satisfied now: a service replica running on a host that answers, a job task done. */
  readonly satisfied: number;
  /** Decisions refused (a node without room, a task not pending): a correct scheduler makes none. */
  readonly conflicts: number;
}

export interface PlanOptions {
  /** The slot being moved off a cordoned host (drain). */
  readonly moving?: string;
}

/** The label every host carries, for anti-affinity constraints. */
export const HOST_LABEL = LABEL.host;

/** Node specs of the hosts in inventory order, as both platforms see them. */
export function hostNodes(hosts: readonly { name: string; labels: Readonly<Record<string, string>>; capacity: HostState['capacity'] }[]): NodeSpec[] {
  return hosts.map((h) => ({
    name: h.name, cpu: h.capacity?.cpu ?? 0, memory: h.capacity?.memory ?? 0, gpu: h.capacity?.gpu ?? 0,
    labels: { ...h.labels, [HOST_LABEL]: h.name },
  }));
}

interface Found {
  readonly host: number;
  readonly c: EngineContainer;
}

const LIVE = new Set(['running', 'restarting', 'paused']);
const isLive = (c: EngineContainer) => LIVE.has(c.state);
const exitedZero = (c: EngineContainer) => c.state === 'exited' && /^Exited \(0\)/.test(c.status);
const unhealthy = (c: EngineContainer) => /\(unhealthy\)/.test(c.status);
const placedAt = (c: EngineContainer) => Number(c.labels[LABEL.placedAt] ?? c.created * 1000);

export function plan(app: AppSpec, hosts: readonly HostState[], scheduler: Scheduler, ctx: DecideContext, options: PlanOptions = {}): Plan {
  const actions: Action[] = [];
  const canAct = (h: number) => hosts[h]!.health === 'up';
  const remove = (f: Found, why: string) => {
    if (canAct(f.host)) actions.push({ kind: 'remove', host: f.host, id: f.c.id, name: f.c.name, why });
  };
  const byName = new Map(app.workloads.map((w) => [w.name, w]));

  // Actual state by slot; what fits no slot of this spec goes.
  const bySlot = new Map<string, Found[]>();
  hosts.forEach((h, host) => {
    if (h.health === 'down') return;
    for (const c of h.containers) {
      const slot = slotOf(c.labels);
      const w = byName.get(c.labels[LABEL.service] ?? '');
      if (slot === undefined || w === undefined || Number(c.labels[LABEL.replica]) >= w.count || c.labels[LABEL.kind] !== w.kind) {
        remove({ host, c }, 'not in the spec');
      } else if (c.labels[LABEL.specHash] !== w.hash) {
        remove({ host, c }, 'the spec changed');
      } else {
        const list = bySlot.get(slot) ?? [];
        list.push({ host, c });
        bySlot.set(slot, list);
      }
    }
  });

  const cluster = new Cluster(hostNodes(hosts));
  hosts.forEach((h, i) => { if (h.health !== 'up' || h.cordon || h.capacity === undefined) cluster.setStatus(i, 'down'); });
  let nextTask = 0;
  const booked: RunningTask[] = [];
  cluster.describeTasksWith((task) => booked[task]);
  const book = (f: Found, w: Workload) => {
    const cpu = Number(f.c.labels[LABEL.cpu] ?? w.cpu), memory = Number(f.c.labels[LABEL.memory] ?? w.memory);
    const id = taskId(nextTask++);
    booked[id] = { id, name: f.c.name, cpu, memory, gpu: 0, priority: 0, node: nodeId(f.host), start: placedAt(f.c) * 1000, job: w.name };
    cluster.place(f.host, id, cpu, memory, 0);
  };
  /** Containers of each workload per host (for maxPerHost). */
  const perHost = new Map<string, number[]>(app.workloads.map((w) => [w.name, hosts.map(() => 0)]));

  let desired = 0, satisfied = 0;
  const missing: { w: Workload; index: number }[] = [];
  for (const w of app.workloads) {
    for (let index = 0; index < w.count; index++) {
      desired++;
      const slot = slotKey(w.name, index);
      const found = bySlot.get(slot) ?? [];
      if (w.kind === 'job') {
        const done = found.find((f) => exitedZero(f.c));
        if (done) {
          satisfied++;
          for (const f of found) if (f !== done) remove(f, 'duplicate of a finished task');
          continue;
        }
      }
      const moving = options.moving === slot;
      const cordoned = (f: Found) => hosts[f.host]!.cordon;
      const live = found.filter((f) => isLive(f.c)).sort((a, b) =>
        Number(cordoned(a)) - Number(cordoned(b)) || Number(unhealthy(a.c)) - Number(unhealthy(b.c)) || placedAt(b.c) - placedAt(a.c) || a.host - b.host);
      const keeper = live[0];
      if (keeper && !(moving && cordoned(keeper))) {
        // A replacement still starting keeps the drained original until its health check passes.
        const starting = moving && /health: starting/.test(keeper.c.status);
        for (const f of found) if (f !== keeper && !(starting && cordoned(f) && isLive(f.c))) remove(f, 'duplicate');
        book(keeper, w);
        perHost.get(w.name)![keeper.host]!++;
        if (keeper.c.state === 'running' && hosts[keeper.host]!.health === 'up') satisfied++;
        continue;
      }
      if (keeper) {
        // Moving off a cordoned host: the old one runs (and holds its room) until its replacement does.
        book(keeper, w);
        const created = found.find((f) => f.c.state === 'created' && !cordoned(f) && canAct(f.host));
        if (created) {
          actions.push({ kind: 'start', host: created.host, id: created.c.id, name: created.c.name, slot });
          book(created, w);
        } else {
          missing.push({ w, index });
        }
        for (const f of found) if (f !== keeper && f !== created) remove(f, 'duplicate');
        continue;
      }
      // Nothing live: start or restart a stopped one in place, on a host that answers and is not cordoned.
      const stopped = found.filter((f) => (f.c.state === 'created' || f.c.state === 'exited') && canAct(f.host) && !cordoned(f))
        .sort((a, b) => placedAt(b.c) - placedAt(a.c) || a.host - b.host)[0];
      for (const f of found) if (f !== stopped) remove(f, f.c.state === 'dead' ? 'dead' : 'duplicate');
      if (stopped) {
        book(stopped, w);
        perHost.get(w.name)![stopped.host]!++;
        if (stopped.c.state === 'created') actions.push({ kind: 'start', host: stopped.host, id: stopped.c.id, name: stopped.c.name, slot });
        else actions.push({ kind: 'restart', host: stopped.host, id: stopped.c.id, name: stopped.c.name, slot, exit: stopped.c.status });
        continue;
      }
      missing.push({ w, index });
    }
  }

  const { placed, unplaced, conflicts } = placeMissing(missing, cluster, perHost, scheduler, ctx);
  for (const p of placed) actions.push({ kind: 'create', host: p.host, workload: p.w, index: p.index, slot: slotKey(p.w.name, p.index) });
  return { actions, unplaced, desired, satisfied, conflicts };
}

/**
 * Asks the scheduler to place the missing slots, in spec order: consecutive slots without
 * maxPerHost in one call, each slot with maxPerHost in a call of its own (its constraints
 * depend on the placements before it). As in the simulator, slots left unplaced by a call are
 * offered again, first, in the next one. The dry run groups them the same way (dry-run.ts).
 */
export function placeMissing(
  missing: readonly { w: Workload; index: number }[], cluster: Cluster, perHost: Map<string, number[]>,
  scheduler: Scheduler, ctx: DecideContext,
): { placed: { w: Workload; index: number; host: number }[]; unplaced: { slot: string; reason: Reason }[]; conflicts: number } {
  const placed: { w: Workload; index: number; host: number }[] = [];
  let conflicts = 0;
  let queue: { task: PendingTask; w: Workload; index: number }[] = [];
  let next = 1 << 20; // task ids above those of the booked containers
  const names = Array.from({ length: cluster.nodeCount }, (_, n) => cluster.nodeName(nodeId(n)));
  const decide = () => {
    const byId = new Map(queue.map((q) => [q.task.id as number, q]));
    for (const d of scheduler.decide(queue.map((q) => q.task), cluster, ctx)) {
      if (d.kind !== 'place') continue;
      const q = byId.get(d.task);
      if (!q || !Number.isInteger(d.node) || d.node < 0 || d.node >= cluster.nodeCount ||
          !cluster.hasRoom(d.node, q.task.cpu, q.task.memory, 0) ||
          !satisfiesAll(cluster.labels(d.node), q.task.constraints ?? [])) {
        conflicts++;
        continue;
      }
      byId.delete(d.task);
      cluster.place(d.node, d.task, q.task.cpu, q.task.memory, 0);
      perHost.get(q.w.name)![d.node]!++;
      placed.push({ w: q.w, index: q.index, host: d.node });
    }
    queue = queue.filter((q) => byId.has(q.task.id));
  };
  for (const group of placementGroups(missing)) {
    for (const { w, index } of group) queue.push({ task: pendingTask(w, index, next++, perHost.get(w.name)!, names), w, index });
    decide();
  }
  const unplaced = queue.map((q) => ({ slot: slotKey(q.w.name, q.index), reason: whyUnplaced(cluster, q.task) }));
  return { placed, unplaced, conflicts };
}

/** Consecutive slots without maxPerHost together; each slot with maxPerHost alone. */
export function placementGroups<T extends { w: Workload }>(slots: readonly T[]): T[][] {
  const groups: T[][] = [];
  let batch: T[] = [];
  for (const s of slots) {
    if (s.w.maxPerHost === undefined) { batch.push(s); continue; }
    if (batch.length > 0) groups.push(batch);
    batch = [];
    groups.push([s]);
  }
  if (batch.length > 0) groups.push(batch);
  return groups;
}

/** A slot as the scheduler sees it; its constraints include anti-affinity as of now. */
export function pendingTask(w: Workload, index: number, id: number, onHosts: readonly number[], hostNames: readonly string[]): PendingTask {
  const constraints: Constraint[] = [...w.constraints];
  if (w.maxPerHost !== undefined) {
    onHosts.forEach((n, host) => {
      if (n >= w.maxPerHost!) constraints.push({ label: HOST_LABEL, op: '!=', value: hostNames[host]! });
    });
  }
  return {
    id: taskId(id), name: slotKey(w.name, index), cpu: w.cpu, memory: w.memory, gpu: 0, priority: 0, submit: 0,
    ...(constraints.length > 0 && { constraints }),
  };
}

function whyUnplaced(cluster: Cluster, task: PendingTask): Reason {
  const constraints = task.constraints ?? [];
  let anyLabelled = false;
  for (let n = 0; n < cluster.nodeCount; n++) {
    if (!satisfiesAll(cluster.labels(nodeId(n)), constraints)) continue;
    anyLabelled = true;
    if (cluster.fits(nodeId(n), task)) return 'not-sampled';
  }
  if (!anyLabelled) return 'constraint';
  return constraints.length > 0 ? 'constraint' : cluster.bottleneck(task);
}
