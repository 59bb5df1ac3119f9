// What the trace readers share: reading a file's rows with their line numbers (gzip or not),
// hashing what was read, and the handling of a bad row, which stops the replay with the file,
// line and field, or, with --skip-bad-rows, is counted and passed over.

import { isAscii } from 'node:buffer';
import { createInterface } from 'node:readline';
import { InputError } from '../../sim/errors.ts';
import { CsvSyntaxError, CsvTokenizer } from '../csv.ts';
import { csvBatches, inputError, openInput, type OpenedFile } from '../input.ts';
import type { ReplayMode } from '../../sim/simulation.ts';
import type { TaskSource } from '../record.ts';

export interface ReadOptions {
  readonly replay: ReplayMode;
  /** Count and pass over malformed rows instead of stopping. */
  readonly skipBadRows: boolean;
  /** What the trace's unit of cpu and of memory is worth, in cores and GiB (normalised traces). */
  readonly scaleCpu?: number;
  readonly scaleMemory?: number;
}

/** What reading a trace found, complete once its source is exhausted. */
export interface ReadStats {
  /** Every file read, with the SHA-256 of its bytes as stored. */
  readonly files: { path: string; sha256: string }[];
  /** Data rows read (headers and comments apart). */
  rows: number;
  /** Malformed rows passed over (with --skip-bad-rows). */
  skippedRows: number;
  /** Rows or tasks left out on purpose, by reason ("cancelled before start": 12). */
  readonly leftOut: Record<string, number>;
}

export interface OpenedTrace {
  /** Records in order of time. */
  readonly source: TaskSource;
  readonly stats: ReadStats;
  /** The binary cache read instead of parsing, if one was. */
  readonly cache?: string;
}

export function newStats(): ReadStats {
  return { files: [], rows: 0, skippedRows: 0, leftOut: {} };
}

export function leaveOut(stats: ReadStats, reason: string): void {
  stats.leftOut[reason] = (stats.leftOut[reason] ?? 0) + 1;
}

/** A malformed row: stops (an InputError) or, with --skip-bad-rows, is counted. */
export class RowError extends Error {
  constructor(readonly field: string, readonly problem: string) {
    super(problem);
  }
}

/** Calls `read` for a row; turns a RowError into a stop or a skip. Returns its result or undefined. */
export function guarded<T>(stats: ReadStats, options: ReadOptions, file: string, line: number, read: () => T): T | undefined {
  stats.rows++;
  try {
    return read();
  } catch (err) {
    if (!(err instanceof RowError)) throw err;
    return skipOrThrow(stats, options, new InputError({ file, line, field: err.field }, err.problem));
  }
}

/** A bad row's error: counted with --skip-bad-rows, else thrown. */
export function skipOrThrow(stats: ReadStats, options: ReadOptions, err: InputError): undefined {
  if (!options.skipBadRows) throw err;
  stats.skippedRows++;
  return undefined;
}

/** A number in a field; `missing` (-1 in SWF, empty elsewhere) reads as undefined. */
export function number(raw: string | undefined, field: string, what: string): number {
  const value = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(value)) throw new RowError(field, `expected ${what}; got ${JSON.stringify(raw ?? '')}`);
  return value;
}

export function optionalNumber(raw: string | undefined, field: string, what: string): number | undefined {
  return raw === undefined || raw.trim() === '' ? undefined : number(raw, field, what);
}

/**
 * The whole number bytes[from, to) holds as plain ASCII digits, or undefined for anything else
 * (empty, a sign, a point, more than 15 digits: beyond them a double may not be exact).
 */
export function digits(bytes: Uint8Array, from: number, to: number): number | undefined {
  if (to <= from || to - from > 15) return undefined;
  let value = 0;
  for (let i = from; i < to; i++) {
    const d = bytes[i]! - 48;
    if (d < 0 || d > 9) return undefined;
    value = value * 10 + d;
  }
  return value;
}

/** 10^0 to 10^15, each an exact double. */
const POWERS_OF_TEN: readonly number[] = Array.from({ length: 16 }, (_, k) => Number(`1e${k}`));

/**
 * The number bytes[from, to) holds as plain ASCII digits with at most one decimal point
 * (`0.0625`, `3`, `.5`), or undefined for anything else, which the caller leaves to Number(). At
 * most 15 digits: then the digits as a whole number and the power of ten are exact doubles, and
 * their quotient is the correctly rounded value, the same double Number() gives.
 */
