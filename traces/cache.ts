// A binary cache of a parsed trace: the records a reader gave, in order, so that a trace read
// once replays again without parsing. `berth trace convert FILE… --format F --to cache` writes
// it beside the first input (`T.csv` → `T.csv.berth-cache`); every command that reads traces uses
// it when it is there and still valid: same berth cache version, same format and reading
// options, and the same files with the same sizes and modification times. Otherwise the trace
// is parsed as usual.
//
// Layout: the magic line, chunks, an empty chunk, a JSON header (what the cache is valid for,
// and the reading's stats), and the header's offset as a float64 in the last 8 bytes. A chunk
// of n records is a 16-byte head (n, bytes of strings, bytes of JSON, reserved), then:
// - numbers, n rows of NUMBERS float64 (time, duration, cpu, memory, gpu, priority, estimate,
//   group size, scheduling class, placed start), NaN where a record has none;
// - strings by index, n rows of INDEXES uint32 (id or node, job, user, group, placed node),
//   NONE where a record has none, into
// - the chunk's strings (each id, and each distinct other string), UTF-8, joined by newlines;
// - a JSON object: a column for each placement rule and the dependencies when any record of
//   the chunk has them (null where one has none), the machine changes by record index, and the
//   strings themselves when one of them holds a newline.
// Numbers are exact (float64 holds every µs and base-unit amount berth uses, and no field is
// ever NaN); strings are UTF-8 or JSON, so any string survives. Reading a chunk makes one
// string per id and per distinct other string: no per-record JSON, which cost 180 ns a value to parse.

import { isAscii } from 'node:buffer';
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
export const CACHE_VERSION = 4;
/**
 * Records a chunk: its strings live while its records are made, and chunks this small let them
 * die young (chunks of 65,536 records had the collector promote them and run full collections,
 * a third of the time of a cached read). A reader takes chunks of any size.
 */
const CHUNK_RECORDS = 4096;
const BATCH = 4096;
const NUMBERS = 10;
const INDEXES = 5;
/** No string. */
const NONE = 0xffffffff;
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

/** A task's fields that only some records carry and that are not a number or a string: a JSON column each. */
const RULES = ['constraints', 'tolerations', 'affinity', 'antiAffinity', 'spread', 'after'] as const;
type Rule = (typeof RULES)[number];
type MutableTask = { -readonly [K in keyof TaskRecord]: TaskRecord[K] };

interface ChunkMeta {
  /** A column for each rule (null where a record has none), present when any record has it. */
  readonly optional: Partial<Record<Rule, unknown[]>>;
  /** Machine changes, by record index. */
  readonly changes: Record<number, { change: NodeRecord['change']; capacity?: NodeRecord['capacity'] }>;
  /** The chunk's strings, when one of them holds a newline. */
  strings?: string[];
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
  const numbers = new Float64Array(n * NUMBERS).fill(NaN);
  const indexes = new Uint32Array(n * INDEXES).fill(NONE);
  const strings: string[] = [];
  const table = new Map<string, number>();
  const intern = (s: string): number => {
    let at = table.get(s);
    if (at === undefined) {
      at = strings.push(s) - 1;
      table.set(s, at);
    }
    return at;
  };
  const meta: ChunkMeta = { optional: {}, changes: {} };
  for (let i = 0; i < n; i++) {
    const r = chunk[i]!;
    const x = i * NUMBERS, y = i * INDEXES;
    if (r.kind === 'node') {
      numbers[x] = r.time;
      indexes[y] = intern(r.node);
      meta.changes[i] = { change: r.change, ...(r.capacity && { capacity: r.capacity }) };
      continue;
    }
    numbers[x] = r.submit;
    numbers[x + 1] = r.duration;
    numbers[x + 2] = r.cpu;
    numbers[x + 3] = r.memory;
    numbers[x + 4] = r.gpu;
    numbers[x + 5] = r.priority;
    if (r.estimate !== undefined) numbers[x + 6] = r.estimate;
    if (r.groupSize !== undefined) numbers[x + 7] = r.groupSize;
    if (r.schedulingClass !== undefined) numbers[x + 8] = r.schedulingClass;
    indexes[y] = strings.push(r.id) - 1; // ids are seldom repeated: not worth a lookup
    if (r.job !== undefined) indexes[y + 1] = intern(r.job);
    if (r.user !== undefined) indexes[y + 2] = intern(r.user);
    if (r.group !== undefined) indexes[y + 3] = intern(r.group);
    if (r.placed !== undefined) {
      indexes[y + 4] = intern(r.placed.node);
      numbers[x + 9] = r.placed.start;
    }
    for (const field of RULES) {
      const value = r[field];
      if (value !== undefined) (meta.optional[field] ??= new Array<unknown>(n).fill(null))[i] = value;
    }
  }
  // Strings holding the separator go in the JSON instead (rare: no trace format has one).
  const plain = !strings.some((s) => s.includes('\n'));
  if (!plain) meta.strings = strings;
  const text = Buffer.from(plain ? strings.join('\n') : '');
  const json = Buffer.from(JSON.stringify(meta));
  const head = Buffer.alloc(HEAD_BYTES);
  head.writeUInt32LE(n, 0);
  head.writeUInt32LE(text.length, 4);
  head.writeUInt32LE(json.length, 8);
  return Buffer.concat([head, view(numbers), view(indexes), text, json]);
}

