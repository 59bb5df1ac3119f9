// Reading each trace format: tasks per CPU second, from files laid out as their publishers lay them
// out (gzip where they gzip, Google's task events in several parts), every format holding the
// same synthetic tasks (the production preset), written here in that format. Then the real
// samples of ../shared/traces when they are beside the project. Each read is timed whole, in
// CPU seconds, opening to the last record, in the bundled code the command line runs, each format in a
// worker thread of its own for each way of reading it (see read-trace.ts why): five reads or more
// (a second's worth) parsing the files, then as many from the binary cache; the medians are
// reported with the spread.

import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { expandGroups } from '../sim/cluster-file.ts';
import { MICROS_PER_SECOND } from '../sim/units.ts';
import type { TraceFormat } from '../traces/formats/index.ts';
import { writeNativeCsv } from '../traces/native.ts';
import type { TaskRecord } from '../traces/record.ts';
import { productionCell, productionWorkload } from '../traces/synthetic/production.ts';
import { SHARED } from '../test/peer-support.ts';
import type { ReadRun, ReadWay } from './read-trace.ts';
import { bundle, format, median, type Row } from './util.ts';

const REPEATS = 5;
const GOOGLE_PARTS = 4;

export async function readersBench(tasks = 200_000): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-readers-'));
  try {
    const records = [...productionWorkload({ tasks, load: 0.9, seed: 1, nodes: expandGroups(productionCell(1000)) })]
      .filter((r): r is TaskRecord => r.kind === 'task');
    const cases: { name: string; format: TraceFormat; files: string[] }[] = [];
    for (const [format, write] of Object.entries(WRITERS) as [TraceFormat, Writer][]) {
      cases.push({ name: `${format} (synthetic)`, format, files: await write(records, join(dir, format)) });
    }
    // The real samples are copied, since their cache is written beside them.
    const real = (name: string, format: TraceFormat, ...path: string[]) => {
      const from = join(SHARED, 'traces', ...path);
      if (!existsSync(from)) return;
      const to = join(dir, path[path.length - 1]!);
      copyFileSync(from, to);
      cases.push({ name, format, files: [to] });
    };
    real('swf: LANL-CM5 (real)', 'swf', 'swf', 'LANL-CM5-1994-4.1-cln.swf.gz');
    real('openb: pod list (real)', 'openb', 'alibaba-gpu-v2023', 'openb_pod_list_default.csv');

    const reader = await bundle('read-trace.ts');
    const rows: Row[] = [];
    const suite = `Reading traces (${tasks.toLocaleString('en-US')} synthetic tasks per format; whole reads, per CPU second, median of ${REPEATS} or more; ` +
      'then from the binary cache; each format and way of reading in a worker of its own)';
    for (const c of cases) {
      const parsed = medianRate(await inWorker(reader, c.format, c.files, 'parse'));
      const cached = medianRate(await inWorker(reader, c.format, c.files, 'cache'));
      rows.push(
        { suite, name: `${c.name}, ${parsed.count.toLocaleString('en-US')} tasks`, perSecond: parsed.median, unit: 'tasks', error: parsed.error },
        { suite, name: `  the same from its cache: ${(cached.median / parsed.median).toFixed(1)}x`, perSecond: cached.median, unit: 'tasks', error: cached.error },
      );
      if (c.format === 'google2011') {
        // By wall time too: the rows are gunzipped on another thread, beside the parse.
        const runs = await inWorker(reader, c.format, c.files, 'google-rows');
        const parsing = medianRate(runs);
        const wall = medianRate(runs.map((r) => ({ ...r, seconds: r.wallSeconds })));
        rows.push({ suite, name: `  its task_events rows, parsing alone (before the join; ${format(wall.median)} rows per wall second)`, perSecond: parsing.median, unit: 'rows', error: parsing.error });
      }
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One format's reads one way (read-trace.ts's readCase) in a worker thread of its own. */
async function inWorker(reader: string, format: TraceFormat, files: string[], way: ReadWay): Promise<ReadRun[]> {
  const worker = new Worker(reader, { workerData: { readCase: { format, files, repeats: REPEATS, way } } });
  try {
    return await new Promise<ReadRun[]>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the ${format} reader's worker stopped (exit code ${code}) before it reported`)));
    });
  } finally {
    await worker.terminate();
  }
}

/** Items per second of the runs: the median, and half the range relative to it. */
function medianRate(runs: readonly ReadRun[]): { median: number; error: number; count: number } {
  const rates = runs.map((r) => r.count / r.seconds);
  const mid = median(rates);
  return { median: mid, error: (Math.max(...rates) - Math.min(...rates)) / 2 / mid, count: runs[0]!.count };
}

type Writer = (tasks: readonly TaskRecord[], base: string) => Promise<string[]>;

const sec = (micros: number): number => Math.round(micros / MICROS_PER_SECOND);
const cores = (t: TaskRecord): number => t.cpu / 1000;
const gib = (t: TaskRecord): number => t.memory / 1024;
/** SWF's users are numbers. */
const userNumber = (t: TaskRecord): number => Number((t.user ?? '').replace(/\D/g, '')) || 1;

