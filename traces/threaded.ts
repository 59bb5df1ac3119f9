// Reading a large trace in a worker thread, so that parsing (most of a replay's time on one
// core) overlaps with the simulation on another. The records, their order and the errors are
// exactly those of reading in the main thread; the worker reads at most a few batches ahead,
// so memory stays bounded.

import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { InputError, type Where } from '../sim/errors.ts';
import { BATCH_SIZE, nativeEncoding, readNativeTrace, type TraceInput } from './native.ts';
import { inputError } from './input.ts';
import type { TaskRecord, TaskSource } from './record.ts';

/** Smaller files are read in the main thread: a worker takes longer to start than they to parse. */
export const THREAD_THRESHOLD_BYTES = 1 << 20;
/** Batches the worker may read ahead of the simulation. */
const AHEAD = 4;

export interface ReaderRequest {
  readonly path: string;
  readonly batchSize: number;
  readonly ahead: number;
}

export type ReaderMessage =
  | { readonly kind: 'batch'; readonly batch: readonly TaskRecord[] }
  | { readonly kind: 'done'; readonly sha256: string }
  | { readonly kind: 'input-error'; readonly where: Where; readonly problem: string }
  | { readonly kind: 'error'; readonly message: string; readonly stack: string };

/** A native trace, read in a worker thread when it is large enough to gain from it. */
export function openNativeTrace(path: string, batchSize = BATCH_SIZE): TraceInput {
  nativeEncoding(path); // name errors now, in this thread
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    throw inputError(err, path);
  }
  return size < THREAD_THRESHOLD_BYTES ? readNativeTrace(path, batchSize) : readInWorker(path, batchSize);
}

function readInWorker(path: string, batchSize: number): TraceInput {
  let sha256: string | undefined;
  async function* batches(): TaskSource {
    const request: ReaderRequest = { path, batchSize, ahead: AHEAD };
    const worker = new Worker(new URL('./reader.js', import.meta.url), { workerData: request });
    const inbox: ReaderMessage[] = [];
    let notify: (() => void) | undefined;
    let failure: Error | undefined;
    worker.on('message', (m: ReaderMessage) => {
      inbox.push(m);
      notify?.();
    });
    worker.on('error', (err) => {
      failure = err;
      notify?.();
    });
    try {
      for (;;) {
        while (inbox.length === 0 && !failure) await new Promise<void>((resolve) => (notify = resolve));
        if (failure) throw failure;
        const m = inbox.shift()!;
        switch (m.kind) {
          case 'batch':
            worker.postMessage('more');
            yield m.batch;
            break;
          case 'done':
            sha256 = m.sha256;
            return;
          case 'input-error':
            throw new InputError(m.where, m.problem);
          case 'error': {
            const err = new Error(m.message);
            err.stack = m.stack;
            throw err;
          }
        }
      }
    } finally {
      await worker.terminate();
    }
  }
  return {
    source: batches(),
    sha256: () => {
      if (sha256 === undefined) throw new Error('the trace has not been read to its end');
      return sha256;
    },
  };
}
