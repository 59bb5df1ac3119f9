// Validation of the native format's fields, shared by the CSV and JSON Lines readers. Each
// check names the file, the line and the column, and says what was expected.

import { InputError, quote } from '../sim/errors.ts';
import { MIB_PER_GIB, MILLI_PER_CORE, MILLI_PER_GPU, secondsToMicros, toBase } from '../sim/units.ts';
import type { TaskRecord } from './record.ts';

export const REQUIRED_COLUMNS = ['id', 'submit', 'duration', 'cpu', 'memory'] as const;
export const OPTIONAL_COLUMNS = ['gpu', 'priority', 'job', 'user'] as const;
export type Column = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

/** Seconds in a century: a submit time or duration beyond it is surely a unit mistake. */
const MAX_SECONDS = 100 * 365 * 86400;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** One row's raw values by column; undefined when the column is absent or empty. */
export type RawRow = (column: Column) => string | number | undefined;

export class RowReader {
  private lastSubmit = -Infinity;

  constructor(private readonly file: string) {}

  /** Validates a row and converts it to base units. `line` may be left for the caller to fill in. */
  read(row: RawRow, line: number | undefined): TaskRecord {
    const id = row('id');
    if (id === undefined || id === '') throw this.error(line, 'id', 'missing: expected a task id');
    const submitSeconds = this.number(row, line, 'submit', 'seconds', 0, MAX_SECONDS);
    const durationSeconds = this.number(row, line, 'duration', 'seconds', 0, MAX_SECONDS);
    const submit = secondsToMicros(submitSeconds);
    if (submit < this.lastSubmit) {
      throw this.error(line, 'submit',
        `${submitSeconds} comes before the previous task's submit time; berth streams traces and needs rows sorted by submit`);
    }
    this.lastSubmit = submit;
    const priority = row('priority') === undefined ? 0 : this.number(row, line, 'priority', 'a whole number', -1e9, 1e9);
    if (!Number.isInteger(priority)) throw this.error(line, 'priority', `expected a whole number; got ${quote(row('priority'))}`);
    const record: { -readonly [K in keyof TaskRecord]: TaskRecord[K] } = {
      id: String(id),
      submit,
      duration: secondsToMicros(durationSeconds),
      cpu: toBase(this.number(row, line, 'cpu', 'cores', 0, 1e7), MILLI_PER_CORE),
      memory: toBase(this.number(row, line, 'memory', 'GiB', 0, 1e9), MIB_PER_GIB),
      gpu: row('gpu') === undefined ? 0 : toBase(this.number(row, line, 'gpu', 'GPUs', 0, 1e6), MILLI_PER_GPU),
      priority,
    };
    const job = row('job'), user = row('user');
    if (job !== undefined && job !== '') record.job = String(job);
    if (user !== undefined && user !== '') record.user = String(user);
    return record;
  }

  error(line: number | undefined, column: string | undefined, problem: string): InputError {
    return new InputError({ file: this.file, line, field: column === undefined ? undefined : `column ${JSON.stringify(column)}` }, problem);
  }

  private number(row: RawRow, line: number | undefined, column: Column, unit: string, min: number, max: number): number {
    const raw = row(column);
    const expected = `expected a number (${unit}) from ${min} to ${max}`;
    if (raw === undefined || raw === '') throw this.error(line, column, `missing: ${expected}`);
    const value = typeof raw === 'number' ? raw : DECIMAL.test(raw) ? Number(raw) : NaN;
    if (!Number.isFinite(value)) throw this.error(line, column, `${expected}; got ${quote(raw)}`);
    if (value < min || value > max) throw this.error(line, column, `${expected}; got ${quote(raw)}`);
    return value;
  }
}