function lines(path: string, rows: Iterable<string>, gzip: boolean): string {
  const text = [...rows].join('\n') + '\n';
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return path;
}

/** Events as [time, line], sorted by time, cut into `parts` files of equal time order. */
function parts(base: string, events: [number, string][], count: number, name: (i: number) => string): string[] {
  events.sort((a, b) => a[0] - b[0]);
  const per = Math.ceil(events.length / count);
  return Array.from({ length: count }, (_, i) => lines(`${base}-${name(i)}`, events.slice(i * per, (i + 1) * per).map((e) => e[1]), true));
}

const WRITERS: Partial<Record<TraceFormat, Writer>> = {
  berth: async (tasks, base) => {
    await writeNativeCsv(tasks, `${base}.csv`);
    return [`${base}.csv`];
  },
  swf: async (tasks, base) => [lines(`${base}.swf.gz`, [
    '; Version: 2.2', '; MaxProcs: 100000',
    ...tasks.map((t, i) => `${i + 1} ${sec(t.submit)} 0 ${sec(t.duration)} ${Math.ceil(cores(t))} -1 -1 ${Math.ceil(cores(t))} ${sec(t.duration) * 2} -1 1 ${userNumber(t)} 1 -1 1 1 -1 -1`),
  ], true)],
  google2011: async (tasks, base) => {
    // SUBMIT, SCHEDULE, FINISH for each task; resources normalised to 32 cores and 128 GiB.
    const events: [number, string][] = [];
    tasks.forEach((t, i) => {
      const row = (time: number, type: number, machine: string) =>
        `${time},,${t.job ?? i},${i},${machine},${type},${t.user ?? 'u0'},0,${t.priority},${cores(t) / 32},${gib(t) / 128},0,0`;
      events.push([t.submit + 1, row(t.submit + 1, 0, '')], [t.submit + 2, row(t.submit + 2, 1, `m${i % 1000}`)], [t.submit + 2 + t.duration, row(t.submit + 2 + t.duration, 4, `m${i % 1000}`)]);
    });
    return parts(join(base + '_task_events'), events, GOOGLE_PARTS, (i) => `part-0000${i}-of-0000${GOOGLE_PARTS}.csv.gz`);
  },
  google2019: async (tasks, base) => {
    const events: [number, string][] = [];
    tasks.forEach((t, i) => {
      const row = (time: number, type: number, machine?: number) => JSON.stringify({
        time, type, collection_id: t.job ?? String(i), instance_index: i, priority: t.priority, ...(machine !== undefined && { machine_id: machine }),
        resource_request: { cpus: cores(t) / 96, memory: gib(t) / 384 },
      });
      events.push([t.submit + 1, row(t.submit + 1, 0)], [t.submit + 2, row(t.submit + 2, 3, 1 + (i % 1000))], [t.submit + 2 + t.duration, row(t.submit + 2 + t.duration, 6, 1 + (i % 1000))]);
    });
    return parts(join(base + '_instance_events'), events, GOOGLE_PARTS, (i) => `${i}.json.gz`);
  },
  alibaba2018: async (tasks, base) => {
    // One batch task of one instance for each task; cpu in hundredths of a core, memory as a share of 512 GiB.
    const task = tasks.map((t, i) => `M1,1,1,j_${i},Terminated,${sec(t.submit)},${sec(t.submit + t.duration)},${Math.round(cores(t) * 100)},${(100 * gib(t)) / 512}`);
    const instance = tasks.map((t, i) => `i_${i},M1,1,j_${i},Terminated,${sec(t.submit) + 1},${sec(t.submit + t.duration) + 2},m_${i % 1000},1,1,50,90,1,2`);
    return [lines(`${base}_batch_task.csv`, task, false), lines(`${base}_batch_instance.csv`, instance, false)];
  },
  openb: async (tasks, base) => [lines(`${base}_pods.csv`, [
    'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time',
    ...tasks.map((t, i) => `pod-${i},${t.cpu},${t.memory},${t.gpu > 0 ? 1 : 0},${t.gpu > 0 ? Math.min(1000, t.gpu) : 0},${t.gpu > 0 ? 'V100M16|V100M32' : ''},LS,Succeeded,` +
      `${sec(t.submit)},${sec(t.submit + t.duration) + 1},${sec(t.submit)}`),
  ], false)],
  azure2017: async (tasks, base) => [lines(`${base}_vmtable.csv.gz`,
    tasks.map((t, i) => `vm${i},sub${t.user ?? 0},dep${t.job ?? i},${sec(t.submit)},${sec(t.submit + t.duration) + 300},90,20,60,Delay-insensitive,${Math.max(1, Math.round(cores(t)))},${gib(t).toFixed(2)}`), true)],
  azure2019: async (tasks, base) => [lines(`${base}_vmtable.csv.gz`,
    tasks.map((t, i) => `vm${i},sub${t.user ?? 0},dep${t.job ?? i},${sec(t.submit)},${sec(t.submit + t.duration) + 300},90,20,60,Interactive,` +
      `${cores(t) > 24 ? '>24' : Math.max(1, Math.round(cores(t)))},${gib(t) > 64 ? '>64' : Math.max(1, Math.round(gib(t)))}`), true)],
};
