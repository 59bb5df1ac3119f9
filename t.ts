import { openNativeTrace } from './traces/threaded.ts';
import { readNativeTrace } from './traces/native.ts';
import { loadClusterFile } from './sim/cluster-file.ts';
import { Simulation } from './sim/simulation.ts';
import { firstFit } from './schedulers/policies/first-fit.ts';
const { nodes } = await loadClusterFile('/tmp/big/c.yaml');
for (const mode of ['threaded', 'inline', 'threaded', 'inline']) {
  const t0 = performance.now();
  const trace = mode === 'threaded' ? openNativeTrace('/tmp/big/t.csv') : readNativeTrace('/tmp/big/t.csv');
  const sim = new Simulation(nodes, { scheduler: firstFit(), seed: 1 });
  let waiting = 0, simulating = 0, firstNonZero = -1;
  const it = trace.source[Symbol.asyncIterator]();
  for (;;) {
    const w0 = performance.now();
    const r = await it.next();
    waiting += performance.now() - w0;
    if (r.done) break;
    const s0 = performance.now();
    for (const rec of r.value) sim.submit(rec);
    sim.runBefore(r.value[r.value.length - 1]!.submit);
    simulating += performance.now() - s0;
    if (firstNonZero < 0 && r.value[r.value.length - 1]!.submit > 0) firstNonZero = performance.now() - t0;
  }
  const s0 = performance.now(); sim.run(); simulating += performance.now() - s0;
  console.log(mode.padEnd(9), 'total', ((performance.now() - t0) / 1000).toFixed(2), 'waiting', (waiting / 1000).toFixed(2), 'simulating', (simulating / 1000).toFixed(2), 'first arrival after t=0 read at', (firstNonZero / 1000).toFixed(2));
}
