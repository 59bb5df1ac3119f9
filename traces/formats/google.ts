// Google's cluster traces: 2011 (clusterdata-2011-2, CSV without headers, part files) and 2019
// (clusterdata-2019, the JSON Lines export of its BigQuery tables). Times are µs; time 0 is the
// snapshot before the window and 2^63-1 "after the window" (such events are dropped: the task is
// still running at the end). Resources are normalised to the largest machine: `--scale-cpu` and
// `--scale-memory` say what 1.0 is worth (defaults: our assumption of the era's largest machine,
// 2011: 32 cores and 128 GiB; 2019: 96 cores and 384 GiB; the traces do not say).
//
// Tables are recognised by name in the path: task_events and task_constraints (2011),
// instance_events (2019; instances of alloc sets, reservations, are left out); machine_events and
// machine_attributes for the machines. The task lifecycle and what is replayed: google-join.ts.
// Event codes differ between the two years:
// 2011 SUBMIT 0 SCHEDULE 1 EVICT 2 FAIL 3 FINISH 4 KILL 5 LOST 6 UPDATE 7-8, machines ADD 0
// REMOVE 1 UPDATE 2; 2019 SUBMIT 0 QUEUE 1 ENABLE 2 SCHEDULE 3 EVICT 4 FAIL 5 FINISH 6 KILL 7
// LOST 8 UPDATE 9-10, machines ADD 1 REMOVE 2 UPDATE 3.

import { InputError } from '../../sim/errors.ts';
import type { NodeSpec } from '../../sim/cluster-file.ts';
import { MIB_PER_GIB, MILLI_PER_CORE, toBase } from '../../sim/units.ts';
import { mergeByTime } from '../merge.ts';
import type { Constraint, NodeRecord, TraceRecord } from '../record.ts';
import { sortByTime } from '../sort.ts';
import {
  RowError, byTable, csvRows, decimal, digits, guarded, leaveOut, lineChunks, newStats, number, optionalNumber, skipOrThrow, splitCsvLine, textLines,
  type OpenedTrace, type ReadOptions, type ReadStats,
} from './common.ts';
import { TaskJoin, type LifecycleEvent, type TaskEvent } from './google-join.ts';

export type GoogleVersion = 'google2011' | 'google2019';

export const GOOGLE_SCALE: Readonly<Record<GoogleVersion, { cpu: number; memory: number }>> = {
  google2011: { cpu: 32, memory: 128 },
  google2019: { cpu: 96, memory: 384 },
};

/** Times from here on are "after the window" (2^63-1 in the traces). */
const AFTER_WINDOW = 2 ** 62;

const EVENTS_2011: readonly LifecycleEvent[] = ['submit', 'schedule', 'evict', 'fail', 'finish', 'kill', 'lost', 'update', 'update'];
const EVENTS_2019: readonly LifecycleEvent[] = ['submit', 'other', 'other', 'schedule', 'evict', 'fail', 'finish', 'kill', 'lost', 'update', 'update'];
const OPS_2011: readonly Constraint['op'][] = ['==', '<', '>', '!='];
const OPS_2019: readonly Constraint['op'][] = ['==', '!=', '<', '>', '<=', '>=', 'exists', 'missing'];

export interface Scale {
  readonly cpu: number; // millicores per unit
  readonly memory: number; // MiB per unit
}

function scaleOf(version: GoogleVersion, options: { scaleCpu?: number; scaleMemory?: number }): Scale {
  return {
    cpu: (options.scaleCpu ?? GOOGLE_SCALE[version].cpu) * MILLI_PER_CORE,
    memory: (options.scaleMemory ?? GOOGLE_SCALE[version].memory) * MIB_PER_GIB,
  };
}

export function openGoogle(files: readonly string[], version: GoogleVersion, options: ReadOptions): OpenedTrace {
  const stats = newStats();
  const scale = scaleOf(version, options);
  const tables = byTable(files, version === 'google2011' ? ['task_events', 'task_constraints'] : ['instance_events'], version);
  const streams: AsyncIterable<TaskEvent[]>[] = version === 'google2011'
    ? [...(tables.get('task_events') ?? []).map((f) => taskEvents2011(f, scale, options, stats)),
       ...(tables.get('task_constraints') ?? []).map((f) => constraints2011(f, options, stats))]
    : (tables.get('instance_events') ?? []).map((f) => instanceEvents2019(f, scale, options, stats));
  if (streams.length === 0) throw new InputError({ file: files[0] }, `no task events among the files: expected ${version === 'google2011' ? 'task_events' : 'instance_events'} in their paths`);
  async function* joined(): AsyncGenerator<TraceRecord[]> {
    const join = new TaskJoin(options.replay, stats);
    for await (const events of mergeByTime(streams, (e) => e.time)) {
      const out: TraceRecord[] = [];
      for (const e of events) {
        const record = join.apply(e);
        if (record) out.push(record);
      }
      if (out.length > 0) yield out;
    }
    yield [...join.finish()];
  }
  return { source: sortByTime(joined()), stats };
}

