// Services in the simulator: the services of an app file (the one `berth deploy` runs on real
// hosts) as long-running replicas. Each replica is submitted with the first record, runs until
// the run ends, and when a failure evicts it, goes back to the queue and is placed again by the
// scheduler: the real driver's reconcile rule (a missing replica is started wherever the
// scheduler places it, within the service's constraints and its limit per host).
//
// A service's `maxPerHost: 1` (antiAffinity: true) becomes a required anti-affinity to its own
// replicas on the node; a larger limit per host is refused (the simulator's rules cannot say it).
// Jobs of the app file are not simulated: their run time is whatever their command takes.

import type { AppSpec } from '../real-driver/spec-file.ts';
import { InputError } from './errors.ts';
import type { TaskRecord, TraceRecord } from '../traces/record.ts';
import { timeOf } from '../traces/record.ts';

/** Replicas outrank the trace's work (its priorities are far below), as services do in production cells. */
export const SERVICE_PRIORITY = 1000;

export interface ServicesOfApp {
  readonly replicas: readonly Omit<TaskRecord, 'submit'>[];
  /** Jobs in the file, which are not simulated. */
  readonly jobsLeftOut: readonly string[];
}

export function servicesOf(app: AppSpec): ServicesOfApp {
  const replicas: Omit<TaskRecord, 'submit'>[] = [];
  const jobsLeftOut: string[] = [];
  for (const w of app.workloads) {
    if (w.kind === 'job') {
      jobsLeftOut.push(w.name);
      continue;
    }
    if (w.maxPerHost !== undefined && w.maxPerHost !== 1) {
      throw new InputError({ file: app.file, field: `${w.field}.maxPerHost` }, `${w.maxPerHost} cannot be simulated: only 1 (antiAffinity: true) can`);
    }
    for (let i = 0; i < w.count; i++) {
      replicas.push({
        kind: 'task', id: `${w.name}/${i}`, duration: 0, cpu: w.cpu, memory: w.memory, gpu: 0, priority: SERVICE_PRIORITY,
        job: w.name, service: w.name,
        ...(w.constraints.length > 0 && { constraints: w.constraints }),
        ...(w.maxPerHost === 1 && { antiAffinity: [{ to: { job: w.name }, scope: 'node', required: true }] }),
      });
    }
  }
  return { replicas, jobsLeftOut };
}

/** The stream with the replicas submitted at the first record's time (or at 0 with no records). */
export async function* withServices(
  source: AsyncIterable<readonly TraceRecord[]>, replicas: readonly Omit<TaskRecord, 'submit'>[],
): AsyncGenerator<TraceRecord[]> {
  let first = true;
  for await (const batch of source) {
    if (batch.length === 0) continue;
    if (first) {
      first = false;
      const at = timeOf(batch[0]!);
      yield [...replicas.map((r): TaskRecord => ({ ...r, submit: at })), ...batch];
    } else {
      yield [...batch];
    }
  }
  if (first && replicas.length > 0) yield replicas.map((r): TaskRecord => ({ ...r, submit: 0 }));
}
