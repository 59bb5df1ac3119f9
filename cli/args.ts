// Flag parsing for the commands: node's parseArgs, with errors that say which flag and what
// was expected.

import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Wrong use of the command line: exit code 2 and a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type Flags = Record<string, string | boolean | string[] | undefined>;

export function parseFlags(args: string[], options: NonNullable<ParseArgsConfig['options']>, positionals = 0): { flags: Flags; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: positionals > 0 });
  } catch (err) {
    const message = (err as Error).message;
    const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous/.exec(message);
    if (ambiguous) throw new UsageError(`${ambiguous[1]} needs a value; to give one that starts with a dash, write ${ambiguous[1]}=VALUE`);
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  if (parsed.positionals.length > positionals) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals])}`);
  }
  return { flags: parsed.values as Flags, positionals: parsed.positionals };
}

export function stringFlag(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function numberFlag(
  flags: Flags, name: string,
  opts: { integer?: boolean; min?: number; max?: number; exclusiveMin?: boolean },
): number | undefined {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return undefined;
  const value = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
  const { integer = false, min, max, exclusiveMin = false } = opts;
  const bounds = [
    min !== undefined ? `${exclusiveMin ? '>' : '>='} ${min}` : '',
    max !== undefined ? `<= ${max}` : '',
  ].filter(Boolean).join(' and ');
  const expected = `--${name} expects ${integer ? 'a whole number' : 'a number'}${bounds ? ' ' + bounds : ''}; got ${JSON.stringify(raw)}`;
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) throw new UsageError(expected);
  if (min !== undefined && (exclusiveMin ? value <= min : value < min)) throw new UsageError(expected);
  if (max !== undefined && value > max) throw new UsageError(expected);
  return value;
}

export function choiceFlag<T extends string>(flags: Flags, name: string, choices: readonly T[]): T | undefined {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return undefined;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name} expects one of ${choices.join(', ')}; got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

/** Refuses flags that make no sense together. */
export function exclusive(flags: Flags, a: string, b: string): void {
  if (flags[a] !== undefined && flags[b] !== undefined) throw new UsageError(`--${a} and --${b} cannot be used together`);
}
