// Trace formats by name (`--format`) and machine-table formats (`--cluster-format`): the one
// place that knows which reader reads what.

import { InputError } from '../../sim/errors.ts';
import { loadClusterFile, type NodeSpec } from '../../sim/cluster-file.ts';
import { expandInputs } from '../files.ts';
import { cacheKey, cachePathsFor, openCache } from '../cache.ts';
import { mergeByTime } from '../merge.ts';
import { readNativeTrace } from '../native.ts';
import { timeOf, type NodeRecord, type TraceRecord } from '../record.ts';
import { ALIBABA_MEMORY_GIB, loadAlibabaMachines, openAlibaba2018 } from './alibaba2018.ts';
import { AZURE_NO_PLACEMENT, openAzure } from './azure.ts';
import { newStats, skipOrThrow, type OpenedTrace, type ReadOptions } from './common.ts';
import { GOOGLE_SCALE, loadGoogleMachines, openGoogle } from './google.ts';
import { OPENB_NO_PLACEMENT, loadOpenbNodes, openOpenb } from './openb.ts';
import { openSwf, readSwfHeader, swfCluster } from './swf.ts';

export type { OpenedTrace, ReadOptions, ReadStats } from './common.ts';

export const TRACE_FORMATS = ['berth', 'google2011', 'google2019', 'alibaba2018', 'openb', 'azure2017', 'azure2019', 'swf'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];
export const CLUSTER_FORMATS = ['berth', 'google2011', 'google2019', 'alibaba2018', 'openb'] as const;
export type ClusterFormat = (typeof CLUSTER_FORMATS)[number];

/** Why `--replay trace` cannot replay a format (it does not say where tasks ran), or undefined. */
export function tracePlacementMissing(format: TraceFormat): string | undefined {
  switch (format) {
    case 'openb': return OPENB_NO_PLACEMENT;
    case 'azure2017':
    case 'azure2019': return AZURE_NO_PLACEMENT;
    case 'berth': return 'the native format does not say where tasks ran';
    default: return undefined;
  }
}

/**
 * Opens a trace of the given format from files, folders or globs: records in order of time. A
 * valid binary cache of the same inputs (traces/cache.ts) is read instead of parsing, unless
 * `useCache` is false.
 */
export function openTrace(format: TraceFormat, inputs: readonly string[], options: ReadOptions, useCache = true): OpenedTrace {
  const files = expandInputs(inputs);
  if (useCache) {
    const key = cacheKey(format, files, options);
    for (const path of cachePathsFor(inputs)) {
      const cached = openCache(path, key);
      if (cached) return { ...cached, cache: path };
    }
  }
  return parseTrace(format, files, options);
}

function parseTrace(format: TraceFormat, files: readonly string[], options: ReadOptions): OpenedTrace {
  switch (format) {
    case 'berth': return openNative(files, options);
    case 'google2011':
    case 'google2019': return openGoogle(files, format, options);
    case 'alibaba2018': return openAlibaba2018(files, options);
    case 'openb': return openOpenb(files, options);
    case 'azure2017':
    case 'azure2019': return openAzure(files, format, options);
    case 'swf': return openSwf(files, options);
  }
}

function openNative(files: readonly string[], options: ReadOptions): OpenedTrace {
  const stats = newStats();
  const parts = files.map(async function* (file): AsyncGenerator<TraceRecord[]> {
    const trace = readNativeTrace(file, undefined, (err) => skipOrThrow(stats, options, err));
    for await (const batch of trace.source) {
      stats.rows += batch.length;
      yield batch as TraceRecord[];
    }
    stats.files.push({ path: file, sha256: trace.sha256() });
  });
  return { source: mergeByTime(parts, timeOf), stats };
}

/** The machines of a run: their first state, and their changes in order of time. */
export interface Machines {
  readonly nodes: NodeSpec[];
  readonly changes: NodeRecord[];
  readonly files: { path: string; sha256: string }[];
}

export async function loadMachines(
  format: ClusterFormat, inputs: readonly string[], options: { scaleCpu?: number; scaleMemory?: number },
): Promise<Machines> {
  const files = expandInputs(inputs);
  switch (format) {
    case 'berth': {
      if (files.length !== 1) throw new InputError({ field: '--cluster' }, `a berth cluster file is one file; got ${files.length}`);
      const loaded = await loadClusterFile(files[0]!);
      return { nodes: loaded.nodes, changes: [], files: [{ path: files[0]!, sha256: loaded.sha256 }] };
    }
    case 'google2011':
    case 'google2019': {
      const m = await loadGoogleMachines(files, format, options);
      return { nodes: m.nodes, changes: m.events, files: m.files };
    }
    case 'alibaba2018': {
      const m = await loadAlibabaMachines(files, options.scaleMemory ?? ALIBABA_MEMORY_GIB);
      return { nodes: m.nodes, changes: m.events, files: m.files };
    }
    case 'openb': {
      if (files.length !== 1) throw new InputError({ field: '--cluster' }, `an openb node list is one file; got ${files.length}`);
      const m = await loadOpenbNodes(files[0]!);
      return { nodes: m.nodes, changes: [], files: [{ path: files[0]!, sha256: m.sha256 }] };
    }
  }
}

/** Machines a trace describes by itself, for a run without --cluster (SWF's header). */
export async function machinesOfTrace(format: TraceFormat, inputs: readonly string[]): Promise<Machines | undefined> {
  if (format !== 'swf') return undefined;
  const first = expandInputs(inputs)[0]!;
  return { nodes: swfCluster(await readSwfHeader(first), first), changes: [], files: [] };
}

/** The default scales, for help and documentation. */
export const DEFAULT_SCALES = {
  google2011: GOOGLE_SCALE.google2011, google2019: GOOGLE_SCALE.google2019, alibaba2018: { memory: ALIBABA_MEMORY_GIB },
} as const;
