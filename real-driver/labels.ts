// Ownership: every container berth creates carries these labels, and its name is a function of
// the slot it fills. Labels are the truth: a controller started afresh rebuilds everything it
// needs from a label-filtered list of each host's containers.

import type { CreateBody } from './engine.ts';
import type { AppSpec, Workload } from './spec-file.ts';

export const LABEL = {
  managed: 'berth.managed', //      "true": berth made it (berth never touches a container without it)
  owner: 'berth.owner', //          the app's name
  kind: 'berth.kind', //            service | job
  service: 'berth.service', //      the service's or job's name
  replica: 'berth.replica', //      the slot's index
  specHash: 'berth.spec-hash', //   Workload.hash when it was created
  host: 'berth.host', //            the inventory name of the host it was placed on
  placedAt: 'berth.placed-at', //   ms since the epoch: the newest of duplicates is kept
  cpu: 'berth.cpu', //              millicores booked
  memory: 'berth.memory', //        MiB booked
} as const;

/** The filter that lists exactly the containers an app owns. */
export const ownerFilter = (app: string): string[] => [`${LABEL.managed}=true`, `${LABEL.owner}=${app}`];
export const managedFilter: readonly string[] = [`${LABEL.managed}=true`];

/** A slot: one replica of a service, or one task of a job. */
export const slotKey = (workload: string, index: number): string => `${workload}/${index}`;

/** Deterministic container name of a slot: the same on every host and every attempt. */
export const containerName = (app: string, workload: string, index: number): string => `berth-${app}-${workload}-${index}`;

/** The slot a container fills, from its labels (undefined for a container of no slot). */
export function slotOf(labels: Readonly<Record<string, string>>): string | undefined {
  const service = labels[LABEL.service], replica = labels[LABEL.replica];
  if (service === undefined || replica === undefined || !/^\d+$/.test(replica)) return undefined;
  return slotKey(service, Number(replica));
}

export function createBody(app: AppSpec, w: Workload, index: number, host: string, now: number): CreateBody {
  return {
    Image: w.image,
    ...(w.command && { Cmd: w.command }),
    Env: Object.entries(w.env).map(([k, v]) => `${k}=${v}`),
    Labels: {
      [LABEL.managed]: 'true', [LABEL.owner]: app.name, [LABEL.kind]: w.kind, [LABEL.service]: w.name,
      [LABEL.replica]: String(index), [LABEL.specHash]: w.hash, [LABEL.host]: host, [LABEL.placedAt]: String(now),
      [LABEL.cpu]: String(w.cpu), [LABEL.memory]: String(w.memory),
    },
    ...(w.health && {
      Healthcheck: {
        Test: w.health.test, Interval: ns(w.health.interval), Timeout: ns(w.health.timeout),
        Retries: w.health.retries, StartPeriod: ns(w.health.startPeriod),
      },
    }),
    HostConfig: {
      NanoCpus: w.cpu * 1_000_000, Memory: w.memory * 1024 * 1024,
      // No bridge networking on berth's hosts by default; and the controller, not Docker, restarts.
      NetworkMode: 'none', RestartPolicy: { Name: 'no' },
    },
  };
}

const ns = (seconds: number): number => Math.round(seconds * 1e9);
