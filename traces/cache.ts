// A binary cache of a parsed trace: the records a reader gave, in order, so that a trace read
// once replays again without parsing. `berth trace convert FILE… --format F --to cache` writes
// it beside the first input (`T.csv` → `T.csv.berth-cache`); every command that reads traces uses
// it when it is there and still valid: same berth cache version, same format and reading
// options, and the same files with the same sizes and modification times. Otherwise the trace
// is parsed as usual.
//
// Layout: the magic line, chunks, an empty chunk, a JSON header (what the cache is valid for,
// and the reading's stats), and the header's offset as a float64 in the last 8 bytes. A chunk is a 16-byte head (record count, bytes of numbers, bytes of
// text, reserved) followed by the numbers, columns of float64 (time, duration, cpu, memory,
// gpu, priority), then the text: one JSON object with each record's id, job, user and kind, a
// column for each field only some records carry (constraints and the other placement rules,
// dependencies, estimates, scheduling classes, the trace's placement), when any record of the
// chunk has it, and the
// machine changes by index. Numbers are exact (float64 holds every µs and base-unit amount
// berth uses); text is JSON, so any string survives.

import { createHash } from 'node:crypto';
import { accessSync, closeSync, constants, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../sim/errors.ts';
import { CACHE_SUFFIX } from './files.ts';
import type { ReadOptions, ReadStats } from './formats/common.ts';
import type { NodeRecord, TaskRecord, TraceRecord } from './record.ts';

const MAGIC = 'berth-trace-cache\n';
/** Bumped whenever the layout or what readers produce changes: older caches are then ignored. */
export const CACHE_VERSION = 3;
const CHUNK_RECORDS = 65536;
const BATCH = 4096;
const COLUMNS = 6;
const HEAD_BYTES = 16;

/** What a cache is valid for. */
export interface CacheKey {
  readonly format: string;
  readonly options: { replay: string; skipBadRows: boolean; scaleCpu: number | null; scaleMemory: number | null };
  readonly files: readonly { path: string; size: number; mtimeMs: number }[];
}

interface Header {
  readonly version: number;
  readonly key: CacheKey;
  readonly stats: { files: { path: string; sha256: string }[]; rows: number; skippedRows: number; leftOut: Record<string, number> };
  readonly records: number;
}

/** A task's fields that only some records carry: each a column of the chunk when any record has it. */
const OPTIONAL = [
  'constraints', 'tolerations', 'affinity', 'antiAffinity', 'spread', 'group', 'groupSize', 'after', 'estimate', 'schedulingClass', 'placed',
] as const;
type Optional = (typeof OPTIONAL)[number];
type MutableTask = { -readonly [K in keyof TaskRecord]: TaskRecord[K] };

interface ChunkText {
  readonly id: string[];
  /** null: none. */
  readonly job: (string | null)[];
  readonly user: (string | null)[];
  /** A letter a record: 't' a task, 'n' a machine change (its id is the node's name). */
  readonly kind: string;
  /** Optional task fields, a column each (null where a record has none), present when any has it. */
  readonly optional: Partial<Record<Optional, unknown[]>>;
  /** Machine changes, by record index. */
  readonly changes: Record<number, { change: NodeRecord['change']; capacity?: NodeRecord['capacity'] }>;
}

/** Where the cache of these inputs lives: beside the first one (a file, a folder or a glob). */
export function cachePathFor(inputs: readonly string[]): string {
  // A glob's cache is named after the glob, its wildcards made plain (`part-_.csv.gz.berth-cache`).
  return `${inputs[0]!.replace(/[/\\]+$/, '').replace(/[*?]/g, '_')}${CACHE_SUFFIX}`;
}

/**
 * Where the cache goes when the trace's folder may not be written: the user's cache folder
 * ($BERTH_CACHE_DIR, else $XDG_CACHE_HOME/berth, else ~/.cache/berth), under a name made from
 * the first input's full path.
 */
export function userCachePathFor(inputs: readonly string[]): string {
  const beside = resolve(cachePathFor(inputs));
  const folder = process.env.BERTH_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'berth');
  return join(folder, `${createHash('sha256').update(beside).digest('hex').slice(0, 16)}-${basename(beside)}`);
}

/** The places a cache of these inputs may be, in the order they are looked at. */
export function cachePathsFor(inputs: readonly string[]): string[] {
  return [cachePathFor(inputs), userCachePathFor(inputs)];
}

/**
 * Where to write the cache of these inputs: beside the first, unless that folder may not be
 * written (no write permission, or its mode grants none, as for shared read-only data even to
 * root); then the user's cache folder.
 */
