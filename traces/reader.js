// Entry of the trace-reading worker thread when berth runs from its sources: makes this thread
// load TypeScript, then runs read-worker.ts. (From dist/, the bundled reader.js is used.)
import '../bin/typescript.js';

await import('./read-worker.ts');
