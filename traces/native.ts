// The native trace format: CSV with a header, or JSON Lines, optionally gzipped. Required
// columns id,submit,duration,cpu,memory (seconds, cores, GiB); optional gpu,priority,job,user,
// group and the placement rules constraints,tolerations,affinity,antiAffinity,spread (text forms
// in placement-text.ts); other columns are ignored. Rows must be sorted by submit time: the file is streamed, never
// held in memory. CSV is read by a byte scan (scannedBatches) that leaves the header and anything
// unusual to csv.ts, a tokenizer of our own (see there why).

import { createInterface } from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
import { InputError } from '../sim/errors.ts';
import { StagedFile } from '../sim/outputs.ts';
import { MIB_PER_GIB, MILLI_PER_CORE, MILLI_PER_GPU, formatMicros } from '../sim/units.ts';
import { CsvSyntaxError, CsvTokenizer, csvQuote } from './csv.ts';
import { COLUMNS, EXTRA_COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, RowReader, type Column, type ExtraColumn, type Raw } from './fields.ts';
import { formatAffinity, formatConstraints, formatSpread, formatTolerations } from './placement-text.ts';
import { decimal, openedLineChunks } from './formats/common.ts';
import { csvBatches, inputError, openInput, type OpenedFile } from './input.ts';
import type { TaskRecord, TaskSource } from './record.ts';

export const BATCH_SIZE = 4096;

export interface TraceInput {
  readonly source: TaskSource;
  /** SHA-256 of the file as stored; known once the source is exhausted. */
  sha256(): string;
}

export type NativeEncoding = 'csv' | 'jsonl';

/** The encoding from the file name: .csv, or .jsonl / .ndjson, each optionally .gz. */
export function nativeEncoding(path: string): NativeEncoding {
  const name = path.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'jsonl';
  throw new InputError({ file: path }, 'cannot tell the encoding from the name: expected .csv, .jsonl or .ndjson (optionally .gz)');
}

/**
 * Reads a native trace. A malformed row stops the reading (an InputError), unless `onBadRow` is
 * given: it then receives the error and the row is passed over. `byteScan` false reads every CSV
 * row through the tokenizer, as before the byte scan; for tests to compare the two.
 */
export function readNativeTrace(path: string, batchSize = BATCH_SIZE, onBadRow?: (err: InputError) => void, byteScan = true): TraceInput {
  const encoding = nativeEncoding(path);
  const opened = openInput(path);
  const source = encoding === 'csv' ? nativeCsv(path, opened, batchSize, onBadRow, byteScan) : jsonlBatches(path, opened, batchSize, onBadRow);
  return { source, sha256: opened.sha256 };
}

/** A row's record, or undefined when it is bad and bad rows are passed over. */
function rowOrSkip(read: () => TaskRecord, onBadRow: ((err: InputError) => void) | undefined): TaskRecord | undefined {
  if (!onBadRow) return read();
  try {
    return read();
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    onBadRow(err);
    return undefined;
  }
}

async function* nativeCsv(path: string, opened: OpenedFile, batchSize: number, onBadRow: ((err: InputError) => void) | undefined, byteScan: boolean): TaskSource {
  const rows = new CsvRows(path, onBadRow);
  yield* byteScan ? scannedBatches(path, opened, batchSize, rows) : csvBatches(path, opened, batchSize, rows.fromFields);
  if (rows.at === undefined) throw rows.reader.error(1, undefined, `the file is empty: expected a header line with ${REQUIRED_COLUMNS.join(',')}`);
}

/** A row the byte scan leaves to the tokenizer. */
const TOKENIZER = null;

/**
 * The rows of a native CSV file, the header first, each checked by RowReader: from the fields
 * the tokenizer splits, or from the bytes of an ASCII chunk, located by the scan.
 */
class CsvRows {
  readonly reader: RowReader;
  /** Each of COLUMNS' field index (past the end when absent); undefined until the header is read. */
  at: Int32Array | undefined;
  private width = 0; // fields in the header
  // The row being read, and its line: set before each read, so that no closure is made per row.
  private fields: string[] = [];
  private line = 0;
  private extra: ((column: ExtraColumn) => Raw) | undefined; // when the header has a group or rule column
  // The row being scanned: its chunk, and where its fields end (ends[0]: the byte before the first).
  private bytes: Uint8Array = new Uint8Array(0);
  private text = '';
  private ends = new Int32Array(0);
  private commas = 0;
  /** Whether the row scanned holds a byte < 33 (a blank or a control character, CR included). */
  private low = false;
  private bytesExtra: ((column: ExtraColumn) => Raw) | undefined;

