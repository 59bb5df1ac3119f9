// The one-line progress display every long command uses (cli/progress.ts): drawn in place on a
// terminal, never on a pipe or with --quiet.

import { describe, expect, it } from 'vitest';
import { statusLine } from '../cli/progress.ts';

function stream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = { isTTY, columns: 40, text: '', write(chunk: string) { s.text += chunk; return true; } };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

describe('the progress line', () => {
  it('is drawn in place on a terminal, cut to its width, and cleared at the end', () => {
    const tty = stream(true);
    const line = statusLine(false, tty);
    line.show(() => `berth trace generate · 50% · ${'x'.repeat(60)}`);
    expect(tty.text.startsWith('\rberth trace generate · 50% · ')).toBe(true);
    expect(tty.text.endsWith('\x1b[K')).toBe(true);
    expect(tty.text.length).toBe(1 + 39 + 3);
    line.show(() => 'again'); // within 0.1 s of the last: not redrawn
    expect(tty.text).not.toContain('again');
    line.done();
    expect(tty.text.endsWith('\r\x1b[K')).toBe(true);
  });

  it('writes nothing when the stream is not a terminal, or with --quiet', () => {
    for (const [isTTY, quiet] of [[false, false], [true, true]] as const) {
      const s = stream(isTTY);
      const line = statusLine(quiet, s);
      let asked = false;
      line.show(() => { asked = true; return 'progress'; });
      line.done();
      expect(s.text).toBe('');
      expect(asked).toBe(false);
    }
  });
});