const view = (a: Float64Array | Uint32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

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
    const size = statSync(path).size;
    let position = MAGIC.length;
    const head = Buffer.alloc(HEAD_BYTES);
    // One buffer for every chunk: a chunk is decoded (its numbers and strings copied out) before
    // the next is read. A new buffer of several MB a chunk made the collector run full
    // collections for the external memory: a third of the reading time.
    let body = Buffer.allocUnsafeSlow(0);
    for (;;) {
      if (readSync(fd, head, 0, HEAD_BYTES, position) !== HEAD_BYTES) throw new InputError({ file: path }, 'the cache ends early');
      const n = head.readUInt32LE(0);
      if (n === 0) return;
      const numberBytes = n * NUMBERS * 8, indexBytes = n * INDEXES * 4;
      const textBytes = head.readUInt32LE(4), jsonBytes = head.readUInt32LE(8);
      const length = numberBytes + indexBytes + textBytes + jsonBytes;
      if (position + HEAD_BYTES + length > size) throw new InputError({ file: path }, 'the cache ends early');
      // Not zeroed (it is read over whole) and not from the pool (so the numbers are aligned).
      if (body.length < length) body = Buffer.allocUnsafeSlow(length);
      if (readSync(fd, body, 0, length, position + HEAD_BYTES) !== length) throw new InputError({ file: path }, 'the cache ends early');
      position += HEAD_BYTES + length;
      let meta: ChunkMeta;
      try {
        meta = JSON.parse(body.toString('utf8', length - jsonBytes, length)) as ChunkMeta;
      } catch {
        throw new InputError({ file: path }, 'the cache is damaged');
      }
      const chunk: Chunk = {
        numbers: new Float64Array(body.buffer, body.byteOffset, n * NUMBERS),
        indexes: new Uint32Array(body.buffer, body.byteOffset + numberBytes, n * INDEXES),
        strings: meta.strings ?? text(body, numberBytes + indexBytes, numberBytes + indexBytes + textBytes).split('\n'),
        meta,
      };
      for (let start = 0; start < n; start += BATCH) yield decode(chunk, start, Math.min(n, start + BATCH));
    }
  } finally {
    closeSync(fd);
  }
}

/** UTF-8 bytes as text; read as Latin-1 when they are ASCII (the same text, decoded faster). */
function text(bytes: Buffer, from: number, to: number): string {
  return bytes.toString(isAscii(bytes.subarray(from, to)) ? 'latin1' : 'utf8', from, to);
}

interface Chunk {
  readonly numbers: Float64Array;
  readonly indexes: Uint32Array;
  readonly strings: readonly string[];
  readonly meta: ChunkMeta;
}

/**
 * The same number, as a small integer when it is one: V8 then keeps it in the record itself,
 * where a float read from a typed array gets a box of its own (half a record's allocation).
 */
const small = (v: number): number => ((v | 0) === v ? v | 0 : v);

function decode({ numbers, indexes, strings, meta }: Chunk, from: number, to: number): TraceRecord[] {
  const out: TraceRecord[] = new Array(to - from);
  const rules = RULES.filter((f) => meta.optional[f] !== undefined).map((f) => [f, meta.optional[f]!] as const);
  for (let i = from; i < to; i++) {
    const x = i * NUMBERS, y = i * INDEXES;
    const change = meta.changes[i];
    if (change !== undefined) {
      out[i - from] = { kind: 'node', time: numbers[x]!, node: strings[indexes[y]!]!, change: change.change, ...(change.capacity && { capacity: change.capacity }) };
      continue;
    }
    const id = strings[indexes[y]!]!, submit = numbers[x]!, duration = small(numbers[x + 1]!);
    const cpu = small(numbers[x + 2]!), memory = small(numbers[x + 3]!), gpu = small(numbers[x + 4]!), priority = small(numbers[x + 5]!);
    const jobAt = indexes[y + 1]!, userAt = indexes[y + 2]!;
    // One literal for each common shape, so that records share hidden classes.
    const r: MutableTask = jobAt !== NONE && userAt !== NONE
      ? { kind: 'task', id, submit, duration, cpu, memory, gpu, priority, job: strings[jobAt]!, user: strings[userAt]! }
      : jobAt !== NONE
        ? { kind: 'task', id, submit, duration, cpu, memory, gpu, priority, job: strings[jobAt]! }
        : userAt !== NONE
          ? { kind: 'task', id, submit, duration, cpu, memory, gpu, priority, user: strings[userAt]! }
          : { kind: 'task', id, submit, duration, cpu, memory, gpu, priority };
    const estimate = numbers[x + 6]!, groupSize = numbers[x + 7]!, schedulingClass = numbers[x + 8]!;
    if (!Number.isNaN(estimate)) r.estimate = estimate;
    if (!Number.isNaN(groupSize)) r.groupSize = groupSize;
    if (!Number.isNaN(schedulingClass)) r.schedulingClass = schedulingClass;
    if (indexes[y + 3] !== NONE) r.group = strings[indexes[y + 3]!]!;
    if (indexes[y + 4] !== NONE) r.placed = { node: strings[indexes[y + 4]!]!, start: numbers[x + 9]! };
    for (const [field, column] of rules) {
      const value = column[i];
      if (value !== null) (r as Record<Rule, unknown>)[field] = value;
    }
    out[i - from] = r;
  }
  return out;
}