  constructor(path: string, private readonly onBadRow: ((err: InputError) => void) | undefined) {
    this.reader = new RowReader(path);
  }

  /** A record from the tokenizer: the header, then a row's task (undefined: a bad row passed over). */
  readonly fromFields = (fields: string[], line: number): TaskRecord | undefined => {
    if (this.at === undefined) {
      this.header(fields, line);
      return undefined;
    }
    this.fields = fields;
    this.line = line;
    return rowOrSkip(this.readFields, this.onBadRow);
  };

  private header(fields: string[], line: number): void {
    const at = readHeader(this.reader, fields, line);
    this.at = at;
    this.width = fields.length;
    this.ends = new Int32Array(this.width + 1);
    if (EXTRA_COLUMNS.some((c) => at[EXTRA_INDEX[c]]! < this.width)) {
      this.extra = (c) => this.field(EXTRA_INDEX[c]);
      this.bytesExtra = (c) => this.textAt(EXTRA_INDEX[c]);
    }
  }

  private field(column: number): string | undefined {
    const text = this.fields[this.at![column]!];
    return text === '' ? undefined : text;
  }

  private readonly readFields = (): TaskRecord => {
    const { fields, width, line } = this;
    if (fields.length !== width) throw this.reader.error(line, undefined, `expected ${width} fields, as in the header; got ${fields.length}`);
    return this.reader.read(this.field(0), this.field(1), this.field(2), this.field(3), this.field(4),
      this.field(5), this.field(6), this.field(7), this.field(8), line, this.extra);
  };

  /**
   * Scans the line of `bytes` that starts at `start` for its commas: returns where it ends (its
   * line end, or the end of the chunk), or -1 when it holds a quote.
   */
  scan(bytes: Uint8Array, start: number): number {
    const { ends, width } = this;
    let commas = 0, low = false, end = start;
    for (const n = bytes.length; end < n; end++) {
      const b = bytes[end]!;
      if (b > 44) continue; // digits, letters, '-' and '.': most bytes, one test
      if (b === 44 /* , */) {
        if (++commas < width) ends[commas] = end;
      } else if (b === 10 /* \n */) {
        break;
      } else if (b === 34 /* " */) {
        return -1;
      } else if (b < 33) {
        low = true;
      }
    }
    this.commas = commas;
    this.low = low;
    return end;
  }

  /**
   * The task of the row just scanned, [start, end) of the chunk (`text` is its bytes as ASCII),
   * numbers read from their digits; or TOKENIZER for a row that the tokenizer reads as it did:
   * a row with fewer or more fields than the header, a field that starts or ends with a blank
   * (which the tokenizer trims), and a row RowReader refuses (its message quotes the field's
   * text, where here it would have been given a number).
   */
  fromBytes(bytes: Uint8Array, text: string, start: number, end: number, line: number): TaskRecord | typeof TOKENIZER {
    const { ends, width } = this;
    if (this.commas !== width - 1) return TOKENIZER;
    ends[0] = start - 1;
    ends[width] = end > start && bytes[end - 1] === 13 /* \r before \n */ ? end - 1 : end;
    if (this.low) {
      for (let i = 0; i < width; i++) {
        const from = ends[i]! + 1, to = ends[i + 1]!;
        if (to > from && (bytes[from]! < 33 || bytes[to - 1]! < 33)) return TOKENIZER;
      }
    }
    this.bytes = bytes;
    this.text = text;
    try {
      return this.reader.read(this.textAt(0), this.numberAt(1), this.numberAt(2), this.numberAt(3), this.numberAt(4),
        this.numberAt(5), this.numberAt(6), this.textAt(7), this.textAt(8), line, this.bytesExtra);
    } catch (err) {
      // read() changes nothing on a refused row but the previous submit time, to this row's,
      // which the tokenizer's read sets alike: it refuses the row at the same field.
      if (err instanceof InputError) return TOKENIZER;
      throw err;
    }
  }

