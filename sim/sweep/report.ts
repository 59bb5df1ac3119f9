// report.html of a sweep: for each kept metric, its mean over seeds (with the 95 % interval)
// against the offered load, a line per scheduler, in a grid of panels, a row per workload and a
// column per cluster; then the means as tables, and every cell's digest and command. One
// self-contained page: inline CSS, charts as inline SVG (the comparison's renderer), no script.

import { PALETTE, type VegaLiteSpec } from '../report/charts.ts';
import { escapeHtml, htmlPage } from '../report/html.ts';
import { renderSvg } from '../report/render.ts';
import { estimate } from '../report/stats.ts';
import { estimateText } from '../report/text.ts';
import type { SweepHeader, SweepResults } from './results.ts';

/** One point: a scheduler's mean over seeds in one (cluster, workload, load). */
export interface Point {
  readonly cluster: string;
  readonly workload: string;
  /** The load as shown on the axis ('trace' for a trace workload). */
  readonly load: string;
  readonly scheduler: string;
  readonly mean: number;
  readonly halfWidth: number | null;
  readonly seeds: number;
}

const loadText = (load: number | null): string => (load === null ? 'trace' : String(load));
const round = (x: number): number => Number(x.toPrecision(5));

/** Means over seeds of one metric, in grid order; cells without the metric are left out. */
export function points(results: SweepResults, metric: string): Point[] {
  const groups = new Map<string, { row: SweepResults['cells'][number]; values: number[] }>();
  for (const row of results.cells) {
    const v = row.metrics[metric];
    if (v === null || v === undefined) continue;
    const k = JSON.stringify([row.cluster, row.workload, row.load, row.scheduler]);
    const g = groups.get(k) ?? { row, values: [] };
    g.values.push(v);
    groups.set(k, g);
  }
  return [...groups.values()].map(({ row, values }) => {
    const e = estimate(values);
    return { cluster: row.cluster, workload: row.workload, load: loadText(row.load), scheduler: row.scheduler, mean: e.mean, halfWidth: e.halfWidth, seeds: values.length };
  });
}

function schedulerColor(sweep: SweepHeader): Record<string, unknown> {
  const domain = [...sweep.dimensions.schedulers];
  return {
    field: 'scheduler', type: 'nominal', title: null,
    scale: { domain, range: domain.map((_, i) => PALETTE[i % PALETTE.length]!) },
    legend: { orient: 'top', direction: 'horizontal' },
  };
}

