// A streaming CSV tokenizer (RFC 4180): comma-separated fields, quoted fields with "" for a
// quote and line breaks inside, LF or CRLF line ends, a byte-order mark, whitespace around
// fields trimmed, empty lines skipped. It replaced csv-parse on the trace path for speed: a line
// without quotes is split by the engine's own String.split, about ten times faster than
// csv-parse's character loop (bench/csv.bench.ts); test/csv.test.ts checks it against csv-parse
// on random documents.

/** A field as RFC 4180 writes it: quoted (quotes doubled) when it holds a quote, comma or line end. */
export function csvQuote(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export class CsvSyntaxError extends Error {
  override readonly name = 'CsvSyntaxError';

  constructor(readonly line: number, problem: string) {
    super(problem);
  }
}

/** Receives each record with the line it starts on (1-based). */
export type OnRecord = (fields: string[], line: number) => void;

const QUOTE = '"';
const INCOMPLETE = -1;

export class CsvTokenizer {
  private tail = '';
  private line = 1;
  private started = false;

  constructor(private readonly onRecord: OnRecord) {}

  /** Takes the next piece of text; emits every record it completes. */
  push(chunk: string): void {
    let text = this.tail + chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.tail = text.slice(this.consume(text, false));
  }

  /** The end of the input: emits the last record, which may lack a line end. */
  end(): void {
    const text = this.tail;
    this.tail = '';
    this.consume(text, true);
  }

  /** Emits the records in text; returns where the unfinished rest begins. */
  private consume(text: string, final: boolean): number {
    let pos = 0;
    let quote = -1; // the next quote at or after pos, once looked for (text.length: none)
    for (;;) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0 && !final) return pos;
      const end = nl < 0 ? text.length : nl;
      if (pos >= text.length) return pos;
      if (quote < pos) {
        quote = text.indexOf(QUOTE, pos);
        if (quote < 0) quote = text.length;
      }
      if (quote < end) {
        const next = this.quotedRecord(text, pos, final);
        if (next === INCOMPLETE) return pos;
        pos = next;
        continue;
      }
      const lineText = text.slice(pos, end); // a CR before the LF goes with the trimming
      if (lineText.trim() !== '') {
        const fields = lineText.split(',');
        for (let i = 0; i < fields.length; i++) {
          const f = fields[i]!;
          if (f.length > 0 && (f.charCodeAt(0) <= 32 || f.charCodeAt(f.length - 1) <= 32)) fields[i] = f.trim();
        }
        this.onRecord(fields, this.line);
      }
      this.line++;
      pos = end + 1;
      if (nl < 0) return text.length;
    }
  }

  /**
   * A record with quotes, read character by character from `start`. Returns the index after
   * its line end, or INCOMPLETE when the text stops inside it and more may come.
   */
  private quotedRecord(text: string, start: number, final: boolean): number {
    const fields: string[] = [];
    const line = this.line;
    let lines = 0; // line ends inside quoted fields
    let i = start;
    for (;;) {
      while (i < text.length && isBlank(text.charCodeAt(i))) i++;
      let value: string;
      if (text[i] === QUOTE) {
        value = '';
        i++;
        for (;;) {
          const q = text.indexOf(QUOTE, i);
          if (q < 0 || q + 1 >= text.length) {
            if (!final) return INCOMPLETE;
            if (q < 0) throw new CsvSyntaxError(line, 'a quoted field is not closed before the end of the file');
          }
          value += text.slice(i, q);
          if (text[q + 1] === QUOTE) {
            value += QUOTE;
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        lines += countLineEnds(value);
        while (i < text.length && isBlank(text.charCodeAt(i))) i++;
        if (i < text.length && text[i] !== ',' && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
          if (text[i] === '\r' && i + 1 >= text.length && !final) return INCOMPLETE;
          throw new CsvSyntaxError(line + lines, `unexpected ${JSON.stringify(text[i])} after a closing quote; expected a comma or the end of the line`);
        }
      } else {
        let stop = i;
        while (stop < text.length && text[stop] !== ',' && text[stop] !== '\n') stop++;
        if (stop >= text.length && !final) return INCOMPLETE;
        value = text.slice(i, stop);
        if (value.charCodeAt(value.length - 1) === 13 && text[stop] !== ',') value = value.slice(0, -1);
        value = value.trim();
        if (value.includes(QUOTE)) {
          throw new CsvSyntaxError(line + lines, `a quote inside an unquoted field (${JSON.stringify(value)}); quote the whole field and write "" for a quote`);
        }
        i = stop;
      }
      fields.push(value);
      if (i < text.length && text[i] === ',') {
        i++;
        continue;
      }
      // The record ends here: at a line end, or at the end of the input.
      if (text[i] === '\r') i++;
      if (i < text.length) i++; // the \n
      else if (!final) return INCOMPLETE;
      this.onRecord(fields, line);
      this.line += lines + 1;
      return i;
    }
  }
}

function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}

function countLineEnds(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
