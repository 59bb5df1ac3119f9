// Errors in what a user gave us: a file, a line, a field, and what was expected. The command
// line prints them as one line, without a stack trace.

export interface Where {
  readonly file?: string | undefined;
  readonly line?: number | undefined;
  readonly field?: string | undefined;
}

export class InputError extends Error {
  override readonly name = 'InputError';

  constructor(readonly where: Where, readonly problem: string) {
    super(formatWhere(where) + problem);
  }
}

function formatWhere({ file, line, field }: Where): string {
  let at = '';
  if (file !== undefined) at += file;
  if (line !== undefined) at += (at ? ':' : 'line ') + line;
  if (at) at += ': ';
  if (field !== undefined) at += field + ': ';
  return at;
}

/** Quotes a value the user wrote, shortened, for an error message. */
export function quote(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}
