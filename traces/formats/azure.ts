// The Azure Public Dataset's VM tables: vmtable.csv (no header), 2017 (V1) and 2019 (V2).
//
// A VM is a task asking for its cores and memory: exact in 2017; buckets in 2019, where the top
// buckets `>24` cores and `>64` GB read as 30 and 70, as the dataset's own notebook does. It
// arrives when created and lasts until deleted, at least 300 s (the readings' interval), as the
// notebook computes lifetimes. Memory is in GB, read as GiB. The deployment is the task's job
// and the subscription its user. The tables do not say which host ran a VM, so `--replay trace`
// cannot replay them, and they describe no machines: give a cluster file.

import { MIB_PER_GIB, MILLI_PER_CORE, secondsToMicros } from '../../sim/units.ts';
import { mergeByTime } from '../merge.ts';
import { timeOf, type TaskRecord, type TraceRecord } from '../record.ts';
import { sortByTime } from '../sort.ts';
import { RowError, csvRows, guarded, newStats, number, type OpenedTrace, type ReadOptions, type ReadStats } from './common.ts';

export type AzureVersion = 'azure2017' | 'azure2019';
export const AZURE_NO_PLACEMENT = 'Azure VM tables do not say which host ran a VM';
const MIN_LIFETIME_SECONDS = 300;

export function openAzure(files: readonly string[], version: AzureVersion, options: ReadOptions): OpenedTrace {
  const stats = newStats();
  return { source: sortByTime(mergeByTime(files.map((f) => vms(f, version, options, stats)), timeOf)), stats };
}

async function* vms(path: string, version: AzureVersion, options: ReadOptions, stats: ReadStats): AsyncGenerator<TraceRecord[]> {
  for await (const rows of csvRows(path, stats)) {
    const batch: TraceRecord[] = [];
    for (const { fields, line } of rows) {
      const vm = guarded(stats, options, path, line, () => readVm(fields, version));
      if (vm) batch.push(vm);
    }
    yield batch;
  }
}

function readVm(f: string[], version: AzureVersion): TaskRecord {
  if (f.length < 11) throw new RowError('the row', `expected the 11 columns of vmtable; got ${f.length}`);
  const created = number(f[3], 'column 4 (vmcreated)', 'seconds');
  const deleted = number(f[4], 'column 5 (vmdeleted)', 'seconds');
  if (created < 0) throw new RowError('column 4 (vmcreated)', `expected seconds >= 0; got ${f[3]}`);
  if (deleted < created) throw new RowError('column 5 (vmdeleted)', `expected a time at or after vmcreated (${f[3]}); got ${f[4]}`);
  const cores = version === 'azure2017' ? number(f[9], 'column 10 (vmcorecount)', 'a core count') : bucket(f[9], 'column 10 (vmcorecountbucket)', 24, 30);
  const memory = version === 'azure2017' ? number(f[10], 'column 11 (vmmemory)', 'GB') : bucket(f[10], 'column 11 (vmmemorybucket)', 64, 70);
  return {
    kind: 'task',
    id: f[0]!,
    submit: secondsToMicros(created),
    duration: secondsToMicros(Math.max(deleted - created, MIN_LIFETIME_SECONDS)),
    cpu: Math.round(cores * MILLI_PER_CORE),
    memory: Math.round(memory * MIB_PER_GIB),
    gpu: 0,
    priority: 0,
    job: f[2]!,
    user: f[1]!,
  };
}

/** A 2019 bucket: a number, or `>top` read as `value`. */
function bucket(raw: string | undefined, field: string, top: number, value: number): number {
  if (raw?.trim() === `>${top}`) return value;
  const n = number(raw, field, `a number or ">${top}"`);
  if (n <= 0) throw new RowError(field, `expected a number > 0 or ">${top}"; got ${raw}`);
  return n;
}
