// `berth trace inspect`, `berth trace convert` and `berth trace fetch`: look at a trace, turn it
// into the native format, and download the public ones.

import { dirname } from 'node:path';
import { ensureDir } from '../sim/outputs.ts';
import { TRACE_FORMATS, openTrace, type OpenedTrace, type TraceFormat } from '../traces/formats/index.ts';
import type { ReadOptions } from '../traces/formats/common.ts';
import { cacheKey, cacheTargetFor, writeCache } from '../traces/cache.ts';
import { expandInputs } from '../traces/files.ts';
import type { ReplayMode } from '../sim/simulation.ts';
import { inspectTrace, type Distribution, type TraceProfile } from '../traces/inspect.ts';
import { convertToNative } from '../traces/convert.ts';
import { bytesText, fetchSet, type FetchStatus } from '../traces/fetch.ts';
import { TRACE_SETS, parseParts, traceSet } from '../traces/sets.ts';
import { UsageError, choiceFlag, numberFlag, parseFlags, stringFlag, type Flags } from './args.ts';
import { compact, duration, thousands } from './format.ts';
import { statusLine } from './progress.ts';
import { parseColumns } from './generate.ts';

const READ_OPTIONS = {
  format: { type: 'string' },
  'skip-bad-rows': { type: 'boolean' },
  'scale-cpu': { type: 'string' },
  'scale-memory': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const READ_HELP = `  --format F           ${TRACE_FORMATS.join(', ')} (default berth)
  --skip-bad-rows      pass over malformed rows, counting them, instead of stopping
  --scale-cpu CORES    what 1.0 (Google) is worth in cores
  --scale-memory GIB   what 1.0 (Google), or 100 (Alibaba), of memory is worth in GiB
  --quiet              no progress display`;

export const TRACE_INSPECT_HELP = `usage: berth trace inspect FILE… --format F [--json] [--skip-bad-rows] [--scale-cpu C] [--scale-memory G]

Reads a trace (files, folders or globs, gzipped or not) and characterises it: tasks, jobs and
users, time span and arrivals over time, the distributions of cpu, memory, GPUs and duration,
priorities, and what the readers passed over or left out.

${READ_HELP}
  --json               print the characterisation as JSON`;

export const TRACE_CONVERT_HELP = `usage: berth trace convert FILE… --format F --out T.csv[.gz] [--columns LIST] [--skip-bad-rows] [--scale-cpu C] [--scale-memory G]
       berth trace convert FILE… --format F --to cache [--replay reschedule|trace] [--skip-bad-rows] [--scale-cpu C] [--scale-memory G]

Writes a trace's tasks, as berth replays them with --replay reschedule, as a native CSV trace
(gzipped when the name ends in .gz). The native format holds id, submit, duration, cpu, memory,
gpu, priority, job and user; constraints, dependencies between tasks, run-time estimates,
scheduling classes and machine changes are not written, and the command says how many tasks had
them.

With --to cache, writes instead a binary cache of everything the reader gives, beside the first
input (T.csv.berth-cache), or, when that folder may not be written, in the user's cache folder
($BERTH_CACHE_DIR, else ~/.cache/berth). berth sim, trace inspect and trace convert then read the
cache instead of parsing, as long as the files (their sizes and modification times), the format
and the reading options are the same; otherwise they parse the trace as usual.

${READ_HELP}
  --to FORMAT          berth (default: a native CSV trace) or cache
  --out FILE           the native trace to write (.csv or .csv.gz)
  --columns LIST       columns to write (default all but group and the placement rules constraints,
                       tolerations,affinity,antiAffinity,spread); id,submit,duration,cpu,memory at least
  --replay MODE        with --to cache: the mode the cache is for (default reschedule)`;

export const TRACE_FETCH_HELP = `usage: berth trace fetch SET [--out DIR] [--parts LIST] [--logs LIST] [--base-url URL] [--quiet]
       berth trace fetch --list

Downloads a public trace set: with progress on a terminal, checking each file against its
published SHA-256, resuming what an interrupted run left (run it again), never overwriting a
file already there. Sets: ${TRACE_SETS.map((s) => s.name).join(', ')}.

  --out DIR            where to put the files (default data/SET)
  --parts LIST         google2011: which of the 500 parts of task_events and task_constraints,
                       e.g. 0-4 or 0,7,10-19 (default all)
  --logs LIST          swf: which Parallel Workloads Archive logs (default KTH-SP2, LANL-CM5, NASA-iPSC)
  --base-url URL       fetch from another address holding the same files (a mirror)
  --list               list the sets, where they come from and how they are checked`;

export async function traceInspect(args: string[]): Promise<void> {
  const { flags, positionals } = parseFlags(args, { ...READ_OPTIONS, json: { type: 'boolean' } }, Infinity);
  if (flags.help) return void process.stdout.write(TRACE_INSPECT_HELP + '\n');
  const { format, trace } = openFromFlags(flags, positionals);
  const status = statusLine(flags.quiet === true || flags.json === true);
  let profile: TraceProfile;
  try {
    profile = await inspectTrace(trace.source, (tasks) => status.show(() => `berth trace inspect · ${compact(tasks)} tasks read`));
  } finally {
    status.done();
  }
  const s = trace.stats;
  const report = { format, files: s.files, rows: s.rows, skippedRows: s.skippedRows, leftOut: s.leftOut, ...profile };
  if (flags.json) return void process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(formatProfile(report) + '\n');
}

export async function traceConvert(args: string[]): Promise<void> {
  const { flags, positionals } = parseFlags(args, {
    ...READ_OPTIONS, out: { type: 'string' }, columns: { type: 'string' }, to: { type: 'string' }, replay: { type: 'string' },
  }, Infinity);
  if (flags.help) return void process.stdout.write(TRACE_CONVERT_HELP + '\n');
  if (choiceFlag(flags, 'to', ['berth', 'cache'] as const) === 'cache') return convertToCache(flags, positionals);
  if (flags.replay !== undefined) throw new UsageError('--replay goes with --to cache: a native trace is written as --replay reschedule replays it');
  const out = stringFlag(flags, 'out');
  if (out === undefined) throw new UsageError('--out T.csv is required');
  if (!/\.csv(\.gz)?$/i.test(out)) throw new UsageError(`--out: the native trace is written as CSV; give a name ending in .csv or .csv.gz, not ${JSON.stringify(out)}`);
  const columns = parseColumns(stringFlag(flags, 'columns'));
  const { trace } = openFromFlags(flags, positionals);
  await ensureDir(dirname(out));
  const status = statusLine(flags.quiet === true);
  let result;
  try {
    result = await convertToNative(trace.source, out, columns, (tasks) => status.show(() => `berth trace convert · ${compact(tasks)} tasks written`));
  } finally {
    status.done();
  }
  const s = trace.stats;
  const lines = [`wrote ${thousands(result.tasks)} tasks to ${out} (from ${thousands(s.rows)} rows` +
    `${s.skippedRows ? `, ${thousands(s.skippedRows)} malformed passed over` : ''}` +
    `${Object.entries(s.leftOut).map(([why, n]) => `, ${thousands(n)} left out: ${why}`).join('')})`];
  const lost = result.notWritten;
  const notes = [
    lost.dependencies ? `${thousands(lost.dependencies)} tasks waited for other tasks` : '',
    lost.estimates ? `${thousands(lost.estimates)} tasks had run-time estimates` : '',
    lost.schedulingClasses ? `${thousands(lost.schedulingClasses)} tasks had scheduling classes` : '',
    lost.machineChanges ? `the trace held ${thousands(lost.machineChanges)} machine changes (give its machine table with --cluster when replaying)` : '',
  ].filter(Boolean);
  if (notes.length > 0) lines.push(`not written, the native format cannot hold it: ${notes.join('; ')}`);
  if (lost.constraints) lines.push(`not written: ${thousands(lost.constraints)} tasks had placement constraints (add the column constraints to --columns to keep them)`);
  process.stdout.write(lines.join('\n') + '\n');
}

export async function traceFetch(args: string[]): Promise<void> {
  const { flags, positionals } = parseFlags(args, {
    out: { type: 'string' }, parts: { type: 'string' }, logs: { type: 'string' }, 'base-url': { type: 'string' },
    list: { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  }, 1);
  if (flags.help) return void process.stdout.write(TRACE_FETCH_HELP + '\n');
  if (flags.list) return void process.stdout.write(listSets() + '\n');
  const name = positionals[0];
  if (name === undefined) throw new UsageError(`which set? expected one of ${TRACE_SETS.map((s) => s.name).join(', ')} (berth trace fetch --list)`);
  if (!TRACE_SETS.some((s) => s.name === name)) throw new UsageError(`unknown trace set ${JSON.stringify(name)}; expected one of ${TRACE_SETS.map((s) => s.name).join(', ')}`);
  const set = traceSet(name);
  const parts = stringFlag(flags, 'parts'), logs = stringFlag(flags, 'logs');
  if (parts !== undefined && set.selects !== 'parts') throw new UsageError(`--parts goes with a set cut into parts (google2011), not ${set.name}`);
  if (logs !== undefined && set.selects !== 'logs') throw new UsageError(`--logs goes with the swf set, not ${set.name}`);
  if (set.baseUrl === undefined) {
    process.stdout.write(`${set.title}: it cannot be downloaded.\n${set.byHand ?? ''}\n\nThen replay it with:\n  ${set.replay('DIR')}\n`);
    return;
  }
  const baseUrl = stringFlag(flags, 'base-url');
  if (baseUrl !== undefined && !/^https?:\/\/\S+$/i.test(baseUrl)) throw new UsageError(`--base-url expects an http:// or https:// address; got ${JSON.stringify(baseUrl)}`);
  const out = stringFlag(flags, 'out') ?? `data/${set.name}`;
  await ensureDir(out);
  const status = statusLine(flags.quiet === true);
  const started = Date.now();
  let fetched;
  try {
    fetched = await fetchSet(set, {
      out,
      selection: {
        ...(parts !== undefined && { parts: parseParts(parts) }),
        ...(logs !== undefined && { logs: logs.split(',').map((l) => l.trim()).filter(Boolean) }),
      },
      ...(baseUrl !== undefined && { baseUrl }),
      onStatus: (s) => status.show(() => fetchStatusText(s, started)),
      log: (line) => {
        status.done();
        if (flags.quiet !== true) process.stdout.write(line + '\n');
      },
    });
  } finally {
    status.done();
  }
  const bytes = fetched.reduce((sum, f) => sum + f.bytes, 0);
  const unchecked = fetched.filter((f) => f.checked === 'none').length;
  process.stdout.write(`${set.name}: ${fetched.length} file${fetched.length === 1 ? "" : "s"}, ${bytesText(bytes)} in ${out}` +
    ` (${fetched.filter((f) => f.outcome !== 'present').length} downloaded now; ` +
    `${unchecked === 0 ? 'all checked against their SHA-256' : `${unchecked} without a published checksum to check`})\n`);
  if (set.note) process.stdout.write(`note: ${set.note}\n`);
  process.stdout.write(`replay it with:\n  ${set.replay(out)}\n`);
}

function fetchStatusText(s: FetchStatus, started: number): string {
  const head = `berth trace fetch · ${s.index}/${s.count} ${s.file}`;
  if (s.phase === 'unpack') return `${head} · unpacking`;
  const of = s.total !== undefined ? ` of ${bytesText(s.total)} (${Math.floor((100 * s.bytes) / s.total)}%)` : '';
  const seconds = (Date.now() - started) / 1000;
  const rate = s.phase === 'download' && seconds > 1 ? ` · ${bytesText(s.bytes / seconds)}/s` : '';
  return `${head} · ${s.phase === 'check' ? 'checking ' : ''}${bytesText(s.bytes)}${of}${rate}`;
}

function listSets(): string {
  return TRACE_SETS.map((s) => [
    `${s.name.padEnd(12)} ${s.title}`,
    `${''.padEnd(12)} ${s.baseUrl !== undefined ? `from ${s.baseUrl}` : 'by hand only'} · checksums: ${s.checksums}`,
  ].join('\n')).join('\n');
}

function readOptionsFromFlags(flags: Flags, replay: ReplayMode = 'reschedule'): ReadOptions {
  const scaleCpu = numberFlag(flags, 'scale-cpu', { min: 0, exclusiveMin: true, max: 1e6 });
  const scaleMemory = numberFlag(flags, 'scale-memory', { min: 0, exclusiveMin: true, max: 1e9 });
  return {
    replay, skipBadRows: flags['skip-bad-rows'] === true,
    ...(scaleCpu !== undefined && { scaleCpu }), ...(scaleMemory !== undefined && { scaleMemory }),
  };
}

function openFromFlags(flags: Flags, files: string[]): { format: TraceFormat; trace: OpenedTrace } {
  if (files.length === 0) throw new UsageError('which trace? give its files, folders or globs');
  const format = choiceFlag(flags, 'format', TRACE_FORMATS) ?? 'berth';
  return { format, trace: openTrace(format, files, readOptionsFromFlags(flags)) };
}

/** `berth trace convert … --to cache`: the records as the reader gives them, parsed afresh. */
async function convertToCache(flags: Flags, inputs: string[]): Promise<void> {
  if (inputs.length === 0) throw new UsageError('which trace? give its files, folders or globs');
  if (flags.out !== undefined || flags.columns !== undefined) throw new UsageError('--to cache writes beside the first input: --out and --columns do not apply');
  const format = choiceFlag(flags, 'format', TRACE_FORMATS) ?? 'berth';
  const options = readOptionsFromFlags(flags, choiceFlag(flags, 'replay', ['reschedule', 'trace'] as const) ?? 'reschedule');
  const files = expandInputs(inputs);
  const trace = openTrace(format, inputs, options, false);
  const path = cacheTargetFor(inputs);
  const status = statusLine(flags.quiet === true);
  let records;
  try {
    records = await writeCache(path, cacheKey(format, files, options), trace.source, trace.stats,
      (n) => status.show(() => `berth trace convert · ${compact(n)} records cached`));
  } finally {
    status.done();
  }
  process.stdout.write(`wrote a cache of ${thousands(records)} records (from ${thousands(trace.stats.rows)} rows of ${files.length} file${files.length === 1 ? '' : 's'}) to ${path}\n` +
    `berth reads it instead of parsing while the files, --format and the reading options stay the same\n`);
}

// ---- The characterisation, for people ----

type Report = TraceProfile & { format: string; files: readonly { path: string }[]; rows: number; skippedRows: number; leftOut: Record<string, number> };

function formatProfile(r: Report): string {
  const files = r.files.length <= 2 ? r.files.map((f) => f.path).join(', ') : `${r.files[0]!.path} and ${r.files.length - 1} more files`;
  const lines = [
    `berth trace inspect · ${r.format} · ${files}`,
    `rows        ${thousands(r.rows)} read${r.skippedRows ? ` · ${thousands(r.skippedRows)} malformed passed over` : ''}` +
      Object.entries(r.leftOut).map(([why, n]) => ` · ${thousands(n)} left out (${why})`).join(''),
    `tasks       ${thousands(r.tasks)}${r.jobs !== null ? ` · ${thousands(r.jobs)} jobs` : ''}${r.users !== null ? ` · ${thousands(r.users)} users` : ''}`,
  ];
  const changes = Object.entries(r.nodeChanges);
  if (changes.length > 0) lines.push(`machines    ${changes.map(([c, n]) => `${thousands(n)} ${c}`).join(' · ')}   (changes during the trace)`);
  if (r.submit === null) return lines.join('\n');
  const a = r.arrivals;
  const bin = period(a.binSeconds);
  const line = sparkline(a.counts, 64);
  lines.push(
    `submits     from ${duration(r.submit.first)} to ${duration(r.submit.last)} of trace time · span ${duration(r.submit.span)}`,
    `arrivals    ${rate(a.meanPerHour)} tasks/hour on average · busiest ${bin}: ${thousands(a.peak.tasks)} tasks, from ${duration(r.submit.first + a.peak.start)}`,
    `            ${line.text}  (tasks per ${period(a.binSeconds * line.per)}, first to last)`,
    '',
    `            ${['min', 'p50', 'p90', 'p99', 'max', 'mean'].map((h) => h.padStart(10)).join('')}`,
    distributionLine('cpu cores', r.cpuCores, number),
    distributionLine('memory GiB', r.memoryGiB, number),
    ...(r.gpus !== null ? [distributionLine('gpus', r.gpus, number)] : []),
    distributionLine('duration', r.durationSeconds, duration),
    '',
    `priorities  ${priorities(r)}`,
    ...(r.schedulingClasses.length > 0
      ? [`classes     ${r.schedulingClasses.map((c) => `${c.schedulingClass}: ${(100 * c.tasks / r.tasks).toFixed(1)} %`).join(' · ')}   (scheduling class, 3 most latency-sensitive)`]
      : []),
  );
  const also = [
    r.withConstraints ? `${thousands(r.withConstraints)} with placement constraints` : '',
    r.withDependencies ? `${thousands(r.withDependencies)} waiting for other tasks` : '',
    r.withEstimate ? `${thousands(r.withEstimate)} with run-time estimates` : '',
  ].filter(Boolean);
  if (also.length > 0) lines.push(`tasks also  ${also.join(' · ')}`);
  return lines.join('\n');
}

const rate = (x: number): string => (x >= 100 ? thousands(x) : Number(x.toPrecision(3)).toString());
const number = (x: number): string => (x === 0 ? '0' : Math.abs(x) >= 1000 ? compact(x) : Number(x.toPrecision(3)).toString());

function distributionLine(label: string, d: Distribution, show: (x: number) => string): string {
  return label.padEnd(12) + [d.min, d.p50, d.p90, d.p99, d.max, d.mean].map((x) => show(x).padStart(10)).join('');
}

function priorities(r: Report): string {
  const shown = r.priorities.slice(0, 8).map((p) => `${p.priority}: ${(100 * p.tasks / r.tasks).toFixed(1)} %`);
  if (r.priorities.length > 8) shown.push(`and ${r.priorities.length - 8} more`);
  return shown.join(' · ');
}

const BLOCKS = '▁▂▃▄▅▆▇█';

/**
 * Counts as a line of block characters, at most `width` wide: `per` neighbouring counts are
 * summed into each character. An empty stretch is a space.
 */
export function sparkline(counts: readonly number[], width: number): { text: string; per: number } {
  const per = Math.max(1, Math.ceil(counts.length / width));
  const cells: number[] = [];
  for (let i = 0; i < counts.length; i += per) cells.push(counts.slice(i, i + per).reduce((a, b) => a + b, 0));
  const max = Math.max(0, ...cells);
  const text = cells.map((n) => (n === 0 ? ' ' : BLOCKS[Math.min(BLOCKS.length - 1, Math.floor((n / max) * BLOCKS.length))]!)).join('');
  return { text, per };
}

/** A bin's width for people: "hour", "8 hours", "3 days". */
function period(seconds: number): string {
  if (seconds === 3600) return 'hour';
  if (seconds % 86400 === 0) return `${seconds / 86400} days`;
  if (seconds % 3600 === 0 && seconds < 48 * 3600) return `${seconds / 3600} hours`;
  return duration(seconds);
}
