// Native CSV traces are read by a byte scan that cuts fields at commas and reads numbers from
// their digits, and leaves to the CSV tokenizer the header, anything unusual in a row, and the
// rest of the file from the first quote or non-ASCII chunk on. The two must agree: the same
// tasks in the same batches, the same hash, and for bad rows the same errors (message, file,
// line, field), stopping or passed over, on random documents with the forms a hand-made or
// converted file may hold; and line numbers must hold across the chunks a large file is read in.

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { InputError } from '../sim/errors.ts';
import { readNativeTrace } from '../traces/native.ts';
import type { TaskRecord } from '../traces/record.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-native-fast-'));

interface Problem {
  readonly message: string;
  readonly where: InputError['where'];
}

interface Outcome {
  /** The size of each batch, when the whole file was read. */
  readonly batches: number[];
  readonly tasks: TaskRecord[];
  /** Rows passed over (with onBadRow). */
  readonly skipped: Problem[];
  /** What stopped the reading. */
  readonly error?: Problem;
  readonly sha256?: string;
}

/** Reads a native trace with the byte scan or through the tokenizer alone, passing bad rows over or not. */
async function read(path: string, byteScan: boolean, skip: boolean, batchSize = 7): Promise<Outcome> {
  const skipped: Problem[] = [];
  const onBadRow = skip ? (err: InputError) => { skipped.push({ message: err.message, where: err.where }); } : undefined;
  const trace = readNativeTrace(path, batchSize, onBadRow, byteScan);
  const batches: number[] = [];
  const tasks: TaskRecord[] = [];
  try {
    for await (const batch of trace.source) {
      batches.push(batch.length);
      for (const r of batch) if (r.kind === 'task') tasks.push(r);
    }
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    // Which batches came before the error depends on where the chunks were cut: not compared.
    return { batches: [], tasks: [], skipped, error: { message: err.message, where: err.where } };
  }
  return { batches, tasks, skipped, sha256: trace.sha256() };
}

