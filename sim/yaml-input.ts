// Reading a YAML or JSON file that a user wrote (cluster files, and later specs and sweeps),
// with errors that name the file, the line and the field.

import { LineCounter, parseDocument, type Document } from 'yaml';
import { InputError, quote } from './errors.ts';

export type Path = readonly (string | number)[];

export class YamlInput {
  private constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
    readonly value: unknown,
  ) {}

  /** Parses YAML (JSON is YAML too). Syntax errors become an InputError at their line. */
  static parse(text: string, file: string): YamlInput {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
    const first = doc.errors[0];
    if (first) {
      const line = lines.linePos(first.pos[0]).line;
      throw new InputError({ file, line }, `not valid YAML or JSON: ${first.message.split('\n')[0]}`);
    }
    return new YamlInput(file, doc, lines, doc.toJS());
  }

  /** 1-based line of the value at `path`, or of the nearest enclosing value that exists. */
  lineOf(path: Path): number | undefined {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return this.lines.linePos(node.range[0]).line;
    }
    return undefined;
  }

  error(path: Path, problem: string): InputError {
    return new InputError({ file: this.file, line: this.lineOf(path), field: fieldName(path) || undefined }, problem);
  }

  // Typed readers: each returns the value or throws an InputError that says what was expected.

  object(path: Path, value: unknown, allowed: readonly string[]): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw this.error(path, `expected a mapping with keys ${allowed.join(', ')}; got ${quote(value)}`);
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        throw this.error([...path, key], `unknown field; expected one of ${allowed.join(', ')}`);
      }
    }
    return value as Record<string, unknown>;
  }

  array(path: Path, value: unknown, what: string): unknown[] {
    if (!Array.isArray(value)) throw this.error(path, `expected a list of ${what}; got ${quote(value)}`);
    return value;
  }

  number(path: Path, value: unknown, opts: { min?: number; integer?: boolean; unit?: string }): number {
    const { min, integer = false, unit } = opts;
    const expected = `expected ${integer ? 'a whole number' : 'a number'}${min !== undefined ? ` >= ${min}` : ''}${unit ? ` (${unit})` : ''}`;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw this.error(path, `${expected}; got ${quote(value)}`);
    if ((integer && !Number.isInteger(value)) || (min !== undefined && value < min)) {
      throw this.error(path, `${expected}; got ${quote(value)}`);
    }
    return value;
  }

  string(path: Path, value: unknown): string {
    if (typeof value !== 'string' || value === '') throw this.error(path, `expected a non-empty string; got ${quote(value)}`);
    return value;
  }

  /** A mapping of names to scalar values, returned with every value as a string. */
  stringMap(path: Path, value: unknown): Record<string, string> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw this.error(path, `expected a mapping of names to values; got ${quote(value)}`);
    }
    const out: Record<string, string> = {};
    for (const [key, v] of Object.entries(value)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw this.error([...path, key], `expected a string, number or boolean; got ${quote(v)}`);
      }
      out[key] = String(v);
    }
    return out;
  }
}

/** `nodes[2].cpu` from ['nodes', 2, 'cpu']. */
export function fieldName(path: Path): string {
  let name = '';
  for (const part of path) name += typeof part === 'number' ? `[${part}]` : (name ? '.' : '') + part;
  return name;
}
