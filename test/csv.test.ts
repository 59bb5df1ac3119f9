// The CSV tokenizer against csv-parse (the library it replaced for speed) on random documents,
// fed in random pieces: the same records, or an error from both.

import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { stream, type Random } from '../sim/random.ts';
import { CsvSyntaxError, CsvTokenizer } from '../traces/csv.ts';

const ORACLE = { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true };

function tokenize(text: string, r: Random): { records: string[][]; lines: number[] } | 'error' {
  const records: string[][] = [];
  const lines: number[] = [];
  const t = new CsvTokenizer((fields, line) => {
    records.push(fields);
    lines.push(line);
  });
  try {
    for (let i = 0; i < text.length;) {
      const n = 1 + Math.floor(r() * 12);
      t.push(text.slice(i, i + n));
      i += n;
    }
    t.end();
  } catch (err) {
    if (err instanceof CsvSyntaxError) return 'error';
    throw err;
  }
  return { records, lines };
}

function oracle(text: string): string[][] | 'error' {
  try {
    return parse(text, ORACLE) as string[][];
  } catch {
    return 'error';
  }
}

const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** A random document: plain and quoted fields, blanks, commas, quotes, line ends inside quotes. */
function document(r: Random, valid: boolean): string {
  const eol = r() < 0.5 ? '\n' : '\r\n';
  const plain = () => Array.from({ length: Math.floor(r() * 4) }, () => pick(r, ['a', 'b', '7', ' ', '.', 'é'])).join('');
  const quoted = () => '"' + Array.from({ length: Math.floor(r() * 5) }, () => pick(r, ['x', ' ', ',', '""', '\n', '\r\n', 'ü'])).join('') + '"';
  const blank = () => pick(r, ['', '', ' ', '\t']);
  const field = () => (r() < 0.3 ? blank() + quoted() + blank() : plain());
  const lines: string[] = [];
  for (let k = 0; k < 1 + Math.floor(r() * 6); k++) {
    if (r() < 0.15) lines.push(pick(r, ['', '  ', '\t']));
    else lines.push(Array.from({ length: 1 + Math.floor(r() * 4) }, field).join(','));
  }
  let text = (r() < 0.1 ? '\ufeff' : '') + lines.join(eol) + (r() < 0.6 ? eol : '');
  if (!valid) {
    const at = Math.floor(r() * (text.length + 1));
    text = text.slice(0, at) + pick(r, ['"', 'x"y', '"a"b']) + text.slice(at);
  }
  return text;
}

describe('CSV tokenizer', () => {
  it('reads what csv-parse reads, in any pieces', () => {
    const r = stream(1, 'csv-test');
    for (let n = 0; n < 4000; n++) {
      const text = document(r, true);
      const ours = tokenize(text, r);
      expect(ours === 'error' ? 'error' : ours.records, JSON.stringify(text)).toEqual(oracle(text));
    }
  });

  it('refuses what csv-parse refuses, and reads what it reads, on damaged documents', () => {
    const r = stream(2, 'csv-test');
    let refused = 0;
    for (let n = 0; n < 4000; n++) {
      const text = document(r, false);
      const theirs = oracle(text);
      const ours = tokenize(text, r);
      if (theirs === 'error') refused++;
      expect(ours === 'error' ? 'error' : ours.records, JSON.stringify(text)).toEqual(theirs);
    }
    expect(refused).toBeGreaterThan(500); // the damage does break documents
  });

  it('numbers records by the line they start on, counting line ends inside quotes', () => {
    const r = stream(3, 'csv-test');
    const result = tokenize('id,v\n\n"a\nb",1\r\nc,2\n', r);
    expect(result).toEqual({ records: [['id', 'v'], ['a\nb', '1'], ['c', '2']], lines: [1, 3, 5] });
  });

  it('says where a quoted field was left open', () => {
    const t = new CsvTokenizer(() => undefined);
    t.push('a,b\nc,"d\ne\n');
    expect(() => t.end()).toThrow(/not closed/);
    try {
      const u = new CsvTokenizer(() => undefined);
      u.push('a\n"x"y,1\n');
      u.end();
    } catch (err) {
      expect(err).toBeInstanceOf(CsvSyntaxError);
      expect((err as CsvSyntaxError).line).toBe(2);
    }
  });
});
