// The report's chart builders are pure functions from results to Vega-Lite specs: the same
// results give a deep-equal spec, the results are left as they were, each spec has the marks,
// encodings and title it should, every chart colours the policies alike, and each compiles.
// The page holds every chart and the table.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from 'vega-lite';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSamples, parseSeries } from '../sim/compare.ts';
import { runSimulation } from '../sim/run.ts';
import {
  PALETTE, activeNodesChart, fragmentationChart, headlineMeasures, measureChart, pendingChart, reportCharts, utilizationChart, waitByPriorityChart, waitCdfChart,
  type VegaLiteSpec,
} from '../sim/report/charts.ts';
import { reportHtml } from '../sim/report/html.ts';
import { renderSvg } from '../sim/report/render.ts';
import { MEASURES, comparisonTable, type ComparisonResults, type RunResult } from '../sim/report/results.ts';

let results: ComparisonResults;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-charts-'));
  const runs: RunResult[] = [];
  for (const policy of ['spread', 'binpack']) {
    for (const seed of [1, 2]) {
      const out = join(dir, `${policy}-${seed}`);
      const summary = await runSimulation({
        // mmc: short tasks, so the measurement window is most of the run and spans many buckets.
        cluster: { preset: 'mmc', nodes: 16 }, workload: { preset: 'mmc', tasks: 2000, load: 0.95 }, scheduler: policy, seed, queue: 'greedy',
      }, { out });
      runs.push({
        policy, seed, summary,
        series: parseSeries(readFileSync(join(out, 'timeseries.csv'), 'utf8')),
        samples: parseSamples(readFileSync(join(out, 'samples.csv'), 'utf8')),
      });
    }
  }
  const first = runs[0]!.summary.run;
  results = {
    berth: 'test', command: 'berth compare --nodes 20', policies: ['spread', 'binpack'], seeds: [1, 2],
    inputs: { cluster: first.cluster, workload: first.workload, queue: first.queue, replay: first.replay },
    runs, wallSeconds: 1, threads: 2,
  };
});

const deepFrozen = <T>(x: T): T => {
  if (x && typeof x === 'object') {
    for (const v of Object.values(x)) deepFrozen(v);
    Object.freeze(x);
  }
  return x;
};

const builders: [string, (r: ComparisonResults) => VegaLiteSpec][] = [
  ['utilization', utilizationChart], ['active nodes', activeNodesChart], ['pending', pendingChart], ['fragmentation', fragmentationChart],
  ['wait CDF', waitCdfChart], ['wait by priority', waitByPriorityChart], ['a headline measure', (r) => measureChart(r, MEASURES[0]!)],
];

/** Every object in a spec with a `color` encoding of the policies. */
function colorScales(spec: unknown): { domain: string[]; range: string[] }[] {
  const found: { domain: string[]; range: string[] }[] = [];
  const walk = (x: unknown) => {
    if (!x || typeof x !== 'object') return;
    const o = x as Record<string, unknown>;
    const color = (o.encoding as Record<string, { field?: string; scale?: { domain: string[]; range: string[] } }> | undefined)?.color;
    if (color?.field === 'policy' && color.scale) found.push(color.scale);
    for (const v of Object.values(o)) walk(v);
  };
  walk(spec);
  return found;
}

