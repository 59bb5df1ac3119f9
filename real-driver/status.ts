// What the hosts hold, read from the engines: for `berth status`, `berth down`, the dry run's
// capacities, and the tests' view of the real placement.

import { MIB_PER_GIB, MILLI_PER_CORE, MILLI_PER_GPU, capacityToBase } from '../sim/units.ts';
import { EngineClient } from './engine-client.ts';
import type { Engine, EngineContainer } from './engine.ts';
import type { HostSpec } from './hosts-file.ts';
import { LABEL, managedFilter, ownerFilter, slotOf } from './labels.ts';

export interface HostReport {
  readonly name: string;
  readonly endpoint: string;
  readonly state: 'up' | 'down';
  readonly error?: string;
  readonly apiVersion?: string;
  /** Base units (millicores, MiB, milli-GPUs): the inventory's, else what the engine reports. */
  readonly capacity?: { readonly cpu: number; readonly memory: number; readonly gpu: number };
  /** Booked by berth's running containers, base units. */
  readonly allocated: { readonly cpu: number; readonly memory: number };
  readonly containers: readonly { readonly name: string; readonly app: string; readonly slot: string; readonly state: string; readonly status: string }[];
}

export function engineFor(h: HostSpec, timeoutMs: number): EngineClient {
  return new EngineClient(h.endpoint, { ...(h.tls && { tls: h.tls }), timeoutMs });
}

/** Each host's state, capacity, allocation and berth's containers (of `app`, or of every app). */
export async function hostReports(hosts: readonly HostSpec[], opts: { app?: string; timeoutMs?: number; engines?: readonly Engine[] } = {}): Promise<HostReport[]> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  return Promise.all(hosts.map(async (h, i): Promise<HostReport> => {
    const engine = opts.engines?.[i] ?? engineFor(h, timeoutMs);
    try {
      const apiVersion = await engine.ping(timeoutMs);
      const c = h.capacity;
      const info = c?.cpu !== undefined && c.memory !== undefined ? undefined : await engine.info();
      const capacity = {
        cpu: capacityToBase(c?.cpu ?? info!.cpus, MILLI_PER_CORE),
        memory: c?.memory !== undefined ? capacityToBase(c.memory, MIB_PER_GIB) : Math.floor(info!.memoryBytes / 1024 / 1024),
        gpu: capacityToBase(c?.gpu ?? 0, MILLI_PER_GPU),
      };
      const list = await engine.listContainers(opts.app === undefined ? managedFilter : ownerFilter(opts.app));
      return { name: h.name, endpoint: h.endpoint, state: 'up', apiVersion, capacity, allocated: allocation(list), containers: list.map(describe) };
    } catch (err) {
      return { name: h.name, endpoint: h.endpoint, state: 'down', error: (err as Error).message, allocated: { cpu: 0, memory: 0 }, containers: [] };
    } finally {
      if (!opts.engines) await engine.close();
    }
  }));
}

function allocation(list: readonly EngineContainer[]): { cpu: number; memory: number } {
  let cpu = 0, memory = 0;
  for (const c of list) {
    if (c.state !== 'running' && c.state !== 'restarting' && c.state !== 'paused' && c.state !== 'created') continue;
    cpu += Number(c.labels[LABEL.cpu] ?? 0);
    memory += Number(c.labels[LABEL.memory] ?? 0);
  }
  return { cpu, memory };
}

function describe(c: EngineContainer) {
  return { name: c.name, app: c.labels[LABEL.owner] ?? '', slot: slotOf(c.labels) ?? '', state: c.state, status: c.status };
}

/** Slot to host of the app's running containers (several hosts when duplicated), from the engines. */
export function runningPlacement(reports: readonly HostReport[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of reports) for (const c of r.containers) if (c.state === 'running') (out[c.slot] ??= []).push(r.name);
  return out;
}

/** Removes every container the app owns on the hosts that answer; returns what was removed and the hosts that did not answer. */
export async function removeApp(hosts: readonly HostSpec[], app: string, timeoutMs = 10_000): Promise<{ removed: Record<string, number>; unreachable: { name: string; error: string }[] }> {
  const removed: Record<string, number> = {};
  const unreachable: { name: string; error: string }[] = [];
  await Promise.all(hosts.map(async (h) => {
    const engine = engineFor(h, timeoutMs);
    try {
      const list = await engine.listContainers(ownerFilter(app));
      await Promise.all(list.map((c) => engine.removeContainer(c.id)));
      removed[h.name] = list.length;
    } catch (err) {
      unreachable.push({ name: h.name, error: (err as Error).message });
    } finally {
      await engine.close();
    }
  }));
  return { removed, unreachable };
}
