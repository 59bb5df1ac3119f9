// The report's charts as Vega-Lite specs. Each builder is a pure function from comparison
// results to a spec: the same results give a deep-equal spec, the results are not touched, and
// nothing is rendered here (render.ts turns specs into SVG). Every chart colours the policies
// alike: a fixed scale whose domain is the policy order, so a policy keeps its colour across
// charts and reports of the same comparison.
//
// Time series are shown over the measurement window (first arrival to last), where the
// policies face the same arrivals; the drain after the last arrival is left out, as it is from
// the utilization figures. Each policy's line is the mean over seeds of its runs, each run
// first averaged into common time bins.

import type { TopLevelSpec } from 'vega-lite';
import { MEASURES, comparisonTable, runsOf, type ComparisonResults, type Measure, type RunResult } from './results.ts';

export type VegaLiteSpec = TopLevelSpec;

/** Tableau 10: distinct for up to ten policies, and readable by most colour-blind readers for the first few. */
export const PALETTE: readonly string[] = [
  '#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac',
];

const WIDTH = 620;
const HEIGHT = 200;
/** Time bins across the window: enough for a smooth line, few enough for a light page. */
const BINS = 120;

/** The colour encoding every chart shares. */
export function policyColor(results: ComparisonResults): Record<string, unknown> {
  const domain = [...results.policies];
  return {
    field: 'policy', type: 'nominal', title: 'policy',
    scale: { domain, range: domain.map((_, i) => PALETTE[i % PALETTE.length]!) },
    legend: { orient: 'top', direction: 'horizontal', title: null },
  };
}

const CONFIG = {
  font: 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif',
  title: { fontSize: 15, anchor: 'start', subtitleFontSize: 12, subtitleColor: '#555', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 12 },
  view: { stroke: null },
} as const;

function base(title: string, subtitle: string | string[]): Record<string, unknown> {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title: { text: title, subtitle }, config: CONFIG };
}

/** The measurement window shared by the charts: from 0 to the latest window end among the runs, seconds. */
function windowEnd(results: ComparisonResults): number {
  return Math.max(0, ...results.runs.map((r) => r.summary.window.end - r.summary.window.start));
}

/** Seconds to the time axis' unit: minutes for windows under three hours, else hours. */
function timeUnit(results: ComparisonResults): { readonly name: string; readonly seconds: number } {
  return windowEnd(results) < 3 * 3600 ? { name: 'minutes', seconds: 60 } : { name: 'hours', seconds: 3600 };
}

interface Binned {
  readonly width: number;
  readonly count: number;
}

/** Common bins over the window, never finer than the coarsest run's own buckets (or sample step). */
function bins(results: ComparisonResults, times: (r: RunResult) => readonly number[]): Binned {
  const end = windowEnd(results);
  let step = 0;
  for (const r of results.runs) {
    const t = times(r);
    if (t.length > 1) step = Math.max(step, t[1]! - t[0]!);
  }
  const width = Math.max(end / BINS, step, 1e-9);
  return { width, count: Math.max(1, Math.ceil(end / width)) };
}

/**
 * Per policy and bin, the mean over seeds of each run's mean within the bin. `value` returns
 * null to leave a row out. Rows are { policy, time (in the axis unit, bin middle), value }.
 */
