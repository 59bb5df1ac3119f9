// A worker thread that runs one benchmark case in a V8 isolate of its own, so that cases do not
// share JIT feedback (two heaps with different comparators in one isolate slow each other down).
import '../bin/typescript.js';
import { parentPort, workerData } from 'node:worker_threads';

const { file, factory, args, suite, unit } = workerData;
const mod = await import(file);
const { measure } = await import('./util.ts');
const rows = await measure(suite, unit, [mod[factory](...args)]);
parentPort.postMessage(rows[0]);