/** One metric over the sweep's dimensions. */
export function metricChart(results: SweepResults, metric: SweepHeader['metrics'][number]): VegaLiteSpec {
  const sweep = results.sweep;
  // Every metric is >= 0, and shares are <= 100 %: the drawn interval stops there (with two
  // seeds, t's interval is wide).
  const top = metric.unit === '%' ? 100 : Infinity;
  const data = points(results, metric.key).map((p) => ({
    ...p, mean: round(p.mean),
    ...(p.halfWidth !== null && { low: round(Math.max(0, p.mean - p.halfWidth)), high: round(Math.min(top, p.mean + p.halfWidth)) }),
  }));
  const ci = data.some((d) => 'low' in d);
  const x = { field: 'load', type: 'ordinal', title: 'offered load', axis: { labelAngle: 0 } };
  const better = metric.better === 'neither' ? '' : `; ${metric.better} is better`;
  const seeds = sweep.dimensions.seeds.length;
  const color = schedulerColor(sweep);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${seeds === 1 ? 'one seed' : `mean of ${seeds} seeds${ci ? ', 95 % interval' : ''}`}${better}; a row per workload, a column per cluster`,
      anchor: 'start', fontSize: 12, fontWeight: 'normal', color: '#555',
    },
    data: { values: data },
    facet: {
      row: { field: 'workload', type: 'nominal', title: null, sort: [...sweep.dimensions.workloads], header: { labelFontWeight: 'bold' } },
      column: { field: 'cluster', type: 'nominal', title: null, sort: [...sweep.dimensions.clusters], header: { labelFontWeight: 'bold' } },
    },
    spec: {
      width: 200, height: 140,
      layer: [
        { mark: { type: 'line', point: true, strokeWidth: 2 }, encoding: { x, y: { field: 'mean', type: 'quantitative', title: metric.unit || null, axis: { format: ',~g' } }, color } },
        ...(ci ? [{ mark: { type: 'rule', strokeWidth: 1.2 }, encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color } }] : []),
      ],
    },
    // A trace has no load: its row has its own axis, holding only 'trace'.
    resolve: { scale: { x: 'independent', y: 'independent' } },
    config: {
      font: 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif', view: { stroke: '#ddd' }, axis: { gridColor: '#eee' },
      legend: { labelLimit: 400 },
    },
  } as unknown as VegaLiteSpec;
}

export async function buildSweepReport(results: SweepResults): Promise<string> {
  const svgs: string[] = [];
  for (const m of results.sweep.metrics) {
    svgs.push(points(results, m.key).length === 0 ? '' : await renderSvg(metricChart(results, m)));
  }
  return sweepHtml(results, svgs);
}

const escape = escapeHtml;

export function sweepHtml(results: SweepResults, svgs: readonly string[]): string {
  const s = results.sweep;
  const d = s.dimensions;
  const title = `berth sweep: ${s.name}`;
  const dims = [
    `${d.clusters.length} cluster${d.clusters.length === 1 ? '' : 's'}`, `${d.workloads.length} workload${d.workloads.length === 1 ? '' : 's'}`,
    ...(d.loads.length > 0 ? [`${d.loads.length} load${d.loads.length === 1 ? '' : 's'}`] : []),
    `${d.schedulers.length} scheduler${d.schedulers.length === 1 ? '' : 's'}`, `${d.seeds.length} seed${d.seeds.length === 1 ? '' : 's'}`,
  ];
  const sections = s.metrics.map((m, i) => {
    const table = meansTable(results, m.key);
    return `<section id="metric-${escape(m.key)}">
<h2>${escape(m.label)}${m.unit && m.unit !== 'share' ? ` (${escape(m.unit)})` : ''}</h2>
${svgs[i] ? `<figure>${svgs[i]}</figure>` : '<p class="note">No cell has this metric.</p>'}
<details><summary>Means over seeds</summary>${table}</details>
</section>`;
  }).join('\n');
  return htmlPage(title, CSS, `<p class="lede">${s.cells} cells: ${dims.join(' × ')} (a trace has no offered load: one cell per scheduler and seed).
Clusters: ${escape(d.clusters.join(', '))}. Workloads: ${escape(d.workloads.join(', '))}.${d.loads.length > 0 ? ` Loads: ${d.loads.join(', ')}.` : ''}
Schedulers: ${escape(d.schedulers.join(', '))}. Seeds: ${d.seeds.length <= 8 ? d.seeds.join(', ') : `${d.seeds[0]}…${d.seeds[d.seeds.length - 1]}`}.</p>
${sections}
<section id="cells">
<h2>Every cell</h2>
<p class="note">berth ${escape(s.code)}; sweep ${escape(s.hash.slice(0, 16))}…. Each cell is reproducible on its own: the command
(run from the sweep file's folder) gives the same placement digest on any machine.</p>
<details><summary>${s.cells} cells: digest and command</summary>
<table class="cells"><thead><tr><th>#</th><th>cluster</th><th>workload</th><th>load</th><th>scheduler</th><th>seed</th><th>digest</th><th>command</th></tr></thead><tbody>
${results.cells.map((r) => `<tr><td>${r.index}</td><td>${escape(r.cluster)}</td><td>${escape(r.workload)}</td><td>${loadText(r.load)}</td><td>${escape(r.scheduler)}</td><td>${r.seed}</td><td><code>${escape(r.digest.slice(0, 19))}…</code></td><td><code>${escape(r.run.command)}</code></td></tr>`).join('\n')}
</tbody></table>
</details>
</section>`);
}

function meansTable(results: SweepResults, metric: string): string {
  const ps = points(results, metric);
  const schedulers = results.sweep.dimensions.schedulers;
  const groups = new Map<string, Map<string, (typeof ps)[number]>>();
  for (const p of ps) {
    const k = JSON.stringify([p.cluster, p.workload, p.load]);
    groups.set(k, (groups.get(k) ?? new Map()).set(p.scheduler, p));
  }
  const rows = [...groups].map(([k, bySched]) => {
    const [cluster, workload, load] = JSON.parse(k) as string[];
    const cells = schedulers.map((sc) => {
      const p = bySched.get(sc);
      return `<td>${p ? escape(estimateText({ n: p.seeds, mean: p.mean, sd: null, halfWidth: p.halfWidth, low: null, high: null })) : ''}</td>`;
    }).join('');
    return `<tr><th scope="row">${escape(cluster!)}</th><th scope="row">${escape(workload!)}</th><th scope="row">${escape(load!)}</th>${cells}</tr>`;
  });
  return `<table><thead><tr><th>cluster</th><th>workload</th><th>load</th>${schedulers.map((sc) => `<th>${escape(sc)}</th>`).join('')}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

/** The sweep page's own style, beside the reports' shared one. */
const CSS = `
figure { margin: 12px 0; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
table.cells td { text-align: left; font-size: 12px; }
`;
