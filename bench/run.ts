// `npm run bench`: the micro-benchmarks (tinybench), then the end-to-end benchmark against the
// SimPy peer. Results also go to bench/results/latest.json.
//
//   npm run bench                      everything, at the scale of the targets (an hour or more: the
//                                      Google-scale runs alone may take 20 minutes each)
//   npm run bench -- --quick           the end-to-end run on a small cell (seconds)
//   npm run bench -- --no-peer         skip the peer
//   npm run bench -- --only queue,placement,histogram,csv,readers,macro,scale,google
//   npm run bench -- --ci              the short run for CI: ratios against bench/baseline.json
//                                      (--update-baseline to write it from this run)

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ciBench, formatCi } from './ci.ts';
import { csvBench } from './csv.bench.ts';
import { histogramBench } from './histogram.bench.ts';
import { macroBench } from './macro.ts';
import { placementBench } from './placement.bench.ts';
import { queueBench } from './queue.bench.ts';
import { readersBench } from './readers.bench.ts';
import { googleScaleBench, scaleBench } from './scale.ts';
import { printRows, type Row } from './util.ts';
import { PROJECT } from '../test/peer-support.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' }, 'no-peer': { type: 'boolean' }, only: { type: 'string' },
    ci: { type: 'boolean' }, 'update-baseline': { type: 'boolean' },
  },
});
mkdirSync(join(PROJECT, 'bench', 'results'), { recursive: true });

if (values.ci) {
  const { results, failed } = await ciBench(values['update-baseline'] === true);
  console.log(formatCi(results));
  writeFileSync(join(PROJECT, 'bench', 'results', 'latest.json'),
    JSON.stringify({ date: new Date().toISOString(), node: process.version, ci: results }, null, 2) + '\n');
  console.log('\nwrote bench/results/latest.json');
  process.exit(failed ? 1 : 0);
}
const only = values.only?.split(',');
const wanted = (name: string) => !only || only.includes(name);

const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version };
const micro: [string, () => Promise<Row[]>][] = [
  ['queue', queueBench], ['placement', placementBench], ['histogram', histogramBench], ['csv', csvBench],
  ['readers', () => readersBench(values.quick ? 50_000 : 200_000)],
];
for (const [name, run] of micro) {
  if (!wanted(name)) continue;
  const rows = await run();
  printRows(rows[0]!.suite, rows);
  results[name] = rows;
}
if (wanted('macro')) {
  results.macro = await macroBench(values.quick
    ? { nodes: 1000, tasks: 30_000, load: 0.9, repeats: 5, peer: !values['no-peer'], policies: true }
    : { nodes: 12_500, tasks: 300_000, load: 0.9, repeats: 5, peer: !values['no-peer'], policies: true });
}
if (wanted('scale')) {
  results.scale = await scaleBench(values.quick ? { maxNodes: 4000, maxTasks: 400_000 } : {});
}
if (wanted('google')) {
  results.google = await googleScaleBench(values.quick ? { tasks: 1_000_000, limitSeconds: 300 } : {});
}
writeFileSync(join(PROJECT, 'bench', 'results', 'latest.json'), JSON.stringify(results, null, 2) + '\n');
console.log('\nwrote bench/results/latest.json');
