// A one-line progress display on a terminal. Silent when the stream is not a terminal (CI,
// pipes, files) or when the user asked for --quiet.

import { performance } from 'node:perf_hooks';
import type { WriteStream } from 'node:tty';
import type { Progress } from '../sim/run.ts';
import { compact, duration } from './format.ts';

const INTERVAL_MS = 100;

/** A line of status rewritten in place, at most ten times a second. */
export interface StatusLine {
  /** Shows the text `text()` makes, unless the line was redrawn less than 0.1 s ago. */
  show(text: () => string): void;
  /** Clears the line. */
  done(): void;
}

export function statusLine(quiet: boolean, stream: NodeJS.WriteStream = process.stderr): StatusLine {
  const tty = stream as WriteStream;
  if (quiet || !tty.isTTY) return { show: () => undefined, done: () => undefined };
  let last = -Infinity;
  let shown = false;
  return {
    show(text) {
      const now = performance.now();
      if (now - last < INTERVAL_MS) return;
      last = now;
      tty.write(`\r${text().slice(0, Math.max(20, (tty.columns ?? 80) - 1))}\x1b[K`);
      shown = true;
    },
    done() {
      if (shown) tty.write('\r\x1b[K');
      shown = false;
    },
  };
}

export interface ProgressLine {
  update(p: Progress): void;
  /** Clears the line. */
  done(): void;
}

/** The progress of a simulation. */
export function progressLine(label: string, quiet: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  const line = statusLine(quiet, stream);
  return {
    update(p) {
      line.show(() => {
        const share = p.tasksTotal ? ` ${Math.floor((100 * p.tasksRead) / p.tasksTotal)}% ·` : '';
        const of = p.tasksTotal ? `/${compact(p.tasksTotal)}` : '';
        const rate = p.wallSeconds > 0 ? ` · ${compact(p.events / p.wallSeconds)} events/s` : '';
        return `${label}${share} ${compact(p.tasksRead)}${of} tasks read · simulated ${duration(p.simulatedSeconds)}${rate}`;
      });
    },
    done: line.done,
  };
}