  /** Column `column` of the row scanned, as text; undefined when empty or absent. */
  private textAt(column: number): string | undefined {
    const i = this.at![column]!;
    if (i >= this.width) return undefined;
    const from = this.ends[i]! + 1, to = this.ends[i + 1]!;
    return to > from ? this.text.slice(from, to) : undefined;
  }

  /** Column `column` of the row scanned: a number when plain digits hold it, else its text for RowReader. */
  private numberAt(column: number): Raw {
    const i = this.at![column]!;
    if (i >= this.width) return undefined;
    const from = this.ends[i]! + 1, to = this.ends[i + 1]!;
    return to > from ? decimal(this.bytes, from, to) ?? this.text.slice(from, to) : undefined;
  }
}

/**
 * The byte scan: the file is read in chunks of whole lines, and the rows of an ASCII chunk are
 * scanned once for commas and line ends; numbers are read from their digits (those decimal()
 * does not read go to RowReader as text, as from the tokenizer) and only the id, job, user,
 * group and rule columns are cut from the chunk as strings. One tokenizer reads the header and
 * the lines the scan is not sure of (blank lines, rows with fewer or more fields than the header,
 * fields with blanks around them, bad rows: CsvRows.fromBytes), a line at a time, so that the
 * fields, messages and line numbers are those it gives reading the whole file. From the first
 * quote (a quoted field may hold commas and line ends) or chunk that is not ASCII (a byte-order
 * mark included) on, it reads the rest of the file: there was no quote before, so it starts
 * there at the beginning of a record.
 */
async function* scannedBatches(path: string, opened: OpenedFile, batchSize: number, rows: CsvRows): AsyncGenerator<TaskRecord[]> {
  let batch: TaskRecord[] = [];
  const full: TaskRecord[][] = []; // batches completed by the latest chunk
  const add = (record: TaskRecord | undefined) => {
    if (record === undefined) return;
    batch.push(record);
    if (batch.length >= batchSize) {
      full.push(batch);
      batch = [];
    }
  };
  let line = 0; // lines read, by either
  let scanned = 0; // of which the scan read (the tokenizer counts the others)
  const tokenizer = new CsvTokenizer((fields, at) => add(rows.fromFields(fields, at + scanned)));
  const decoder = new StringDecoder('utf8'); // the tokenizer's text, once it reads the rest
  let rest = false; // whether it does
  try {
    for await (const { bytes, ascii } of openedLineChunks(path, opened)) {
      let pos = 0;
      if (!rest && ascii !== undefined) {
        for (const n = bytes.length; pos < n;) {
          const end = rows.scan(bytes, pos);
          if (end < 0) break; // a quote
          const next = Math.min(end + 1, n);
          line++;
          const record = rows.at === undefined ? TOKENIZER : rows.fromBytes(bytes, ascii, pos, end, line);
          if (record === TOKENIZER) {
            tokenizer.push(ascii.slice(pos, next));
          } else {
            scanned++;
            add(record);
          }
          pos = next;
        }
      }
      if (pos < bytes.length) {
        rest = true;
        tokenizer.push(ascii !== undefined ? ascii.slice(pos) : decoder.write(bytes));
      }
      yield* full.splice(0);
    }
    tokenizer.push(decoder.end());
    tokenizer.end();
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new InputError({ file: path, line: err.line + scanned }, `not valid CSV: ${err.message}`);
    throw inputError(err, path);
  }
  yield* full.splice(0);
  if (batch.length > 0) yield batch;
}

const EXTRA_INDEX = Object.fromEntries(EXTRA_COLUMNS.map((c) => [c, COLUMNS.indexOf(c)])) as Record<ExtraColumn, number>;

function readHeader(rows: RowReader, fields: string[], line: number): Int32Array {
  const columns = new Map<string, number>();
  fields.forEach((raw, i) => {
    const name = raw.trim();
    if (columns.has(name)) throw rows.error(line, name, 'the header names this column twice');
    columns.set(name, i);
  });
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.has(c));
  if (missing.length > 0) {
    throw rows.error(line, undefined,
      `missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; the header has ${fields.join(', ') || 'nothing'}` +
      ` (expected ${REQUIRED_COLUMNS.join(',')}, optionally ${OPTIONAL_COLUMNS.join(',')})`);
  }
  // A column that is absent reads as the empty field past the end of the row.
  return Int32Array.from(COLUMNS, (c) => columns.get(c) ?? fields.length + 1);
}

