// Entry of a worker thread (piscina) that runs simulations from the sources: makes this thread
// load TypeScript, then hands over to worker-task.ts. (From dist/, the bundled worker.js is
// used instead.)
import '../bin/typescript.js';

const { default: runInWorker } = await import('./worker-task.ts');
export default runInWorker;
