// # What a trace looks like
//
// Question: what does a real HPC workload look like to a scheduler: how fast do jobs arrive
// and how unevenly, how large and how long are they?
//
// Inputs: the KTH SP2 log (1996-97, 100 nodes; Parallel Workloads Archive, cleaned) from
// ../shared/traces/swf/, read by berth's SWF reader and characterised by `inspectTrace`
// (traces/inspect.ts, what `berth trace inspect --json` prints). Without ../shared, the
// notebook falls back to a generated `production` workload (20,000 tasks on 200 nodes, seed 1)
// and says so. Run it with `npm run notebook:trace` (a few seconds); it writes
// out/notebooks/trace-profile/answer.md and its figures.
//
// Answer (KTH SP2, as run here; answer.md has the figures of the latest run): 28,475 jobs
// (one left out: no processor count) from 214 users over 333 days. They arrive at 3.6 an hour on
// average but in bursts: the busiest two-hour bin runs at 47 an hour, 13 times the mean, and
// the daily rate varies more than tenfold over the year. Jobs are mostly small and short, with heavy
// tails: the median asks for 3 processors (p90 16, p99 70, of 100) and runs 14 minutes, while
// p90 runs 8 hours, p99 21.5 hours and the longest 2.6 days (mean 2.5 hours: the tail carries
// the work). All jobs share one priority, and every one carries the user's run-time estimate,
// which a backfilling scheduler can use.

import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expandGroups } from '../sim/cluster-file.ts';
import { distributionChart, arrivalsChart, prioritiesChart } from '../sim/report/trace-charts.ts';
import { num } from '../sim/report/text.ts';
import { openTrace } from '../traces/formats/index.ts';
import { inspectTrace, type TraceProfile } from '../traces/inspect.ts';
import { inBatches, workloadPreset } from '../traces/synthetic/presets.ts';
import { ROOT, outputFolder, writeAnswer, writeFigure } from './lib.ts';

const SAMPLE = join(ROOT, '..', 'shared', 'traces', 'swf', 'KTH-SP2-1996-2.1-cln.swf.gz');

async function profile(): Promise<{ name: string; profile: TraceProfile; note: string }> {
  if (existsSync(SAMPLE)) {
    const trace = openTrace('swf', [SAMPLE], { replay: 'reschedule', skipBadRows: false });
    const p = await inspectTrace(trace.source);
    const left = Object.entries(trace.stats.leftOut).map(([why, n]) => `${n} left out (${why})`).join(', ');
    return { name: 'KTH SP2 (SWF)', profile: p, note: `${relative(ROOT, SAMPLE)}: ${trace.stats.rows.toLocaleString('en-US')} rows${left ? `, ${left}` : ''}` };
  }
  const preset = workloadPreset('production');
  const nodes = expandGroups(preset.cell(200));
  const p = await inspectTrace(inBatches(preset.generate({ tasks: 20_000, load: 0.9, seed: 1, nodes })));
  return { name: 'generated production workload', profile: p, note: `../shared/traces/swf is absent: a generated production workload (20,000 tasks, 200 nodes, seed 1) instead` };
}

const dir = await outputFolder('trace-profile');
const { name, profile: p, note } = await profile();
const figures = [
  await writeFigure(dir, 'arrivals', arrivalsChart(p, name)),
  await writeFigure(dir, 'sizes', distributionChart('Size of a task', 'cores (log scale)', [{ name: 'cpu cores', dist: p.cpuCores }])),
  await writeFigure(dir, 'durations', distributionChart('Duration of a task', 'seconds (log scale)', [{ name: 'run time', dist: p.durationSeconds }])),
  await writeFigure(dir, 'priorities', prioritiesChart(p)),
];

const hours = (s: number) => (s >= 86400 ? `${num(s / 86400)} days` : s >= 3600 ? `${num(s / 3600)} hours` : `${num(s / 60)} minutes`);
const d = p.durationSeconds, c = p.cpuCores;
const peakRate = (p.arrivals.peak.tasks * 3600) / p.arrivals.binSeconds;
await writeAnswer(dir, `# What a trace looks like: ${name}

**Question.** How fast and how unevenly do tasks arrive, how large and how long are they?

**Inputs.** ${note}; characterised by \`inspectTrace\` (\`berth trace inspect --json\`).

**Answer.** ${p.tasks.toLocaleString('en-US')} tasks${p.users === null ? '' : ` from ${p.users} users`} over ${hours(p.submit?.span ?? 0)}:
${num(p.arrivals.meanPerHour)} an hour on average, ${num(peakRate)} an hour in the busiest ${hours(p.arrivals.binSeconds)} bin
(${num(peakRate / p.arrivals.meanPerHour)}x the mean). A median task asks for ${num(c.p50)} cores (p90 ${num(c.p90)}, p99 ${num(c.p99)}, max ${num(c.max)})
and runs ${hours(d.p50)} (p90 ${hours(d.p90)}, p99 ${hours(d.p99)}, longest ${hours(d.max)}; mean ${hours(d.mean)}).
${p.priorities.length === 1 ? 'Every task has the same priority.' : `${p.priorities.length} priorities.`}
${p.withEstimate > 0 ? `${p.withEstimate.toLocaleString('en-US')} tasks carry a run-time estimate.` : ''}

Figures: ${figures.map((f) => `[${f}](${f})`).join(', ')}.
`);
