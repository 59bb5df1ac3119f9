// Body of the worker thread that reads a trace while the main thread simulates (see
// threaded.ts). It sends batches of records as they are read, never more than a few ahead of
// what the main thread has taken, then the file's hash; or the error, as data.

import { parentPort, workerData } from 'node:worker_threads';
import { InputError } from '../sim/errors.ts';
import { readNativeTrace } from './native.ts';
import type { ReaderMessage, ReaderRequest } from './threaded.ts';

const port = parentPort!;
const { path, batchSize, ahead } = workerData as ReaderRequest;
let credit = ahead;
let wake: (() => void) | undefined;
port.on('message', () => {
  credit++;
  wake?.();
});
const send = (message: ReaderMessage) => port.postMessage(message);

try {
  const trace = readNativeTrace(path, batchSize);
  for await (const batch of trace.source) {
    while (credit === 0) await new Promise<void>((resolve) => (wake = resolve));
    credit--;
    send({ kind: 'batch', batch });
  }
  send({ kind: 'done', sha256: trace.sha256() });
} catch (err) {
  send(err instanceof InputError
    ? { kind: 'input-error', where: err.where, problem: err.problem }
    : { kind: 'error', message: (err as Error).message ?? String(err), stack: (err as Error).stack ?? '' });
} finally {
  port.close();
}
