import { Piscina } from 'piscina';
import { describe, expect, it } from 'vitest';
import { runSimulation, type RunSpec } from '../sim/run.ts';
import { WORKER_FILE, type WorkerJob } from '../sim/worker-task.ts';
import type { Summary } from '../sim/summary.ts';
import { bundleIsCurrent } from '../bin/sources.js';

const spec = (scheduler: string, seed = 1): RunSpec => ({
  cluster: { preset: 'production', nodes: 100 },
  workload: { preset: 'production', tasks: 10_000, load: 0.9 },
  scheduler, seed, queue: 'greedy',
});

describe('reproducibility', () => {
  it('gives the same digest on two runs, for every kind of policy', async () => {
    for (const name of ['first-fit', 'binpack', 'random']) {
      const a = await runSimulation(spec(name));
      const b = await runSimulation(spec(name));
      expect(b.digest).toBe(a.digest);
      expect(b.wait).toEqual(a.wait);
    }
  });

  it('gives the same digest in a worker thread as in the main thread', async () => {
    const pool = new Piscina<WorkerJob, Summary>({ filename: WORKER_FILE, maxThreads: 2 });
    try {
      const names = ['first-fit', 'spread', 'random'];
      const inWorkers = await Promise.all(names.map((name) => pool.run({ spec: spec(name, 3) })));
      for (const [i, name] of names.entries()) {
        const here = await runSimulation(spec(name, 3));
        expect(inWorkers[i]!.digest).toBe(here.digest);
        expect(inWorkers[i]!.tasks).toEqual(here.tasks);
      }
    } finally {
      await pool.destroy();
    }
  });

  const bundled = bundleIsCurrent() ? undefined : 'dist/ is missing or older than the sources (npm run build makes it)';
  it.skipIf(bundled !== undefined)(`gives the same digest in the bundled worker (dist/worker.js)${bundled ? `: skipped, ${bundled}` : ''}`, async () => {
    const pool = new Piscina<WorkerJob, Summary>({ filename: new URL('../dist/worker.js', import.meta.url).href, maxThreads: 1 });
    try {
      const there = await pool.run({ spec: spec('binpack', 4) });
      expect(there.digest).toBe((await runSimulation(spec('binpack', 4))).digest);
    } finally {
      await pool.destroy();
    }
  });

  it('changes the digest when the seed changes the workload', async () => {
    expect((await runSimulation(spec('first-fit', 1))).digest).not.toBe((await runSimulation(spec('first-fit', 2))).digest);
  });
});