async function* jsonlBatches(path: string, opened: OpenedFile, batchSize: number, onBadRow?: (err: InputError) => void): TaskSource {
  const rows = new RowReader(path);
  const lines = createInterface({ input: opened.stream, crlfDelay: Infinity });
  let batch: TaskRecord[] = [];
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      const record = rowOrSkip(() => {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (err) {
          throw rows.error(line, undefined, `not valid JSON: ${(err as Error).message}`);
        }
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          throw rows.error(line, undefined, `expected a JSON object with ${REQUIRED_COLUMNS.join(', ')}`);
        }
        const obj = value as Record<string, unknown>;
        const v = (c: Column): Raw => {
          const x = obj[c];
          if (x === null || x === undefined || x === '') return undefined;
          return typeof x === 'number' || typeof x === 'string' ? x : JSON.stringify(x);
        };
        return rows.read(v('id'), v('submit'), v('duration'), v('cpu'), v('memory'), v('gpu'), v('priority'), v('job'), v('user'), line, v);
      }, onBadRow);
      if (!record) continue;
      batch.push(record);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  } catch (err) {
    throw inputError(err, path);
  }
  if (batch.length > 0) yield batch;
}

// ---- Writing ----

/** Every column the format knows. */
export const ALL_COLUMNS: readonly Column[] = COLUMNS;
/** What the writer writes unless told: every column but the group and the placement rules. */
export const DEFAULT_COLUMNS: readonly Column[] = COLUMNS.filter((c) => !(EXTRA_COLUMNS as readonly string[]).includes(c));

/** Formats an integer amount in base units in file units, exactly ("0.25", "1.5"). */
function formatAmount(value: number, perUnit: number): string {
  return String(value / perUnit);
}

function cell(record: TaskRecord, column: Column): string {
  switch (column) {
    case 'id': return csvQuote(record.id);
    case 'submit': return formatMicros(record.submit);
    case 'duration': return formatMicros(record.duration);
    case 'cpu': return formatAmount(record.cpu, MILLI_PER_CORE);
    case 'memory': return formatAmount(record.memory, MIB_PER_GIB);
    case 'gpu': return formatAmount(record.gpu, MILLI_PER_GPU);
    case 'priority': return String(record.priority);
    case 'job': return csvQuote(record.job ?? '');
    case 'user': return csvQuote(record.user ?? '');
    case 'group': return csvQuote(record.group ?? '');
    case 'constraints': return csvQuote(record.constraints ? formatConstraints(record.constraints) : '');
    case 'tolerations': return csvQuote(record.tolerations ? formatTolerations(record.tolerations) : '');
    case 'affinity': return csvQuote(record.affinity ? formatAffinity(record.affinity) : '');
    case 'antiAffinity': return csvQuote(record.antiAffinity ? formatAffinity(record.antiAffinity) : '');
    case 'spread': return csvQuote(record.spread ? formatSpread(record.spread) : '');
  }
}

/**
 * Writes records as native CSV with the given columns (the required ones at least), to a
 * temporary file renamed into place at the end; gzipped when the name ends in .gz. Returns the
 * number of rows written; `onProgress` hears the count every 65,536 rows.
 */
export async function writeNativeCsv(
  records: Iterable<TaskRecord> | AsyncIterable<TaskRecord>,
  path: string,
  columns: readonly Column[] = DEFAULT_COLUMNS,
  onProgress?: (rows: number) => void,
): Promise<number> {
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0) throw new InputError({ field: '--columns' }, `must include ${missing.join(', ')}`);
  const out = new StagedFile(path, { gzip: path.toLowerCase().endsWith('.gz') });
  let rows = 0;
  try {
    out.write(columns.join(',') + '\n');
    for await (const record of records) {
      let line = '';
      for (let i = 0; i < columns.length; i++) line += (i > 0 ? ',' : '') + cell(record, columns[i]!);
      out.write(line + '\n');
      if (++rows % 65536 === 0) {
        onProgress?.(rows);
        await out.drain();
      }
    }
    await out.commit();
  } catch (err) {
    await out.abort();
    throw err;
  }
  return rows;
}