/** 2019's collection_type of an alloc set (0 is a job). */
const ALLOC_SET = 1;

/** A scheduling class, 0-3, or undefined when the row has none. */
function schedulingClass(v: number | undefined, field: string): number | undefined {
  if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 3)) throw new RowError(field, `expected a scheduling class 0-3; got ${v}`);
  return v;
}

/** A non-negative amount in trace units, scaled; empty reads as undefined. */
function amount(raw: string | undefined, field: string, per: number): number | undefined {
  const v = optionalNumber(raw, field, 'a normalised amount');
  if (v === undefined) return undefined;
  if (v < 0) throw new RowError(field, `expected a normalised amount >= 0; got ${raw}`);
  return toBase(v, per);
}

/**
 * task_events (2011), the bulk of the trace, read without a general CSV tokenizer: its rows are
 * plain ASCII (no quotes), so each chunk's bytes are scanned once for line ends and commas,
 * numbers are read from their digits, and only the strings the join needs are cut from the
 * chunk's text. A row with a quote, too few columns or anything unusual in a number goes through
 * the tokenizer after all (and so does every row of a chunk that is not ASCII), which says what
 * is wrong.
 */
export async function* taskEvents2011(path: string, scale: Scale, options: ReadOptions, stats: ReadStats): AsyncGenerator<TaskEvent[]> {
  const commas = new Int32Array(TASK_EVENT_COLUMNS - 1);
  let line = 0;
  for await (const { bytes, ascii } of lineChunks(path, stats)) {
    const out: TaskEvent[] = [];
    const careful = (text: string) => {
      if (text.trim() === '') return; // a blank line
      stats.rows++;
      try {
        const e = taskEvent2011Fields(splitCsvLine(text), scale);
        if (e) out.push(e);
      } catch (err) {
        if (!(err instanceof RowError)) throw err;
        skipOrThrow(stats, options, new InputError({ file: path, line, field: err.field }, err.problem));
      }
    };
    if (ascii === undefined) {
      const text = bytes.toString('utf8');
      const lines = text.split('\n');
      if (text.endsWith('\n')) lines.pop();
      for (const text of lines) {
        line++;
        careful(text.endsWith('\r') ? text.slice(0, -1) : text);
      }
    } else {
      for (let start = 0, n = bytes.length; start < n;) {
        line++;
        let count = 0, quote = false, end = start;
        for (; end < n; end++) {
          const b = bytes[end]!;
          if (b > 44) continue; // digits, letters, '-' and '.': most bytes, one test
          if (b === 44 /* , */) {
            if (count < commas.length) commas[count++] = end;
          } else if (b === 10 /* \n */) {
            break;
          } else if (b === 34 /* " */) {
            quote = true;
          }
        }
        const e = quote || count < commas.length ? CAREFUL : taskEventAt(bytes, ascii, start, commas, scale);
        if (e === CAREFUL) {
          careful(ascii.slice(start, end > start && bytes[end - 1] === 13 /* \r */ ? end - 1 : end));
        } else {
          stats.rows++;
          if (e !== undefined) out.push(e);
        }
        start = end + 1;
      }
    }
    yield out;
  }
}

const TASK_EVENT_COLUMNS = 13;
/** A row the fast path leaves to the tokenizer. */
const CAREFUL = null;

/**
 * The task_events row that starts at `start` of a chunk (bytes, and the same as ASCII text), its
 * 12 commas at `c`: a task event, undefined for one after the window, or CAREFUL for a row with
 * anything unusual (an unknown code, a sign, a blank where a number belongs).
 */
