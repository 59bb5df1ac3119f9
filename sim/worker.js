// Entry of a worker thread (piscina) that runs simulations: makes this thread load TypeScript,
// then hands over to worker-task.ts.
import '../bin/typescript.js';

const { runInWorker } = await import('./worker-task.ts');
export default runInWorker;