type Random = () => number;
const pick = <T>(random: Random, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

/** Digits with a decimal point somewhere (or none), 1 to 17 of them. */
function randomDecimal(random: Random): string {
  const count = 1 + Math.floor(random() * 17);
  let text = '';
  for (let i = 0; i < count; i++) text += String(Math.floor(random() * 10));
  const point = Math.floor(random() * (count + 2));
  return point > count ? text : `${text.slice(0, point)}.${text.slice(point)}`;
}

const ODD_NUMBERS = [
  '1e3', '1E-2', '-1', '-0', '+2', '.5', '3.', '.', '0x10', '0b1', '', '1.2.3', 'abc', '12345678901234567', 'Infinity', '1_0',
  ' 7', '8 ', ' ', '\t', ' -1', '-1\t', ' x', 'x ', '\v9', '9\x01', '\x01',
];
const OPTIONAL = ['gpu', 'priority', 'job', 'user', 'group', 'constraints', 'note'] as const;

/** Odd forms come with probability `odd`, quotes and non-ASCII text with probability `rare`. */
interface Mix {
  readonly odd: number;
  readonly rare: number;
  readonly crlf: number;
}

/** A random native CSV document: a header with some of the optional columns in some order, then rows. */
function randomDocument(random: Random, rows: number, mix: Mix): string {
  const columns = ['id', 'submit', 'duration', 'cpu', 'memory', ...OPTIONAL.filter(() => random() < 0.5)];
  for (let i = columns.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [columns[i], columns[j]] = [columns[j]!, columns[i]!];
  }
  const odd = () => random() < mix.odd;
  const rare = () => random() < mix.rare;
  const amount = () => (odd() ? pick(random, ODD_NUMBERS) : random() < 0.3 ? String(Math.floor(random() * 64)) : randomDecimal(random).slice(0, 6));
  let time = 0;
  const value = (column: string, i: number): string => {
    switch (column) {
      case 'id':
        if (rare()) return pick(random, [`"a,${i}"`, `"line\nbreak ${i}"`, `"say ""${i}"""`, `tâche-${i}`, `"${i}"`]);
        return odd() ? pick(random, ['', ' ', ` t${i}`, `t${i}\t`, `t ${i}`, `t${i}\r`]) : `t${i}`;
      case 'submit':
        if (odd()) return pick(random, [String(time - 1), `${time}e0`, ` ${time}`, '', '-1', '4e9', `${time}.`]);
        time += pick(random, [0, 0, 1, 2.5, 0.125, 10]);
        return String(time);
      case 'duration':
      case 'cpu':
      case 'memory':
        return amount();
      case 'gpu':
        return odd() ? pick(random, ODD_NUMBERS) : pick(random, ['', '0', '0.5', '1', '2']);
      case 'priority':
        return odd() ? pick(random, ['1.5', '1e2', ' 4', '-2', '2000000000', '0x1']) : pick(random, ['', '0', '3', '10']);
      case 'job':
      case 'user':
      case 'group':
        if (rare()) return pick(random, ['"x,y"', 'ünï']);
        return odd() ? pick(random, [' j ', '\tj', 'j j']) : pick(random, ['', 'j1', 'u-2', 'web']);
      case 'constraints':
        if (rare()) return '"gpu-model in V100,A100"';
        return odd() ? pick(random, ['zone=a', 'gen>=two', ' zone==b ', ' zone=b', 'zone=b\t', ' ']) : pick(random, ['', 'zone==a', 'gen>=2;ssd exists']);
      default:
        return odd() ? pick(random, [' n ', 'x"y']) : pick(random, ['', 'note', 'a b']);
    }
  };
  const end = () => (random() < mix.crlf ? '\r\n' : '\n');
  let text = random() < 0.1 ? '\ufeff' : '';
  if (random() < 0.1) text += end();
  text += columns.map((c) => (random() < 0.03 ? `"${c}"` : random() < 0.03 ? ` ${c} ` : c)).join(',') + end();
  for (let i = 0; i < rows; i++) {
    if (odd() && random() < 0.3) {
      text += pick(random, ['', ' ', '\t', '\r', ',,,', ' , ']) + end(); // blank lines and empty records
      continue;
    }
    const fields = columns.map((c) => value(c, i));
    if (odd() && random() < 0.2) {
      if (random() < 0.5) fields.pop();
      else fields.push('extra');
    }
    text += fields.join(',') + end();
  }
  if (random() < 0.2) text = text.replace(/\r?\n$/, ''); // the last line without its line end
  return text;
}

describe('native CSV byte scan', () => {
  it('reads random documents to the same tasks, batches, hashes and errors as the tokenizer', async () => {
    const random = seedrandom('native-fast-path');
    const mixes: Mix[] = [
      { odd: 0, rare: 0, crlf: 0 },
      { odd: 0.02, rare: 0, crlf: 0.3 },
      { odd: 0.05, rare: 0.003, crlf: 0 },
      { odd: 0.1, rare: 0.01, crlf: 1 },
      { odd: 0.3, rare: 0.02, crlf: 0.5 },
    ];
    let tasks = 0, skipped = 0, errors = 0;
    for (let doc = 0; doc < 200; doc++) {
      const text = randomDocument(random, 1 + Math.floor(random() * 300), mixes[doc % mixes.length]!);
      const gzip = random() < 0.15;
      const path = join(dir, `doc-${doc}.csv${gzip ? '.gz' : ''}`);
      writeFileSync(path, gzip ? gzipSync(text) : text);
      for (const skip of [false, true]) {
        const batchSize = 1 + Math.floor(random() * 20);
        const scanned = await read(path, true, skip, batchSize);
        const tokenized = await read(path, false, skip, batchSize);
        expect(scanned, `${path}, skipping bad rows: ${skip}`).toEqual(tokenized);
        tasks += scanned.tasks.length;
        skipped += scanned.skipped.length;
        if (scanned.error) errors++;
      }
    }
    // The documents hold all of it: tasks read, bad rows passed over, and reads stopped.
    expect(tasks).toBeGreaterThan(10_000);
    expect(skipped).toBeGreaterThan(500);
    expect(errors).toBeGreaterThan(50);
  });

  it('hashes the file as stored, keeps the bad rows\' messages word for word and reads the smallest files alike', async () => {
    const path = join(dir, 'words.csv');
    const text = 'id,submit,duration,cpu,memory,priority\n' +
      'a,0,1,1,1,\n' +
      'b,1,4000000000,1,1,\n' + // a number read from digits, refused: the message quotes the text
      'c,2,1,1.50,1,1.50\n' +
      'd,3,1,1,1,\n';
    writeFileSync(path, text);
    const scanned = await read(path, true, true);
    expect(scanned.skipped.map((p) => p.message)).toEqual([
      `${path}:3: column "duration": expected a number (seconds) from 0 to 3153600000; got "4000000000"`,
      `${path}:4: column "priority": expected a whole number; got "1.50"`,
    ]);
    expect(scanned.tasks.map((t) => t.id)).toEqual(['a', 'd']);
    expect(scanned.sha256).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'));
    expect(scanned).toEqual(await read(path, false, true));

    const small = ['', '\n', ' \r\n\n', 'id,submit,duration,cpu,memory', '\nid,submit,duration,cpu,memory\r\n', 'id,submit\n',
      'id,submit,duration,cpu,memory\na,0,1,1,1', 'id,submit,duration,cpu,memory\na,0,1,1,1\r', '"id",submit,duration,cpu,memory\na,0,1,1,1\n'];
    for (const [i, text] of small.entries()) {
      const file = join(dir, `small-${i}.csv`);
      writeFileSync(file, text);
      for (const skip of [false, true]) expect(await read(file, true, skip), JSON.stringify(text)).toEqual(await read(file, false, skip));
    }
  });

  it('counts lines across the chunks of a large file, before and after a quote hands the rest to the tokenizer', async () => {
    // About 4.7 MiB: lineChunks cuts it in pieces of 1 MiB (256 KiB once inflated, gzipped). From
    // the first quote on, every other id is quoted and holds two line breaks (the
    // line between them a good row, were it not quoted): a record then spans three lines, and the pieces
    // after it are mostly cut inside one.
    const rows: string[] = ['id,submit,duration,cpu,memory,gpu,priority,job,user'];
    let line = 1; // of the last row
    const bad: number[] = []; // lines of bad rows
    const quoteFrom = 40_000;
    let quoteLine = 0;
    const count = 90_000;
    for (let i = 0; i < count; i++) {
      if (i % 4999 === 0) {
        rows.push(i % 2 === 0 ? '' : ' \r'); // a blank line, counted
        line++;
      }
      let row = `task-${i},${(i / 8).toFixed(3)},${(i % 500) / 4},0.25,1.5,,${i % 7},job-${i % 100},user-${i % 13}`;
      if (i % 3001 === 0) row = row.replace(',0.25,', ', 0.25 ,'); // blanks around a field: the tokenizer's row
      if (i % 997 === 996 || i === count - 3) {
        row = row.replace('0.25', '-0.25');
        bad.push(line + 1);
      }
      if (i >= quoteFrom && i % 2 === 0) {
        row = row.replace(`task-${i}`, `"task,${i}\n${i}b,${(i / 8).toFixed(3)},1,1,1,,0,j,u\n${count}"`);
        quoteLine ||= line + 1;
      }
      rows.push(i % 3 === 0 ? row + '\r' : row);
      line += i >= quoteFrom && i % 2 === 0 ? 3 : 1;
    }
    const text = rows.join('\n') + '\n';
    expect(text.length).toBeGreaterThan(4 << 20);
    expect(text.split('\n').length - 1).toBe(line);
    const plain = join(dir, 'large.csv');
    writeFileSync(plain, text);
    const gz = join(dir, 'large.csv.gz');
    writeFileSync(gz, gzipSync(text));
    expect(bad.filter((l) => l < quoteLine).length).toBeGreaterThan(30);
    expect(bad.filter((l) => l > quoteLine).length).toBeGreaterThan(30);

    for (const path of [plain, gz]) {
      const first = await read(path, true, false, 4096);
      expect(first.error).toEqual({
        message: `${path}:${bad[0]}: column "cpu": expected a number (cores) from 0 to 10000000; got "-0.25"`,
        where: { file: path, line: bad[0], field: 'column "cpu"' },
      });
      expect(first).toEqual(await read(path, false, false, 4096));

      const skipped = await read(path, true, true, 4096);
      expect(skipped.skipped.map((p) => p.where.line)).toEqual(bad);
      expect(skipped.tasks.length).toBe(count - bad.length);
      expect(skipped.batches.slice(0, -1).every((n) => n === 4096)).toBe(true);
      expect(skipped.tasks.find((t) => t.id === `task,${quoteFrom}\n${quoteFrom}b,${(quoteFrom / 8).toFixed(3)},1,1,1,,0,j,u\n${count}`)).toMatchObject({ cpu: 250, memory: 1536, priority: quoteFrom % 7 });
      expect(skipped).toEqual(await read(path, false, true, 4096));
    }

    // A bad last row stops the reading at its line, once the others are made good.
    const nearEnd = join(dir, 'large-end.csv');
    const good = text.replaceAll('-0.25', '0.25');
    const cpu = good.lastIndexOf(',0.25,');
    writeFileSync(nearEnd, `${good.slice(0, cpu)},-1,${good.slice(cpu + 6)}`);
    const last = await read(nearEnd, true, false, 4096);
    expect(last.error).toEqual({
      message: `${nearEnd}:${line}: column "cpu": expected a number (cores) from 0 to 10000000; got "-1"`,
      where: { file: nearEnd, line, field: 'column "cpu"' },
    });
    expect(last).toEqual(await read(nearEnd, false, false, 4096));
  });
});