function taskEventAt(bytes: Uint8Array, text: string, start: number, c: Int32Array, scale: Scale): TaskEvent | undefined | typeof CAREFUL {
  const time = digits(bytes, start, c[0]!);
  if (time === undefined) return CAREFUL;
  if (time >= AFTER_WINDOW) return undefined;
  const type = digits(bytes, c[4]! + 1, c[5]!);
  const event = type === undefined ? undefined : EVENTS_2011[type];
  const klass = digits(bytes, c[6]! + 1, c[7]!);
  const priority = digits(bytes, c[7]! + 1, c[8]!);
  if (event === undefined || (klass !== undefined && klass > 3) ||
    (klass === undefined && c[7]! > c[6]! + 1) || (priority === undefined && c[8]! > c[7]! + 1)) {
    return CAREFUL;
  }
  const cpu = amountAt(bytes, c[8]! + 1, c[9]!, scale.cpu);
  const memory = amountAt(bytes, c[9]! + 1, c[10]!, scale.memory);
  if (cpu === CAREFUL || memory === CAREFUL) return CAREFUL;
  const machine = c[4]! > c[3]! + 1 ? text.slice(c[3]! + 1, c[4]!) : undefined;
  const user = c[6]! > c[5]! + 1 ? text.slice(c[5]! + 1, c[6]!) : undefined;
  return { time, job: text.slice(c[1]! + 1, c[2]!), index: text.slice(c[2]! + 1, c[3]!), event, machine, user, schedulingClass: klass, priority, cpu, memory };
}

/** The amount in bytes[from, to), scaled; undefined when empty, CAREFUL when not plain digits. */
function amountAt(bytes: Uint8Array, from: number, to: number, per: number): number | undefined | typeof CAREFUL {
  if (to <= from) return undefined;
  const v = decimal(bytes, from, to);
  return v === undefined ? CAREFUL : toBase(v, per);
}

/** A row's fields (at least the first 11 of task_events) as a task event. */
function taskEvent2011Fields(f: readonly string[], scale: Scale): TaskEvent | undefined {
  if (f.length < 11) throw new RowError('the row', `expected the 13 columns of task_events; got ${f.length}`);
  const time = number(f[0], 'column 1 (time)', 'microseconds');
  if (time >= AFTER_WINDOW) return undefined;
  const type = number(f[5], 'column 6 (event type)', 'an event code 0-8');
  const event = EVENTS_2011[type];
  if (event === undefined) throw new RowError('column 6 (event type)', `expected an event code 0-8; got ${f[5]}`);
  return {
    time, job: f[2]!, index: f[3]!, event, machine: f[4] || undefined, user: f[6] || undefined,
    schedulingClass: schedulingClass(optionalNumber(f[7], 'column 8 (scheduling class)', 'a scheduling class 0-3'), 'column 8 (scheduling class)'),
    priority: optionalNumber(f[8], 'column 9 (priority)', 'a priority'),
    cpu: amount(f[9], 'column 10 (CPU request)', scale.cpu),
    memory: amount(f[10], 'column 11 (memory request)', scale.memory),
  };
}

async function* constraints2011(path: string, options: ReadOptions, stats: ReadStats): AsyncGenerator<TaskEvent[]> {
  for await (const rows of csvRows(path, stats)) {
    const out: TaskEvent[] = [];
    for (const { fields: f, line } of rows) {
      const e = guarded(stats, options, path, line, (): TaskEvent => {
        if (f.length < 6) throw new RowError('the row', `expected the 6 columns of task_constraints; got ${f.length}`);
        const code = number(f[3], 'column 4 (comparison operator)', 'an operator code 0-3');
        const op = OPS_2011[code];
        if (op === undefined) throw new RowError('column 4 (comparison operator)', `expected an operator code 0-3; got ${f[3]}`);
        return {
          time: number(f[0], 'column 1 (time)', 'microseconds'), job: f[1]!, index: f[2]!, event: 'other',
          constraints: [{ label: f[4]!, op, value: f[5] ?? '' }],
        };
      });
      if (e) out.push(e);
    }
    yield out;
  }
}

/** A field of a 2019 JSON row (int64 may come quoted). */
function field(obj: Record<string, unknown>, name: string): unknown {
  return obj[name];
}

function jsonNumber(value: unknown, name: string, what: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new RowError(name, `expected ${what}; got ${JSON.stringify(value)}`);
  return n;
}