function binnedMeans<T extends { readonly time: number }>(
  results: ComparisonResults, rowsOf: (r: RunResult) => readonly T[] | undefined, value: (row: T) => number | null,
): { policy: string; time: number; value: number }[] {
  const b = bins(results, (r) => (rowsOf(r) ?? []).map((x) => x.time));
  const unit = timeUnit(results).seconds;
  const out: { policy: string; time: number; value: number }[] = [];
  for (const policy of results.policies) {
    const sums = new Float64Array(b.count), counts = new Float64Array(b.count);
    for (const run of runsOf(results, policy)) {
      const runSum = new Float64Array(b.count), runCount = new Float64Array(b.count);
      // Rows are in trace time; the axis starts at the run's first arrival.
      const origin = run.summary.window.start;
      for (const row of rowsOf(run) ?? []) {
        const v = value(row);
        const i = Math.floor((row.time - origin) / b.width);
        if (v === null || i >= b.count || i < 0) continue;
        runSum[i]! += v;
        runCount[i]!++;
      }
      for (let i = 0; i < b.count; i++) {
        if (runCount[i]! > 0) {
          sums[i]! += runSum[i]! / runCount[i]!;
          counts[i]!++;
        }
      }
    }
    for (let i = 0; i < b.count; i++) {
      if (counts[i]! > 0) out.push({ policy, time: round((i + 0.5) * b.width / unit), value: round(sums[i]! / counts[i]!) });
    }
  }
  return out;
}

const round = (x: number): number => Number(x.toPrecision(5));

function seedsNote(results: ComparisonResults): string {
  const n = results.seeds.length;
  return n === 1 ? 'one seed' : `mean of ${n} seeds`;
}

function lineOverTime(
  results: ComparisonResults, title: string, subtitle: string, yTitle: string,
  data: { policy: string; time: number; value: number; [k: string]: unknown }[], zero = true,
): VegaLiteSpec {
  return lineObject(results, title, subtitle, yTitle, data, zero) as unknown as VegaLiteSpec;
}

function lineObject(
  results: ComparisonResults, title: string, subtitle: string, yTitle: string,
  data: { policy: string; time: number; value: number; [k: string]: unknown }[], zero = true,
): Record<string, unknown> {
  const unit = timeUnit(results);
  return {
    ...base(title, subtitle),
    width: WIDTH, height: HEIGHT,
    data: { values: data },
    mark: { type: 'line', strokeWidth: 2 },
    encoding: {
      x: {
        field: 'time', type: 'quantitative', title: `time since the first arrival (${unit.name})`,
        scale: { domain: [0, round(windowEnd(results) / unit.seconds)], nice: false },
      },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero } },
      color: policyColor(results),
    },
  };
}

/** Allocated share of capacity over time, per resource (a column each) and policy. */
export function utilizationChart(results: ComparisonResults): VegaLiteSpec {
  const resources = (['cpu', 'memory', 'gpu'] as const).filter((res) => results.runs.some((r) => r.summary.utilization[res] !== null));
  const data = resources.flatMap((resource) =>
    binnedMeans(results, (r) => r.series, (row) => (row[resource] === null ? null : 100 * row[resource]!)).map((d) => ({ ...d, resource })));
  const spec = lineObject(results, 'Utilization over time',
    `allocated share of the up nodes' capacity, per resource; ${seedsNote(results)}`, 'allocated (% of capacity)', data);
  const { data: values, title, config, $schema, width, height, ...inner } = spec;
  return {
    $schema, title, config, data: values,
    facet: { column: { field: 'resource', type: 'nominal', title: null, sort: resources, header: { labelFontSize: 13, labelFontWeight: 'bold' } } },
    spec: { ...inner, width: Math.floor((width as number) / Math.max(1, resources.length)) + 20, height },
    resolve: { scale: { y: 'shared' } },
  } as VegaLiteSpec;
}

/** Nodes running at least one task: what packing saves (idle nodes can be turned off). */
export function activeNodesChart(results: ComparisonResults): VegaLiteSpec {
  const nodes = results.runs[0]?.summary.nodes ?? 0;
  return lineOverTime(results, 'Active nodes over time',
    `nodes running at least one task, of ${nodes.toLocaleString('en-US')}; fewer active nodes is what packing saves; ${seedsNote(results)}`,
    'active nodes', binnedMeans(results, (r) => r.series, (row) => row.activeNodes), false);
}

export function pendingChart(results: ComparisonResults): VegaLiteSpec {
  return lineOverTime(results, 'Pending tasks over time',
    `tasks waiting in the queue (time-weighted); ${seedsNote(results)}`, 'pending tasks', binnedMeans(results, (r) => r.series, (row) => row.pending));
}

