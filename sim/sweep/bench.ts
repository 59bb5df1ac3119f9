// A sweep's results against a baseline's (the results.json of the same sweep on another branch):
// for each scheduler in each (cluster, workload, load), each kept metric's mean over seeds, its
// relative change, and whether that is a regression or an improvement by the metric's
// direction. Simulations are deterministic: any change comes from the code, not from noise, so
// the threshold says how large a change matters, not how likely it is to be real. Wall time is
// never compared.

import { InputError } from '../errors.ts';
import { describeCell } from './grid.ts';
import type { Better } from './metrics.ts';
import type { SweepResults, SweepRow } from './results.ts';

export interface Change {
  readonly cluster: string;
  readonly workload: string;
  readonly load: number | null;
  readonly scheduler: string;
  readonly metric: string;
  readonly better: Better;
  /** Means over seeds. */
  readonly baseline: number;
  readonly current: number;
  /** (current - baseline) / |baseline|; ±Infinity from a baseline of 0. */
  readonly relative: number;
  /** regression / improvement by the metric's direction; 'changed' for a metric with none. */
  readonly kind: 'regression' | 'improvement' | 'changed';
  /** Beyond the threshold. */
  readonly beyond: boolean;
}

export interface BenchComparison {
  readonly cells: number;
  /** Cells whose placements differ from the baseline's (digests). */
  readonly digestsChanged: number;
  /** Every change, regressions beyond the threshold first, then improvements beyond it, then the rest. */
  readonly changes: readonly Change[];
  /** Metrics kept by this sweep that the baseline does not have (not compared). */
  readonly notInBaseline: readonly string[];
  readonly threshold: number;
}

/** Checks a parsed file is a sweep's results, naming the file when it is not. */
export function asResults(value: unknown, file: string): SweepResults {
  const v = value as Partial<SweepResults> | null;
  if (!v || typeof v !== 'object' || !v.sweep || typeof v.sweep.hash !== 'string' || !Array.isArray(v.cells)) {
    throw new InputError({ file }, 'not the results.json of a sweep (expected `sweep` and `cells`)');
  }
  return v as SweepResults;
}

/** `threshold` is a share: 0.05 for 5 %. */
export function compareWithBaseline(current: SweepResults, baseline: SweepResults, threshold: number, baselineFile: string): BenchComparison {
  const base = new Map(baseline.cells.map((r) => [r.id, r]));
  const ids = new Set(current.cells.map((r) => r.id));
  const absent = current.cells.filter((r) => !base.has(r.id));
  const extra = baseline.cells.filter((r) => !ids.has(r.id));
  if (absent.length > 0 || extra.length > 0) {
    const parts = [
      absent.length > 0 ? `${absent.length} of this sweep's ${current.cells.length} cells are not in it (cell ${absent[0]!.index}: ${describeCell(absent[0]!)}${absent.length > 1 ? ', …' : ''})` : '',
      extra.length > 0 ? `${extra.length} of its ${baseline.cells.length} cells are not in this sweep (cell ${extra[0]!.index}: ${describeCell(extra[0]!)}${extra.length > 1 ? ', …' : ''})` : '',
    ].filter(Boolean);
    throw new InputError({ file: baselineFile },
      `a baseline of a different sweep (${JSON.stringify(baseline.sweep.name)} against ${JSON.stringify(current.sweep.name)}): ${parts.join('; ')}. ` +
      'Cells match by their runs and input files; make a new baseline with --update-baseline');
  }
  const baseMetrics = new Set(baseline.sweep.metrics.map((m) => m.key));
  const metrics = current.sweep.metrics.filter((m) => baseMetrics.has(m.key));
  const changes: Change[] = [];
  for (const group of groups(current.cells)) {
    const first = group[0]!;
    for (const m of metrics) {
      const cur = mean(group.map((r) => r.metrics[m.key]));
      const was = mean(group.map((r) => base.get(r.id)!.metrics[m.key]));
      if (cur === null || was === null || cur === was) continue;
      const relative = was === 0 ? (cur > 0 ? Infinity : -Infinity) : (cur - was) / Math.abs(was);
      const worse = m.better === 'lower' ? cur > was : cur < was;
      const kind = m.better === 'neither' ? 'changed' : worse ? 'regression' : 'improvement';
      changes.push({
        cluster: first.cluster, workload: first.workload, load: first.load, scheduler: first.scheduler,
        metric: m.key, better: m.better, baseline: was, current: cur, relative, kind, beyond: Math.abs(relative) > threshold,
      });
    }
  }
  const rank = (c: Change) => (c.beyond ? (c.kind === 'regression' ? 0 : c.kind === 'improvement' ? 1 : 2) : 3);
  changes.sort((a, b) => rank(a) - rank(b) || Math.abs(b.relative) - Math.abs(a.relative));
  return {
    cells: current.cells.length,
    digestsChanged: current.cells.filter((r) => base.get(r.id)!.digest !== r.digest).length,
    changes,
    notInBaseline: current.sweep.metrics.filter((m) => !baseMetrics.has(m.key)).map((m) => m.key),
    threshold,
  };
}

export const regressions = (c: BenchComparison): Change[] => c.changes.filter((x) => x.kind === 'regression' && x.beyond);

/** Rows of one (cluster, workload, load, scheduler), in grid order. */
function groups(rows: readonly SweepRow[]): SweepRow[][] {
  const out = new Map<string, SweepRow[]>();
  for (const r of rows) {
    const k = JSON.stringify([r.cluster, r.workload, r.load, r.scheduler]);
    out.set(k, [...(out.get(k) ?? []), r]);
  }
  return [...out.values()];
}

function mean(values: readonly (number | null | undefined)[]): number | null {
  if (values.some((v) => v === null || v === undefined)) return null;
  return (values as number[]).reduce((a, b) => a + b, 0) / values.length;
}