const json = (x: unknown) => JSON.parse(JSON.stringify(x)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('chart builders', () => {
  it.each(builders)('%s: same results, deep-equal spec; results not mutated; compiles to Vega', (_name, build) => {
    const before = structuredClone(results);
    const a = build(results);
    const b = build(deepFrozen(structuredClone(results))); // would throw on any write
    expect(b).toEqual(a);
    expect(results).toEqual(before);
    expect(() => compile(a)).not.toThrow();
    expect(json(a).title.text).toMatch(/\w/);
  });

  it('colours every policy alike in every chart: the domain is the policy order', () => {
    for (const chart of reportCharts(results)) {
      const scales = colorScales(chart.spec);
      expect(scales.length, chart.id).toBeGreaterThan(0);
      for (const s of scales) {
        expect(s.domain).toEqual(['spread', 'binpack']);
        expect(s.range).toEqual([PALETTE[0], PALETTE[1]]);
      }
    }
  });

  it('draws time series as lines over the window, with titled axes in units', () => {
    const spec = json(activeNodesChart(results));
    expect(spec.mark.type).toBe('line');
    expect(spec.encoding.x.title).toMatch(/^time since the first arrival \((minutes|hours)\)$/);
    expect(spec.encoding.y.title).toBe('active nodes');
    const points = spec.data.values as { policy: string; time: number; value: number }[];
    expect(new Set(points.map((p) => p.policy))).toEqual(new Set(['spread', 'binpack']));
    const end = Math.max(...results.runs.map((r) => r.summary.window.end)) / (spec.encoding.x.title.includes('hours') ? 3600 : 60);
    for (const p of points) {
      expect(p.time).toBeGreaterThanOrEqual(0);
      expect(p.time).toBeLessThanOrEqual(end);
      expect(p.value).toBeLessThanOrEqual(16);
    }
  });

  it('facets utilization by resource, in percent', () => {
    const spec = json(utilizationChart(results));
    expect(spec.facet.column.field).toBe('resource');
    expect(spec.spec.encoding.y.title).toBe('allocated (% of capacity)');
    const values = spec.data.values as { resource: string; value: number }[];
    // The mmc cell has cpu and memory, no gpu.
    expect(new Set(values.map((v) => v.resource))).toEqual(new Set(['cpu', 'memory']));
    expect(spec.facet.column.sort).toEqual(['cpu', 'memory']);
    for (const v of values) expect(v.value).toBeLessThanOrEqual(100.0001);
  });

  it('averages each policy over seeds, bin by bin', () => {
    const spec = json(pendingChart(results));
    const spread = (spec.data.values as { policy: string; value: number }[]).filter((p) => p.policy === 'spread');
    // The time-weighted mean of the line is near the mean of the runs' pending means (the
    // window is the same for both seeds here up to the bins' rounding).
    const line = spread.reduce((a, p) => a + p.value, 0) / spread.length;
    const runs = results.runs.filter((r) => r.policy === 'spread').map((r) => r.summary.pendingTasks.mean);
    expect(runs[0]! + runs[1]!).toBeGreaterThan(0.5); // pending is not trivially 0
    expect(Math.abs(line - (runs[0]! + runs[1]!) / 2)).toBeLessThan(0.05 * (runs[0]! + runs[1]!) / 2);
  });

  it('shows each headline measure as bars at the means with the 95 % interval as rules', () => {
    const measure = MEASURES.find((m) => m.key === 'activeNodes')!;
    const spec = json(measureChart(results, measure));
    expect(spec.title.text).toBe('active nodes, mean (nodes)');
    expect(spec.layer.map((l: { mark: { type: string } }) => l.mark.type)).toEqual(['bar', 'rule']);
    const row = comparisonTable(results, [measure])[0]!;
    expect(spec.data.values.map((v: { mean: number }) => v.mean)).toEqual(row.cells.map((c) => Number(c.estimate.mean.toPrecision(5))));
    for (const [i, v] of (spec.data.values as { low: number; high: number }[]).entries()) {
      expect(v.low).toBeCloseTo(Math.max(0, row.cells[i]!.estimate.low!), 2);
      expect(v.high).toBeCloseTo(row.cells[i]!.estimate.high!, 2);
    }
  });

  it('draws no interval with one seed', () => {
    const one: ComparisonResults = { ...results, seeds: [1], runs: results.runs.filter((r) => r.seed === 1) };
    const spec = json(measureChart(one, MEASURES[0]!));
    expect(spec.layer).toHaveLength(1);
    expect(spec.title.subtitle[0]).toBe('one seed, no interval');
  });

  it('plots the waits\' complementary CDF on log scales, without the 100th percentile', () => {
    const spec = json(waitCdfChart(results));
    expect(spec.encoding.y.scale.type).toBe('log');
    expect(spec.encoding.x.scale.type).toBe('symlog');
    for (const v of spec.data.values as { longer: number }[]) expect(v.longer).toBeGreaterThan(0);
  });
});

describe('preemptions', () => {
  it('are a row and a chart when the runs could preempt, and neither when they could not', async () => {
    const runs: RunResult[] = [];
    for (const policy of ['first-fit', 'spread']) {
      const summary = await runSimulation({
        cluster: { preset: 'production', nodes: 20 }, workload: { preset: 'production', tasks: 800, load: 1.3 }, scheduler: policy, seed: 1, queue: 'greedy', preempt: 'requeue',
      });
      runs.push({ policy, seed: 1, summary, series: [], samples: [] });
    }
    const preempting: ComparisonResults = { ...results, policies: ['first-fit', 'spread'], seeds: [1], runs };
    const keys = (r: ComparisonResults) => comparisonTable(r, MEASURES).map((row) => row.measure.key);
    expect(keys(preempting)).toEqual(expect.arrayContaining(['preemptions', 'preemptionVictims']));
    expect(keys(results)).not.toContain('preemptions');
    expect(headlineMeasures(results).map((m) => m.key)).not.toContain('preemptions');
    const measure = MEASURES.find((m) => m.key === 'preemptions')!;
    expect(headlineMeasures(preempting)).toContain(measure);
    const spec = json(measureChart(preempting, measure));
    expect(spec.title.text).toBe('tasks started by preemption (tasks)');
    expect(spec.data.values.map((v: { mean: number }) => v.mean)).toEqual(runs.map((r) => r.summary.preemption.preemptions));
    expect(runs.every((r) => r.summary.preemption.preemptions > 0)).toBe(true);
  });
});

describe('the page', () => {
  it('renders every chart to SVG with marks, and holds the table, the findings and the command', async () => {
    const charts = reportCharts(results);
    const svgs = new Map<string, string>();
    for (const c of charts) svgs.set(c.id, await renderSvg(c.spec));
    for (const [id, svg] of svgs) {
      expect(svg, id).toMatch(/^<svg /);
      expect(svg, id).toMatch(/class="mark-(line|rect|rule|symbol)/);
    }
    const html = reportHtml(results, charts, svgs);
    expect(html.match(/<figure class="chart"/g)).toHaveLength(charts.length);
    expect(html).toContain('<pre><code>berth compare --nodes 20</code></pre>');
    expect(html).toMatch(/<li>active nodes, mean \(nodes\): spread [\d.,]+; binpack [\d.,]+ \(/);
    expect(html).toContain('Cluster: 16 nodes, the mmc preset');
    expect(html).toMatch(/<th>spread<\/th><th>binpack<\/th><th class="delta">Δ vs spread<\/th>/);
    expect(html).not.toMatch(/<script/);
  });
});

describe('trace profile charts', () => {
  it('are pure, keep every arrival when merging bins, and compile', async () => {
    const { arrivalsChart, distributionChart, prioritiesChart } = await import('../sim/report/trace-charts.ts');
    const { inspectTrace } = await import('../traces/inspect.ts');
    const { inBatches, workloadPreset } = await import('../traces/synthetic/presets.ts');
    const { expandGroups } = await import('../sim/cluster-file.ts');
    const preset = workloadPreset('production');
    const profile = deepFrozen(await inspectTrace(inBatches(preset.generate({ tasks: 3000, load: 0.9, seed: 1, nodes: expandGroups(preset.cell(30)) }))));
    const a = json(arrivalsChart(profile, 'x'));
    expect(arrivalsChart(profile, 'x')).toEqual(arrivalsChart(profile, 'x'));
    // tasks per hour × bin hours, summed over bins, is every task
    const binHours = Number(/bins of ([\d.]+) h/.exec(a.title.subtitle)![1]);
    const total = (a.data.values as { perHour: number }[]).reduce((s, v) => s + v.perHour * binHours, 0);
    expect(total).toBeCloseTo(3000, 0);
    for (const spec of [arrivalsChart(profile, 'x'), distributionChart('d', 's', [{ name: 'run', dist: profile.durationSeconds }]), prioritiesChart(profile)]) {
      expect(() => compile(spec)).not.toThrow();
    }
    expect(json(prioritiesChart(profile)).data.values.reduce((s: number, v: { tasks: number }) => s + v.tasks, 0)).toBe(3000);
  });
});

describe('the best mean', () => {
  it('names every policy tied at the best, and none when all tie or the measure has no direction', async () => {
    const { best } = await import('../sim/report/text.ts');
    const row = (better: 'lower' | 'higher' | 'neither', means: number[]) => ({
      measure: { ...MEASURES[0]!, better },
      cells: means.map((mean, i) => ({ policy: `p${i}`, estimate: { n: 1, mean, sd: null, halfWidth: null, low: null, high: null }, difference: null })),
    });
    expect(best(row('lower', [3, 1, 2]))).toEqual(['p1']);
    expect(best(row('higher', [3, 1, 3]))).toEqual(['p0', 'p2']);
    expect(best(row('lower', [0, 0, 0]))).toEqual([]);
    expect(best(row('neither', [3, 1, 2]))).toEqual([]);
  });
});