/** Free capacity that no pending task can use, for cpu and memory. */
export function fragmentationChart(results: ComparisonResults): VegaLiteSpec {
  const data = (['cpu', 'memory'] as const).flatMap((resource) =>
    binnedMeans(results, (r) => r.samples, (s) => 100 * (resource === 'cpu' ? s.fragmentationCpu : s.fragmentationMemory)).map((d) => ({ ...d, resource })));
  const spec = lineObject(results, 'Fragmentation over time',
    `share of free capacity on nodes where the smallest pending request does not fit (0 while nothing waits); ${seedsNote(results)}`,
    'stranded (% of free capacity)', data);
  const { data: values, title, config, $schema, width, height, ...inner } = spec;
  return {
    $schema, title, config, data: values,
    facet: { column: { field: 'resource', type: 'nominal', title: null, sort: ['cpu', 'memory'], header: { labelFontSize: 13, labelFontWeight: 'bold' } } },
    spec: { ...inner, width: Math.floor((width as number) / 2) + 10, height },
    resolve: { scale: { y: 'shared' } },
  } as VegaLiteSpec;
}

/**
 * The distribution of waiting time, as its complement on log scales: the share of started
 * tasks that waited longer than x. Most tasks often start at once, so the plain CDF would be a
 * wall at 0; the complement shows the tail, where policies differ. Each policy's wait at each
 * percentile is averaged over seeds (quantiles, not shares, are averaged).
 */
const WAIT_TICKS = [0, 1, 10, 60, 600, 3600, 6 * 3600, 24 * 3600, 7 * 24 * 3600];

export function waitCdfChart(results: ComparisonResults): VegaLiteSpec {
  const data: { policy: string; wait: number; longer: number }[] = [];
  for (const policy of results.policies) {
    const runs = runsOf(results, policy);
    const percents = runs[0]?.summary.waitCdf.percent ?? [];
    percents.forEach((percent, i) => {
      if (percent >= 100) return;
      const wait = runs.reduce((a, r) => a + (r.summary.waitCdf.seconds[i] ?? 0), 0) / runs.length;
      data.push({ policy, wait: round(wait), longer: round(100 - percent) });
    });
  }
  return {
    ...base('Waiting time distribution (complementary CDF)',
      `share of started tasks that waited longer than x, on log scales (the CDF is 100 % minus it); ${seedsNote(results)}`),
    width: WIDTH, height: HEIGHT,
    data: { values: data },
    mark: { type: 'line', strokeWidth: 2, interpolate: 'step-before', point: { size: 18 } },
    encoding: {
      x: {
        field: 'wait', type: 'quantitative', title: 'wait (symlog scale)', scale: { type: 'symlog' },
        // vega's own symlog ticks leave the first decades bare: whole seconds, minutes and hours instead.
        axis: {
          values: WAIT_TICKS.filter((t) => t <= Math.max(1, ...data.map((d) => d.wait)) * 1.5),
          labelExpr: "datum.value >= 3600 ? datum.value / 3600 + ' h' : datum.value >= 60 ? datum.value / 60 + ' m' : datum.value + ' s'",
        },
      },
      y: { field: 'longer', type: 'quantitative', title: 'tasks waiting longer (%, log scale)', scale: { type: 'log' } },
      color: policyColor(results),
    },
  } as VegaLiteSpec;
}

