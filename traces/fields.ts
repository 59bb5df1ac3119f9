// Validation of the native format's fields, shared by the CSV and JSON Lines readers. Each
// check names the file, the line and the column, and says what was expected.

import { InputError, quote } from '../sim/errors.ts';
import { MIB_PER_GIB, MILLI_PER_CORE, MILLI_PER_GPU, secondsToMicros, toBase } from '../sim/units.ts';
import { TextFormError, parseAffinity, parseConstraints, parseSpread, parseTolerations } from './placement-text.ts';
import type { TaskRecord } from './record.ts';

export const REQUIRED_COLUMNS = ['id', 'submit', 'duration', 'cpu', 'memory'] as const;
/** Placement rules, in the text forms of placement-text.ts. */
export const RULE_COLUMNS = ['constraints', 'tolerations', 'affinity', 'antiAffinity', 'spread'] as const;
/** Columns read through RowReader.read's `extra`: the task's group within its job, and the rules. */
export const EXTRA_COLUMNS = ['group', ...RULE_COLUMNS] as const;
export const OPTIONAL_COLUMNS = ['gpu', 'priority', 'job', 'user', ...EXTRA_COLUMNS] as const;
export const COLUMNS = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS] as const;
export type Column = (typeof COLUMNS)[number];
export type RuleColumn = (typeof RULE_COLUMNS)[number];
export type ExtraColumn = (typeof EXTRA_COLUMNS)[number];

/** Seconds in a century: a submit time or duration beyond it is surely a unit mistake. */
const MAX_SECONDS = 100 * 365 * 86400;
const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** A raw value as read: a CSV field, or a JSON value; undefined when absent or empty. */
export type Raw = string | number | undefined;

interface Limits {
  readonly unit: string;
  readonly min: number;
  readonly max: number;
}
const SECONDS: Limits = { unit: 'seconds', min: 0, max: MAX_SECONDS };
const CORES: Limits = { unit: 'cores', min: 0, max: 1e7 };
const GIB: Limits = { unit: 'GiB', min: 0, max: 1e9 };
const GPUS: Limits = { unit: 'GPUs', min: 0, max: 1e6 };
const PRIORITY: Limits = { unit: 'a whole number', min: -1e9, max: 1e9 };

const EXAMPLE: Readonly<Record<RuleColumn, string>> = {
  constraints: '"zone==a;gen>=2"', tolerations: '"dedicated=gpu:NoSchedule"', affinity: '"web@zone"', antiAffinity: '"db@node"', spread: '"zone:1"',
};

export class RowReader {
  private lastSubmit = -Infinity;

  constructor(private readonly file: string) {}

  /**
   * Validates one row's raw values (in COLUMNS order) and converts them to base units. `line`
   * may be left undefined, for the caller to find when there is an error. `extra` gives the
   * group and placement rule columns, when the file has any.
   */
  read(
    id: Raw, submit: Raw, duration: Raw, cpu: Raw, memory: Raw,
    gpu: Raw, priority: Raw, job: Raw, user: Raw, line: number | undefined, extra?: (column: ExtraColumn) => Raw,
  ): TaskRecord {
    if (id === undefined || id === '') throw this.error(line, 'id', 'missing: expected a task id');
    const submitSeconds = this.number(submit, line, 'submit', SECONDS);
    const micros = secondsToMicros(submitSeconds);
    if (micros < this.lastSubmit) {
      throw this.error(line, 'submit',
        `${submitSeconds} comes before the previous task's submit time; berth streams traces and needs rows sorted by submit`);
    }
    this.lastSubmit = micros;
    const level = priority === undefined ? 0 : this.number(priority, line, 'priority', PRIORITY);
    if (!Number.isInteger(level)) throw this.error(line, 'priority', `expected a whole number; got ${quote(priority)}`);
    const record: { -readonly [K in keyof TaskRecord]: TaskRecord[K] } = {
      kind: 'task',
      id: typeof id === 'string' ? id.trim() : String(id),
      submit: micros,
      duration: secondsToMicros(this.number(duration, line, 'duration', SECONDS)),
      cpu: toBase(this.number(cpu, line, 'cpu', CORES), MILLI_PER_CORE),
      memory: toBase(this.number(memory, line, 'memory', GIB), MIB_PER_GIB),
      gpu: gpu === undefined ? 0 : toBase(this.number(gpu, line, 'gpu', GPUS), MILLI_PER_GPU),
      priority: level,
    };
    if (job !== undefined) record.job = String(job).trim();
    if (user !== undefined) record.user = String(user).trim();
    if (extra !== undefined) {
      const group = extra('group');
      if (group !== undefined) record.group = String(group).trim();
      const constraints = this.rule(extra, 'constraints', parseConstraints, line);
      const tolerations = this.rule(extra, 'tolerations', parseTolerations, line);
      const affinity = this.rule(extra, 'affinity', parseAffinity, line);
      const antiAffinity = this.rule(extra, 'antiAffinity', parseAffinity, line);
      const spread = this.rule(extra, 'spread', parseSpread, line);
      if (constraints) record.constraints = constraints;
      if (tolerations) record.tolerations = tolerations;
      if (affinity) record.affinity = affinity;
      if (antiAffinity) record.antiAffinity = antiAffinity;
      if (spread) record.spread = spread;
    }
    return record;
  }

  /** A rule column's list, or undefined when the field is empty (or lists nothing). */
  private rule<T>(rules: (column: ExtraColumn) => Raw, column: RuleColumn, parse: (text: string) => T[], line: number | undefined): T[] | undefined {
    const raw = rules(column);
    if (raw === undefined) return undefined;
    if (typeof raw !== 'string') throw this.error(line, column, `expected text such as ${EXAMPLE[column]}; got ${quote(raw)}`);
    try {
      const list = parse(raw);
      return list.length > 0 ? list : undefined;
    } catch (err) {
      if (err instanceof TextFormError) throw this.error(line, column, err.message);
      throw err;
    }
  }

  error(line: number | undefined, column: string | undefined, problem: string): InputError {
    return new InputError({ file: this.file, line, field: column === undefined ? undefined : `column ${JSON.stringify(column)}` }, problem);
  }

  private number(raw: Raw, line: number | undefined, column: Column, limits: Limits): number {
    if (typeof raw === 'number') {
      if (Number.isFinite(raw) && raw >= limits.min && raw <= limits.max) return raw;
    } else if (raw !== undefined) {
      const value = Number(raw);
      // Number() also takes hex, binary and blanks; the pattern is checked only when it passed.
      if (value >= limits.min && value <= limits.max && DECIMAL.test(raw)) return value;
    }
    const expected = `expected a number (${limits.unit}) from ${limits.min} to ${limits.max}`;
    throw this.error(line, column, raw === undefined ? `missing: ${expected}` : `${expected}; got ${quote(raw)}`);
  }
}
