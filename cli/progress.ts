// A one-line progress display on a terminal. Silent when the stream is not a terminal (CI,
// pipes, files) or when the user asked for --quiet.

import type { WriteStream } from 'node:tty';
import type { Progress } from '../sim/run.ts';
import { compact, duration } from './format.ts';

const INTERVAL_SECONDS = 0.1;

export interface ProgressLine {
  update(p: Progress): void;
  /** Clears the line. */
  done(): void;
}

export function progressLine(label: string, quiet: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  const tty = stream as WriteStream;
  if (quiet || !tty.isTTY) return { update: () => undefined, done: () => undefined };
  let last = -Infinity;
  let shown = false;
  return {
    update(p) {
      if (p.wallSeconds - last < INTERVAL_SECONDS) return;
      last = p.wallSeconds;
      const share = p.tasksTotal ? ` ${Math.floor((100 * p.tasksRead) / p.tasksTotal)}% ·` : '';
      const of = p.tasksTotal ? `/${compact(p.tasksTotal)}` : '';
      const rate = p.wallSeconds > 0 ? ` · ${compact(p.events / p.wallSeconds)} events/s` : '';
      const text = `${label}${share} ${compact(p.tasksRead)}${of} tasks read · simulated ${duration(p.simulatedSeconds)}${rate}`;
      tty.write(`\r${text.slice(0, Math.max(20, (tty.columns ?? 80) - 1))}\x1b[K`);
      shown = true;
    },
    done() {
      if (shown) tty.write('\r\x1b[K');
    },
  };
}