/** Mean wait per priority (highest first), grouped by policy; mean over seeds. */
export function waitByPriorityChart(results: ComparisonResults): VegaLiteSpec {
  const data: { policy: string; priority: number; wait: number }[] = [];
  for (const policy of results.policies) {
    const byPriority = new Map<number, number[]>();
    for (const r of runsOf(results, policy)) {
      for (const p of r.summary.waitByPriority) byPriority.set(p.priority, [...(byPriority.get(p.priority) ?? []), p.mean]);
    }
    for (const [priority, waits] of [...byPriority].sort((a, b) => b[0] - a[0])) {
      data.push({ policy, priority, wait: round(waits.reduce((a, b) => a + b, 0) / waits.length) });
    }
  }
  return {
    ...base('Wait by priority', `mean wait of the tasks started, per priority (higher runs first); ${seedsNote(results)}`),
    width: WIDTH, height: HEIGHT,
    data: { values: data },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'priority', type: 'ordinal', title: 'priority', sort: 'descending', axis: { labelAngle: 0 } },
      xOffset: { field: 'policy', type: 'nominal', sort: [...results.policies] },
      y: { field: 'wait', type: 'quantitative', title: 'mean wait (s)' },
      color: policyColor(results),
    },
  } as VegaLiteSpec;
}

const unitTitle = (m: Measure): string => (m.unit === '' ? m.label : `${m.label} (${m.unit})`);

/** One headline measure: a bar per policy at its mean over seeds, with its 95 % interval. */
export function measureChart(results: ComparisonResults, measure: Measure): VegaLiteSpec {
  const row = comparisonTable(results, [measure])[0];
  // Every measure is >= 0, and shares <= 100 %: the drawn interval stops there.
  const top = measure.unit === '%' ? 100 : Infinity;
  const data = (row?.cells ?? []).map((c) => ({
    policy: c.policy, mean: round(c.estimate.mean),
    ...(c.estimate.low !== null && c.estimate.high !== null && {
      low: round(Math.max(0, c.estimate.low)), high: round(Math.min(top, c.estimate.high)),
    }),
  }));
  const ci = results.seeds.length > 1;
  // Short lines: these charts sit side by side, and vega sizes a chart by its longest title line.
  const better = measure.better === 'neither' ? '' : `${measure.better} is better`;
  return {
    ...base(unitTitle(measure), [ci ? `mean of ${results.seeds.length} seeds, 95 % CI` : 'one seed, no interval', ...(better ? [better] : [])]),
    width: 220, height: 150,
    data: { values: data },
    encoding: {
      x: { field: 'policy', type: 'nominal', title: null, sort: [...results.policies], axis: { labelAngle: 0 } },
    },
    layer: [
      // The title names the measure; the axis only its unit, so that the charts line up.
      { mark: { type: 'bar', width: { band: 0.7 } }, encoding: { y: { field: 'mean', type: 'quantitative', title: measure.unit === '' ? null : measure.unit }, color: { ...policyColor(results), legend: null } } },
      ...(ci ? [{ mark: { type: 'rule', strokeWidth: 1.5, color: '#222' }, encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } } }] : []),
    ],
  } as VegaLiteSpec;
}

/** The headline measures the runs have (cost only with prices). */
export function headlineMeasures(results: ComparisonResults): Measure[] {
  const present = new Set(comparisonTable(results).map((r) => r.measure.key));
  return MEASURES.filter((m) => m.headline && present.has(m.key));
}

export interface Chart {
  readonly id: string;
  readonly spec: VegaLiteSpec;
}

/** Every chart of the report, in page order. Time series charts need runs with series (compare --out). */
export function reportCharts(results: ComparisonResults): Chart[] {
  const withSeries = results.runs.every((r) => r.series !== undefined && r.samples !== undefined);
  return [
    ...headlineMeasures(results).map((m) => ({ id: `measure-${m.key}`, spec: measureChart(results, m) })),
    ...(withSeries ? [
      { id: 'utilization', spec: utilizationChart(results) },
      { id: 'active-nodes', spec: activeNodesChart(results) },
      { id: 'pending', spec: pendingChart(results) },
    ] : []),
    { id: 'wait-cdf', spec: waitCdfChart(results) },
    { id: 'wait-by-priority', spec: waitByPriorityChart(results) },
    ...(withSeries ? [{ id: 'fragmentation', spec: fragmentationChart(results) }] : []),
  ];
}