/** The JSON object on a line (a RowError when it is not one). */
function jsonObject(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new RowError('the line', `not valid JSON: ${(err as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new RowError('the line', 'expected a JSON object');
  return v as Record<string, unknown>;
}

/** The non-empty lines of a JSON Lines file, in batches. */
async function* jsonLines(path: string, stats: ReadStats): AsyncGenerator<{ text: string; line: number }[]> {
  for await (const lines of textLines(path, stats)) yield lines.filter((l) => l.text.trim() !== '');
}

async function* instanceEvents2019(path: string, scale: Scale, options: ReadOptions, stats: ReadStats): AsyncGenerator<TaskEvent[]> {
  for await (const rows of jsonLines(path, stats)) {
    const out: TaskEvent[] = [];
    for (const { text, line } of rows) {
      const e = guarded(stats, options, path, line, (): TaskEvent | undefined => {
        const obj = jsonObject(text);
        const time = jsonNumber(field(obj, 'time'), 'time', 'microseconds');
        if (time === undefined) throw new RowError('time', 'missing: expected microseconds');
        if (time >= AFTER_WINDOW) return undefined;
        const type = jsonNumber(field(obj, 'type'), 'type', 'an event code 0-10') ?? 0;
        const event = EVENTS_2019[type];
        if (event === undefined) throw new RowError('type', `expected an event code 0-10; got ${type}`);
        const collectionType = jsonNumber(field(obj, 'collection_type'), 'collection_type', 'a collection type 0-1') ?? 0;
        if (collectionType === ALLOC_SET) {
          // A reservation that other instances run inside: replaying it would count their work twice.
          if (event === 'submit') leaveOut(stats, 'instance of an alloc set (a reservation, not work)');
          return undefined;
        }
        const request = (field(obj, 'resource_request') ?? {}) as Record<string, unknown>;
        const cpus = jsonNumber(request.cpus, 'resource_request.cpus', 'normalised cpus');
        const memory = jsonNumber(request.memory, 'resource_request.memory', 'normalised memory');
        const machine = jsonNumber(field(obj, 'machine_id'), 'machine_id', 'a machine id');
        const constraints = (field(obj, 'constraint') as Record<string, unknown>[] | undefined)?.map((c, i) => {
          const op = OPS_2019[jsonNumber(c.relation, `constraint[${i}].relation`, 'a relation code 0-7') ?? 0];
          if (op === undefined) throw new RowError(`constraint[${i}].relation`, `expected a relation code 0-7; got ${JSON.stringify(c.relation)}`);
          return { label: String(c.name), op, value: String(c.value ?? '') };
        });
        return {
          time, job: String(field(obj, 'collection_id')), index: String(field(obj, 'instance_index') ?? 0), event,
          machine: machine !== undefined && machine > 0 ? String(machine) : undefined,
          priority: jsonNumber(field(obj, 'priority'), 'priority', 'a priority'),
          schedulingClass: schedulingClass(jsonNumber(field(obj, 'scheduling_class'), 'scheduling_class', 'a scheduling class 0-3'), 'scheduling_class'),
          cpu: cpus === undefined ? undefined : toBase(cpus, scale.cpu),
          memory: memory === undefined ? undefined : toBase(memory, scale.memory),
          ...(constraints && constraints.length > 0 && { constraints }),
        };
      });
      if (e) out.push(e);
    }
    yield out;
  }
}

/** A machine event, normalised. */
interface MachineEvent {
  readonly time: number;
  readonly machine: string;
  readonly event: 'add' | 'remove' | 'update';
  readonly cpu?: number | undefined;
  readonly memory?: number | undefined;
  readonly platform?: string | undefined;
}

/**
 * machine_events (and, for 2011, machine_attributes): every machine the trace names is a node;
 * those added at the start are up, the others join when added. A removal evicts a machine's
 * tasks; an addition after it brings the machine back; an update changes its capacity. Labels:
 * the platform, and the attributes a machine has when first seen (later changes are not
 * replayed).
 */
export async function loadGoogleMachines(files: readonly string[], version: GoogleVersion, options: { scaleCpu?: number; scaleMemory?: number }): Promise<{
  nodes: NodeSpec[]; events: NodeRecord[]; files: { path: string; sha256: string }[];
}> {
  const stats = newStats();
  const scale = scaleOf(version, options);
  const tables = byTable(files, ['machine_events', 'machine_attributes'], version);
  const strict: ReadOptions = { replay: 'reschedule', skipBadRows: false };
  const raw: MachineEvent[] = [];
  for (const file of tables.get('machine_events') ?? []) {
    if (version === 'google2011') {
      for await (const rows of csvRows(file, stats)) {
        for (const { fields: f, line } of rows) {
          const e = guarded(stats, strict, file, line, (): MachineEvent => {
            if (f.length < 6) throw new RowError('the row', `expected the 6 columns of machine_events; got ${f.length}`);
            const code = number(f[2], 'column 3 (event type)', 'an event code 0-2');
            const event = (['add', 'remove', 'update'] as const)[code];
            if (event === undefined) throw new RowError('column 3 (event type)', `expected an event code 0-2; got ${f[2]}`);
            return {
              time: number(f[0], 'column 1 (time)', 'microseconds'), machine: f[1]!, event, platform: f[3] || undefined,
              cpu: amount(f[4], 'column 5 (CPUs)', scale.cpu), memory: amount(f[5], 'column 6 (memory)', scale.memory),
            };
          });
          if (e) raw.push(e);
        }
      }
    } else {
      for await (const rows of jsonLines(file, stats)) {
        for (const { text, line } of rows) {
          const e = guarded(stats, strict, file, line, (): MachineEvent => {
            const obj = jsonObject(text);
            const code = jsonNumber(obj.type, 'type', 'an event code 1-3');
            const event = code === 1 ? 'add' : code === 2 ? 'remove' : code === 3 ? 'update' : undefined;
            if (event === undefined) throw new RowError('type', `expected an event code 1-3; got ${JSON.stringify(obj.type)}`);
            const capacity = (obj.capacity ?? {}) as Record<string, unknown>;
            const cpus = jsonNumber(capacity.cpus, 'capacity.cpus', 'normalised cpus');
            const memory = jsonNumber(capacity.memory, 'capacity.memory', 'normalised memory');
            return {
              time: jsonNumber(obj.time, 'time', 'microseconds') ?? 0, machine: String(obj.machine_id), event,
              ...(obj.platform_id !== undefined && { platform: String(obj.platform_id) }),
              cpu: cpus === undefined ? undefined : toBase(cpus, scale.cpu),
              memory: memory === undefined ? undefined : toBase(memory, scale.memory),
            };
          });
          if (e) raw.push(e);
        }
      }
    }
  }
  if (raw.length === 0) throw new InputError({ file: files[0] }, 'no machine events among the files: expected machine_events in their paths');
  const attributes = await machineAttributes(tables.get('machine_attributes') ?? [], stats);
  raw.sort((a, b) => a.time - b.time);
  const start = raw[0]!.time;
  const nodes = new Map<string, NodeSpec>();
  const state = new Map<string, { present: boolean; cpu: number; memory: number }>();
  const events: NodeRecord[] = [];
  for (const e of raw) {
    let m = state.get(e.machine);
    if (!m) {
      const fromStart = e.time === start && e.event === 'add';
      m = { present: fromStart, cpu: e.cpu ?? 0, memory: e.memory ?? 0 };
      state.set(e.machine, m);
      nodes.set(e.machine, {
        name: e.machine, cpu: m.cpu, memory: m.memory, gpu: 0, status: fromStart ? 'up' : 'absent',
        labels: { ...(e.platform && { platform: e.platform }), ...attributes.get(e.machine) },
      });
      if (fromStart) continue;
    }
    const cpu = e.cpu ?? m.cpu, memory = e.memory ?? m.memory;
    const capacity = cpu !== m.cpu || memory !== m.memory ? { cpu, memory, gpu: 0 } : undefined;
    m.cpu = cpu;
    m.memory = memory;
    if (e.event === 'remove') {
      if (m.present) events.push({ kind: 'node', time: e.time, node: e.machine, change: 'remove' });
      m.present = false;
    } else if (e.event === 'add' || !m.present) {
      events.push({ kind: 'node', time: e.time, node: e.machine, change: 'add', ...(capacity && { capacity }) });
      m.present = true;
    } else if (capacity) {
      events.push({ kind: 'node', time: e.time, node: e.machine, change: 'update', capacity });
    }
  }
  return { nodes: [...nodes.values()], events, files: stats.files };
}

/** machine_attributes (2011): the attributes each machine has when first seen. */
async function machineAttributes(files: readonly string[], stats: ReadStats): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  const seenAt = new Map<string, number>();
  for (const file of files) {
    for await (const rows of csvRows(file, stats)) {
      for (const { fields: f, line } of rows) {
        guarded(stats, { replay: 'reschedule', skipBadRows: false }, file, line, () => {
          if (f.length < 5) throw new RowError('the row', `expected the 5 columns of machine_attributes; got ${f.length}`);
          const time = number(f[0], 'column 1 (time)', 'microseconds');
          const machine = f[1]!;
          const first = seenAt.get(machine) ?? time;
          seenAt.set(machine, first);
          if (time !== first) return;
          const labels = out.get(machine) ?? {};
          if (f[4] === '1') delete labels[f[2]!];
          else labels[f[2]!] = f[3] ?? '';
          out.set(machine, labels);
        });
      }
    }
  }
  return out;
}