export function decimal(bytes: Uint8Array, from: number, to: number): number | undefined {
  let value = 0, count = 0, point = -1;
  for (let i = from; i < to; i++) {
    const code = bytes[i]!;
    if (code === 46 /* . */ && point < 0) {
      point = i;
      continue;
    }
    const d = code - 48;
    if (d < 0 || d > 9 || ++count > 15) return undefined;
    value = value * 10 + d;
  }
  if (count === 0) return undefined;
  return point < 0 ? value : value / POWERS_OF_TEN[to - point - 1]!;
}

export interface Row {
  readonly fields: string[];
  readonly line: number;
}

/** One line's CSV fields, quotes and all, by the tokenizer (for the rare line a fast path cannot split). */
export function splitCsvLine(text: string): string[] {
  let fields: string[] = [];
  const tokenizer = new CsvTokenizer((row) => { fields = row; });
  try {
    tokenizer.push(text);
    tokenizer.end();
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new RowError('the row', `not valid CSV: ${err.message}`);
    throw err;
  }
  return fields;
}

/** The rows of a CSV file (a header, if any, is a row like the others), in batches. */
export async function* csvRows(path: string, stats: ReadStats): AsyncGenerator<Row[]> {
  const opened = openInput(path);
  yield* csvBatches(path, opened, 4096, (fields, line): Row => ({ fields, line }));
  stats.files.push({ path, sha256: opened.sha256() });
}

/** A piece of a text file that ends at a line end (or at the end of the file). */
export interface LineChunk {
  readonly bytes: Buffer;
  /** The same as text when the chunk is all ASCII, one character a byte; else undefined. */
  readonly ascii: string | undefined;
}

/**
 * A text file in chunks of whole lines (the last may lack its line end), as bytes and, when the
 * chunk is all ASCII, as text too: one character a byte, so that an offset found in the bytes
 * cuts the text. For readers that scan bytes: no string per line, no decoding per field.
 */
export async function* lineChunks(path: string, stats: ReadStats): AsyncGenerator<LineChunk> {
  const opened = openInput(path);
  yield* openedLineChunks(path, opened);
  stats.files.push({ path, sha256: opened.sha256() });
}

/** lineChunks of a file already opened; recording its hash is left to the caller. */
export async function* openedLineChunks(path: string, opened: OpenedFile): AsyncGenerator<LineChunk> {
  let rest: Buffer | undefined;
  const chunk = (bytes: Buffer): LineChunk => ({ bytes, ascii: isAscii(bytes) ? bytes.toString('latin1') : undefined });
  try {
    for await (const data of opened.stream as AsyncIterable<Buffer>) {
      const bytes = rest === undefined ? data : Buffer.concat([rest, data]);
      const end = bytes.lastIndexOf(10) + 1;
      rest = end < bytes.length ? bytes.subarray(end) : undefined;
      if (end > 0) yield chunk(bytes.subarray(0, end));
    }
  } catch (err) {
    throw inputError(err, path);
  }
  if (rest !== undefined) yield chunk(rest);
}

/** The lines of a text file with their numbers (1-based), in batches. */
export async function* textLines(path: string, stats: ReadStats): AsyncGenerator<{ text: string; line: number }[]> {
  const opened = openInput(path);
  let batch: { text: string; line: number }[] = [];
  let line = 0;
  try {
    for await (const text of createInterface({ input: opened.stream, crlfDelay: Infinity })) {
      batch.push({ text, line: ++line });
      if (batch.length >= 4096) {
        yield batch;
        batch = [];
      }
    }
  } catch (err) {
    throw inputError(err, path);
  }
  if (batch.length > 0) yield batch;
  stats.files.push({ path, sha256: opened.sha256() });
}

/** Which of the given files hold which table, by the table's name in the file's path. */
export function byTable<T extends string>(files: readonly string[], tables: readonly T[], format: string): Map<T, string[]> {
  const out = new Map<T, string[]>();
  for (const file of files) {
    const table = tables.find((t) => file.includes(t));
    if (!table) {
      throw new InputError({ file }, `cannot tell which ${format} table this is: the path should name one of ${tables.join(', ')}`);
    }
    out.set(table, [...(out.get(table) ?? []), file]);
  }
  return out;
}