export function cacheTargetFor(inputs: readonly string[]): string {
  const beside = cachePathFor(inputs);
  const folder = dirname(resolve(beside));
  try {
    accessSync(folder, constants.W_OK);
    if ((statSync(folder).mode & 0o200) !== 0) return beside;
  } catch {
    // not writable: the user's cache
  }
  const target = userCachePathFor(inputs);
  mkdirSync(dirname(target), { recursive: true });
  return target;
}

export function cacheKey(format: string, files: readonly string[], options: ReadOptions): CacheKey {
  return {
    format,
    options: { replay: options.replay, skipBadRows: options.skipBadRows, scaleCpu: options.scaleCpu ?? null, scaleMemory: options.scaleMemory ?? null },
    files: files.map((file) => {
      const s = statSync(file);
      return { path: resolve(file), size: s.size, mtimeMs: s.mtimeMs };
    }),
  };
}

const sameKey = (a: CacheKey, b: CacheKey): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Writes the records of `source` to a cache at `path` (through a temporary file, so that a
 * failure leaves no cache, and an earlier one stays as it was). `stats` must be complete once the
 * source is exhausted. Returns the number of records.
 */
export async function writeCache(
  path: string, key: CacheKey, source: AsyncIterable<readonly TraceRecord[]>, stats: ReadStats, onBatch?: (records: number) => void,
): Promise<number> {
  const temp = `${path}.partial-${process.pid}`;
  let fd: number;
  try {
    fd = openSync(temp, 'w');
  } catch (err) {
    throw new InputError({ file: path }, `cannot write the cache: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let records = 0;
  try {
    // The header is known only once the source is exhausted (the stats), so it goes at the
    // end, after a chunk of no records, with its offset in the file's last 8 bytes.
    writeSync(fd, MAGIC);
    let offset = Buffer.byteLength(MAGIC);
    let chunk: TraceRecord[] = [];
    const flush = () => {
      if (chunk.length === 0) return;
      const bytes = encodeChunk(chunk);
      writeSync(fd, bytes);
      offset += bytes.length;
      records += chunk.length;
      chunk = [];
    };
    for await (const batch of source) {
      for (const r of batch) {
        chunk.push(r);
        if (chunk.length >= CHUNK_RECORDS) flush();
      }
      onBatch?.(records + chunk.length);
    }
    flush();
    const header: Header = { version: CACHE_VERSION, key, stats: { files: stats.files, rows: stats.rows, skippedRows: stats.skippedRows, leftOut: stats.leftOut }, records };
    const text = Buffer.from(JSON.stringify(header));
    writeSync(fd, Buffer.alloc(HEAD_BYTES)); // the end: a chunk of no records
    writeSync(fd, text);
    const tail = Buffer.alloc(8);
    tail.writeDoubleLE(offset + HEAD_BYTES, 0);
    writeSync(fd, tail);
    closeSync(fd);
    renameSync(temp, path);
    return records;
  } catch (err) {
    try { closeSync(fd); } catch { /* already closed */ }
    rmSync(temp, { force: true });
    throw err;
  }
}


function encodeChunk(chunk: readonly TraceRecord[]): Buffer {
  const n = chunk.length;
  const numbers = new Float64Array(n * COLUMNS);
  const text: ChunkText = { id: [], job: [], user: [], kind: '', optional: {}, changes: {} };
  let kind = '';
  for (let i = 0; i < n; i++) {
    const r = chunk[i]!;
    if (r.kind === 'task') {
      numbers.set([r.submit, r.duration, r.cpu, r.memory, r.gpu, r.priority], i * COLUMNS);
      text.id.push(r.id);
      text.job.push(r.job ?? null);
      text.user.push(r.user ?? null);
      kind += 't';
      for (const field of OPTIONAL) {
        const value = r[field];
        if (value === undefined) continue;
        (text.optional[field] ??= new Array<unknown>(n).fill(null))[i] = value;
      }
    } else {
      numbers[i * COLUMNS] = r.time;
      text.id.push(r.node);
      text.job.push(null);
      text.user.push(null);
      kind += 'n';
      text.changes[i] = { change: r.change, ...(r.capacity && { capacity: r.capacity }) };
    }
  }
  const json = Buffer.from(JSON.stringify({ ...text, kind }));
  const head = Buffer.alloc(HEAD_BYTES);
  head.writeUInt32LE(n, 0);
  head.writeUInt32LE(numbers.byteLength, 4);
  head.writeUInt32LE(json.length, 8);
  return Buffer.concat([head, Buffer.from(numbers.buffer, numbers.byteOffset, numbers.byteLength), json]);
}

/** A valid cache for the key at `path`, opened; undefined when there is none or it is stale. */
export function openCache(path: string, key: CacheKey): { source: AsyncGenerator<TraceRecord[]>; stats: ReadStats } | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  let header: Header;
  try {
    header = readHeader(fd, path);
  } catch (err) {
    closeSync(fd);
    if (err instanceof InputError) return undefined; // damaged or from another version: parse instead
    throw err;
  }
  if (header.version !== CACHE_VERSION || !sameKey(header.key, key)) {
    closeSync(fd);
    return undefined;
  }
  const stats: ReadStats = { files: header.stats.files, rows: header.stats.rows, skippedRows: header.stats.skippedRows, leftOut: { ...header.stats.leftOut } };
  return { source: readChunks(fd, path), stats };
}

function readHeader(fd: number, path: string): Header {
  const size = statSync(path).size;
  const magic = Buffer.alloc(MAGIC.length);
  if (size < MAGIC.length + HEAD_BYTES + 8 || readSync(fd, magic, 0, MAGIC.length, 0) !== MAGIC.length || magic.toString() !== MAGIC) {
    throw new InputError({ file: path }, 'not a berth trace cache');
  }
  const tail = Buffer.alloc(8);
  readSync(fd, tail, 0, 8, size - 8);
  const at = tail.readDoubleLE(0);
  if (!(Number.isInteger(at) && at > 0 && at < size - 8)) throw new InputError({ file: path }, 'the cache is damaged');
  const text = Buffer.alloc(size - 8 - at);
  readSync(fd, text, 0, text.length, at);
  try {
    return JSON.parse(text.toString()) as Header;
  } catch {
    throw new InputError({ file: path }, 'the cache is damaged');
  }
}

async function* readChunks(fd: number, path: string): AsyncGenerator<TraceRecord[]> {
  try {
    let position = MAGIC.length;
    const head = Buffer.alloc(HEAD_BYTES);
    for (;;) {
      if (readSync(fd, head, 0, HEAD_BYTES, position) !== HEAD_BYTES) throw new InputError({ file: path }, 'the cache ends early');
      const n = head.readUInt32LE(0);
      if (n === 0) return;
      const numberBytes = head.readUInt32LE(4);
      const textBytes = head.readUInt32LE(8);
      const body = Buffer.alloc(numberBytes + textBytes);
      if (readSync(fd, body, 0, body.length, position + HEAD_BYTES) !== body.length) throw new InputError({ file: path }, 'the cache ends early');
      position += HEAD_BYTES + body.length;
      const numbers = new Float64Array(body.buffer, body.byteOffset, numberBytes / 8);
      const text = JSON.parse(body.toString('utf8', numberBytes)) as ChunkText;
      for (let start = 0; start < n; start += BATCH) yield decode(numbers, text, start, Math.min(n, start + BATCH));
    }
  } finally {
    closeSync(fd);
  }
}

function decode(numbers: Float64Array, text: ChunkText, from: number, to: number): TraceRecord[] {
  const out: TraceRecord[] = new Array(to - from);
  const optional = OPTIONAL.filter((f) => text.optional[f] !== undefined).map((f) => [f, text.optional[f]!] as const);
  for (let i = from; i < to; i++) {
    const at = i * COLUMNS;
    if (text.kind.charCodeAt(i) === 110 /* n */) {
      const c = text.changes[i]!;
      out[i - from] = { kind: 'node', time: numbers[at]!, node: text.id[i]!, change: c.change, ...(c.capacity && { capacity: c.capacity }) };
      continue;
    }
    const job = text.job[i] ?? undefined, user = text.user[i] ?? undefined;
    const id = text.id[i]!, submit = numbers[at]!, duration = numbers[at + 1]!;
    const cpu = numbers[at + 2]!, memory = numbers[at + 3]!, gpu = numbers[at + 4]!, priority = numbers[at + 5]!;
    // One literal for each common shape, so that records share hidden classes.
    const r: MutableTask = job !== undefined && user !== undefined
      ? { kind: 'task', id, submit, duration, cpu, memory, gpu, priority, job, user }
      : job !== undefined
        ? { kind: 'task', id, submit, duration, cpu, memory, gpu, priority, job }
        : user !== undefined
          ? { kind: 'task', id, submit, duration, cpu, memory, gpu, priority, user }
          : { kind: 'task', id, submit, duration, cpu, memory, gpu, priority };
    for (const [field, column] of optional) {
      const value = column[i];
      if (value !== null) (r as Record<Optional, unknown>)[field] = value;
    }
    out[i - from] = r;
  }
  return out;
}
