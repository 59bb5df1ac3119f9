// Google 2011's task_events are read by a fast path that cuts fields at commas, and fall back to
// the CSV tokenizer for anything unusual. The two must agree: the same rows with a quoted field
// (which forces the careful path) give the same events, on random rows with the forms the trace
// holds (blanks, signs, decimals, exponents, times after the window).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { decimal, digits, newStats } from '../traces/formats/common.ts';
import { GOOGLE_SCALE, taskEvents2011 } from '../traces/formats/google.ts';
import type { TaskEvent } from '../traces/formats/google-join.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-google-fast-'));
const OPTIONS = { replay: 'reschedule', skipBadRows: true } as const;

async function events(name: string, text: string): Promise<{ events: TaskEvent[]; skipped: number }> {
  const path = join(dir, name);
  writeFileSync(path, text);
  const stats = newStats();
  const out: TaskEvent[] = [];
  for await (const batch of taskEvents2011(path, GOOGLE_SCALE.google2011, OPTIONS, stats)) out.push(...batch);
  return { events: out, skipped: stats.skippedRows };
}

/** Digits with a decimal point somewhere (or none), 1 to 18 of them. */
function randomDecimal(random: () => number): string {
  const count = 1 + Math.floor(random() * 18);
  let text = '';
  for (let i = 0; i < count; i++) text += String(Math.floor(random() * 10));
  const point = Math.floor(random() * (count + 2));
  return point > count ? text : `${text.slice(0, point)}.${text.slice(point)}`;
}

function randomRow(random: () => number): string[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const int = (n: number) => String(Math.floor(random() * n));
  return [
    pick([int(3e12), '0', '9223372036854775807', '-5', '1e6']),
    pick(['', '0', '1']),
    pick([int(7e9), '6251812952']),
    pick([int(500), '0']),
    pick(['', int(4e8)]),
    pick([int(9), '9', 'x', '']),
    pick(['', 'fJYeclskJqPWsAT6TX/r9X5OiIZpSEb2PBGliYAOMxM=']),
    pick([int(4), '', '7', '-1']),
    pick([int(12), '', '-1', '2.5']),
    pick(['', '0.0625', '1e-3', '-0.1', 'abc', '.5', '5.', '.', '1.2.3', ' 0.5', randomDecimal(random)]),
    pick(['', '0.03125', '0.5', '0.12345678901234567', randomDecimal(random)]),
    pick(['', '0.0001']),
    pick(['', '0', '1']),
  ];
}

describe('task_events (2011) fast path', () => {
  it('gives the same events and errors as the tokenizer on random rows', async () => {
    const random = seedrandom('google-fast-path');
    const rows = Array.from({ length: 3000 }, () => randomRow(random));
    const plain = rows.map((f) => f.join(',')).join('\n') + '\n';
    // The same rows with the job id quoted: every line takes the careful path.
    const quoted = rows.map((f) => [f[0], f[1], `"${f[2]}"`, ...f.slice(3)].join(',')).join('\r\n') + '\r\n';
    const fast = await events('plain.csv', plain);
    const careful = await events('quoted.csv', quoted);
    expect(fast.events.length).toBeGreaterThan(100);
    expect(fast.skipped).toBeGreaterThan(100);
    expect(fast).toEqual(careful);
    // Not ASCII: the chunk goes the careful way, to the same events.
    const accented = await events('accented.csv', plain.replaceAll('fJYe', 'fJYé'));
    expect(accented.events.filter((e) => e.user?.startsWith('fJYé')).length).toBeGreaterThan(100);
    expect(accented).toEqual({ ...fast, events: fast.events.map((e) => (e.user?.startsWith('fJYe') ? { ...e, user: e.user.replace('fJYe', 'fJYé') } : e)) });
  });

  it('reads plain decimals to the same double as Number(), and leaves other forms to it', () => {
    const random = seedrandom('google-decimals');
    let read = 0;
    for (let i = 0; i < 20_000; i++) {
      const text = randomDecimal(random);
      const fast = decimal(Buffer.from(text), 0, text.length);
      if (fast !== undefined) {
        read++;
        expect(fast, text).toBe(Number(text));
      } else {
        expect(text.replace('.', '').length, text).toBeGreaterThan(15);
      }
      const whole = text.replace('.', '');
      const d = digits(Buffer.from(whole), 0, whole.length);
      if (d !== undefined) expect(d, whole).toBe(Number(whole));
      else expect(whole.length).toBeGreaterThan(15);
    }
    expect(read).toBeGreaterThan(10_000);
    for (const odd of ['', '.', '1.2.3', '-1', '+1', ' 1', '1e3', '0x1', '1,5']) expect(decimal(Buffer.from(odd), 0, odd.length), odd).toBeUndefined();
    expect(decimal(Buffer.from('x0.25y'), 1, 5)).toBe(0.25);
    expect(decimal(Buffer.from('.5'), 0, 2)).toBe(0.5);
    expect(decimal(Buffer.from('5.'), 0, 2)).toBe(5);
  });

  it('names the line and column of a bad row', async () => {
    const path = join(dir, 'bad.csv');
    writeFileSync(path, '0,,1,0,,0,u,0,9,0.1,0.1,0,0\n5,,1,0,,12,u,0,9,,,,\n');
    const read = async () => { for await (const batch of taskEvents2011(path, GOOGLE_SCALE.google2011, { replay: 'reschedule', skipBadRows: false }, newStats())) void batch; };
    await expect(read()).rejects.toThrow(/bad\.csv:2: column 6 \(event type\): expected an event code 0-8; got 12/);
    writeFileSync(path, '0,,1,0,,0,u,0,9\n');
    await expect(read()).rejects.toThrow(/bad\.csv:1: the row: expected the 13 columns of task_events; got 9/);
    // Lines are counted across the chunks a large file is read in, blank lines and CRLF included.
    writeFileSync(path, '0,,1,0,,0,u,0,9,0.1,0.1,0,0\r\n'.repeat(60_000) + '\r\n' + '7,,1,0,,0,u,0,9,-0.5,0.1,0,0\r\n');
    await expect(read()).rejects.toThrow(/bad\.csv:60002: column 10 \(CPU request\): expected a normalised amount >= 0; got -0\.5/);
  });
});
