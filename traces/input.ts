// Opening a trace file as a byte stream: gzip is recognised by its magic bytes and inflated on
// the fly, and the raw bytes are hashed on the way through for the run record.

import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { Transform, pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '../sim/errors.ts';
import { CsvSyntaxError, CsvTokenizer } from './csv.ts';

export interface OpenedFile {
  /** The (inflated) content. Errors surface when it is read; pass them to inputError(). */
  readonly stream: Readable;
  /** SHA-256 of the file's bytes as stored; complete once the stream has ended. */
  sha256(): string;
  readonly gzip: boolean;
}

export function openInput(path: string): OpenedFile {
  const gzip = startsWithGzipMagic(path);
  const hash = createHash('sha256');
  let digest: string | undefined;
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const stages = [createReadStream(path, { highWaterMark: 1 << 20 }), hasher, ...(gzip ? [createGunzip({ chunkSize: 1 << 18 })] : [])];
  // pipeline() destroys every stage on an error, so the last one's reader sees it.
  const stream = pipeline(stages, () => undefined) as unknown as Readable;
  return { stream, gzip, sha256: () => (digest ??= hash.digest('hex')) };
}

/**
 * An opened file's CSV rows, each turned by `onRow` into an item (or nothing: undefined), in
 * batches of `batchSize`. Bad CSV and read errors become InputErrors naming the file.
 */
export async function* csvBatches<T>(
  path: string, opened: OpenedFile, batchSize: number, onRow: (fields: string[], line: number) => T | undefined,
): AsyncGenerator<T[]> {
  let batch: T[] = [];
  const full: T[][] = []; // batches completed by the latest chunk
  const tokenizer = new CsvTokenizer((fields, line) => {
    const item = onRow(fields, line);
    if (item === undefined) return;
    batch.push(item);
    if (batch.length >= batchSize) {
      full.push(batch);
      batch = [];
    }
  });
  opened.stream.setEncoding('utf8');
  try {
    for await (const chunk of opened.stream as AsyncIterable<string>) {
      tokenizer.push(chunk);
      yield* full.splice(0);
    }
    tokenizer.end();
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new InputError({ file: path, line: err.line }, `not valid CSV: ${err.message}`);
    throw inputError(err, path);
  }
  yield* full.splice(0);
  if (batch.length > 0) yield batch;
}

/** Turns a stream error into an InputError that says what is wrong with the file. */
export function inputError(err: unknown, path: string): Error {
  if (err instanceof InputError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message ?? '')) {
    return new InputError({ file: path }, 'the gzip data ends early: the file is truncated');
  }
  if (typeof e.code === 'string' && e.code.startsWith('Z_')) {
    return new InputError({ file: path }, `not valid gzip data (${e.message})`);
  }
  if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR') {
    return new InputError({ file: path }, `cannot read the trace: ${e.code}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

function startsWithGzipMagic(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw inputError(err, path);
  }
  try {
    const head = Buffer.alloc(2);
    const n = readSync(fd, head, 0, 2, 0);
    return n === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } catch (err) {
    throw inputError(err, path);
  } finally {
    closeSync(fd);
  }
}
