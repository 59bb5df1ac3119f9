// Files a run writes under --out DIR. Each is written to a temporary name and renamed into
// place only when the run succeeds, so a failed or interrupted run never destroys the results
// of an earlier one in the same folder.

import { createWriteStream, type WriteStream } from 'node:fs';
import { createGzip } from 'node:zlib';
import type { Writable } from 'node:stream';
import { mkdir, rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { InputError } from './errors.ts';

const FLUSH_BYTES = 1 << 20;

/** A text file written in large chunks, committed by rename; gzipped if asked. */
export class StagedFile {
  private readonly file: WriteStream;
  /** Where text goes: the file, or a gzip stream into it. */
  private readonly stream: Writable;
  private readonly temp: string;
  private buffer = '';
  private failure: Error | undefined;

  constructor(readonly path: string, options: { gzip?: boolean } = {}) {
    this.temp = `${path}.partial-${process.pid}`;
    this.file = createWriteStream(this.temp);
    this.file.on('error', (err) => { this.failure = err; });
    if (options.gzip) {
      const gzip = createGzip();
      gzip.on('error', (err) => { this.failure = err; });
      gzip.pipe(this.file);
      this.stream = gzip;
    } else {
      this.stream = this.file;
    }
  }

  /** Appends text; cheap and synchronous (buffered). */
  write(text: string): void {
    this.buffer += text;
    if (this.buffer.length >= FLUSH_BYTES) this.flushBuffer();
  }

  /** Waits until the operating system has taken what was written so far. */
  async drain(): Promise<void> {
    this.flushBuffer();
    if (this.stream.writableNeedDrain) await once(this.stream, 'drain');
    if (this.failure) throw this.failure;
  }

  async commit(): Promise<void> {
    this.flushBuffer();
    this.stream.end();
    await once(this.file, 'close');
    if (this.failure) throw this.failure;
    await rename(this.temp, this.path);
  }

  async abort(): Promise<void> {
    this.stream.destroy();
    this.file.destroy();
    await rm(this.temp, { force: true });
  }

  private flushBuffer(): void {
    if (this.buffer.length === 0) return;
    this.stream.write(this.buffer);
    this.buffer = '';
  }
}

/** Creates the output folder (and parents), with a clear error when that is impossible. */
export async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new InputError({ field: '--out' }, `cannot create ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

export const outputPath = (dir: string, name: string): string => join(dir, name);
