// The native trace format: CSV with a header, or JSON Lines, optionally gzipped. Required
// columns id,submit,duration,cpu,memory (seconds, cores, GiB); optional gpu,priority,job,user,
// group and the placement rules constraints,tolerations,affinity,antiAffinity,spread (text forms
// in placement-text.ts); other columns are ignored. Rows must be sorted by submit time: the file is streamed, never
// held in memory. CSV goes through csv.ts, a tokenizer of our own (see there why).

import { createInterface } from 'node:readline';
import { InputError } from '../sim/errors.ts';
import { StagedFile } from '../sim/outputs.ts';
import { MIB_PER_GIB, MILLI_PER_CORE, MILLI_PER_GPU, formatMicros } from '../sim/units.ts';
import { csvQuote } from './csv.ts';
import { COLUMNS, EXTRA_COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, RowReader, type Column, type ExtraColumn, type Raw } from './fields.ts';
import { formatAffinity, formatConstraints, formatSpread, formatTolerations } from './placement-text.ts';
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
 * given: it then receives the error and the row is passed over.
 */
export function readNativeTrace(path: string, batchSize = BATCH_SIZE, onBadRow?: (err: InputError) => void): TraceInput {
  const encoding = nativeEncoding(path);
  const opened = openInput(path);
  const source = encoding === 'csv' ? nativeCsv(path, opened, batchSize, onBadRow) : jsonlBatches(path, opened, batchSize, onBadRow);
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

async function* nativeCsv(path: string, opened: OpenedFile, batchSize: number, onBadRow?: (err: InputError) => void): TaskSource {
  const rows = new RowReader(path);
  let at: Int32Array | undefined; // field index of each of COLUMNS (past the end when absent)
  let width = 0; // fields in the header
  let extra: ((column: ExtraColumn) => Raw) | undefined; // when the header has a group or rule column
  // The row being read, and its line: set before each read, so that no closure is made per row.
  let fields: string[] = [];
  let line = 0;
  const v = (c: number): string | undefined => {
    const text = fields[at![c]!];
    return text === '' ? undefined : text;
  };
  const read = (): TaskRecord => {
    if (fields.length !== width) throw rows.error(line, undefined, `expected ${width} fields, as in the header; got ${fields.length}`);
    return rows.read(v(0), v(1), v(2), v(3), v(4), v(5), v(6), v(7), v(8), line, extra);
  };
  yield* csvBatches(path, opened, batchSize, (rowFields, rowLine) => {
    if (at === undefined) {
      at = readHeader(rows, rowFields, rowLine);
      width = rowFields.length;
      if (EXTRA_COLUMNS.some((c) => at![EXTRA_INDEX[c]]! < width)) extra = (c) => v(EXTRA_INDEX[c]);
      return undefined;
    }
    fields = rowFields;
    line = rowLine;
    return rowOrSkip(read, onBadRow);
  });
  if (at === undefined) throw rows.error(1, undefined, `the file is empty: expected a header line with ${REQUIRED_COLUMNS.join(',')}`);
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
 * number of rows written.
 */
export async function writeNativeCsv(
  records: Iterable<TaskRecord> | AsyncIterable<TaskRecord>,
  path: string,
  columns: readonly Column[] = DEFAULT_COLUMNS,
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
      if (++rows % 65536 === 0) await out.drain();
    }
    await out.commit();
  } catch (err) {
    await out.abort();
    throw err;
  }
  return rows;
}
