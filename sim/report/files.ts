// The files of `berth compare --out DIR`, as text: results.json and tidy CSVs (one row per
// observation, one column per variable, the policy and seed in every row), for notebooks,
// spreadsheets and R or pandas.

import { csvQuote } from '../../traces/csv.ts';
import { MEASURES, comparisonTable, type ComparisonResults } from './results.ts';

const csvField = (x: string | number | null): string =>
  x === null ? '' : typeof x === 'number' ? String(Number.isFinite(x) ? Number(x.toPrecision(6)) : '') : csvQuote(x);
const line = (fields: readonly (string | number | null)[]): string => fields.map(csvField).join(',') + '\n';

/** results.json: the inputs, every run's summary (with its run record), and the table. */
export function resultsJson(results: ComparisonResults): string {
  const { runs, ...rest } = results;
  return JSON.stringify({
    ...rest,
    runs: runs.map((r) => ({ policy: r.policy, seed: r.seed, summary: r.summary })),
    comparison: comparisonTable(results).map((row) => ({
      measure: row.measure.key, label: row.measure.label, unit: row.measure.unit, better: row.measure.better,
      policies: row.cells.map((c) => ({ policy: c.policy, ...c.estimate, difference: c.difference })),
    })),
  }, null, 2) + '\n';
}

export function seriesCsv(results: ComparisonResults): string {
  let text = 'policy,seed,time,cpu_util,memory_util,gpu_util,active_nodes,pending,running\n';
  for (const r of results.runs) {
    for (const s of r.series ?? []) text += line([r.policy, r.seed, s.time, s.cpu, s.memory, s.gpu, s.activeNodes, s.pending, s.running]);
  }
  return text;
}

export function samplesCsv(results: ComparisonResults): string {
  let text = 'policy,seed,time,pending,fragmentation_cpu,fragmentation_memory,cpu_util_cv\n';
  for (const r of results.runs) {
    for (const s of r.samples ?? []) text += line([r.policy, r.seed, s.time, s.pending, s.fragmentationCpu, s.fragmentationMemory, s.cpuCv]);
  }
  return text;
}

export function waitCdfCsv(results: ComparisonResults): string {
  let text = 'policy,seed,percent,wait_seconds\n';
  for (const r of results.runs) {
    r.summary.waitCdf.percent.forEach((p, i) => { text += line([r.policy, r.seed, p, r.summary.waitCdf.seconds[i] ?? null]); });
  }
  return text;
}

/** One row per run: the measures compared, the digest, and the command that repeats the run. */
export function runsCsv(results: ComparisonResults): string {
  let text = line(['policy', 'seed', ...MEASURES.map((m) => m.key), 'digest', 'command']);
  for (const r of results.runs) {
    text += line([r.policy, r.seed, ...MEASURES.map((m) => m.read(r.summary)), r.summary.digest, r.summary.run.command]);
  }
  return text;
}

export function waitByPriorityCsv(results: ComparisonResults): string {
  let text = 'policy,seed,priority,tasks,wait_mean_seconds,wait_p95_seconds\n';
  for (const r of results.runs) for (const p of r.summary.waitByPriority) text += line([r.policy, r.seed, p.priority, p.tasks, p.mean, p.p95]);
  return text;
}
