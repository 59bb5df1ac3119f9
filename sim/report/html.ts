// report.html: one self-contained page (inline CSS, charts as inline SVG, no script, no
// network) that says what was compared, how to repeat it, what it shows, and the evidence.

import { reportCharts, type Chart } from './charts.ts';
import { renderSvg } from './render.ts';
import { comparisonTable, type ComparisonResults, type Row } from './results.ts';
import { best, conclusion, differenceText, estimateText, measureTitle, num } from './text.ts';

export const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const escape = escapeHtml;

/** Renders every chart and builds the page. */
export async function buildReport(results: ComparisonResults): Promise<string> {
  const charts = reportCharts(results);
  const svgs = new Map<string, string>();
  for (const chart of charts) svgs.set(chart.id, await renderSvg(chart.spec));
  return reportHtml(results, charts, svgs);
}

/** The measures that conclusions are drawn on, in this order, when the runs have them. */
const CONCLUDE = ['activeNodes', 'activeNodeHours', 'cost', 'waitMean', 'waitP99', 'pendingMean', 'fragmentationCpu', 'balanceCv'];

export function describeInputs(results: ComparisonResults): { cluster: string; workload: string } {
  const c = results.inputs.cluster, w = results.inputs.workload;
  const nodes = `${c.nodes.toLocaleString('en-US')} nodes`;
  const cluster = 'preset' in c ? `${nodes}, the ${c.preset} preset's cell` : `${nodes} from ${c.files.map((f) => f.path).join(', ') || c.format}`;
  const workload = 'preset' in w
    ? `${w.preset} workload, ${w.tasks.toLocaleString('en-US')} tasks at offered load ${w.load} (generated from each seed)`
    : `${w.files.map((f) => f.path).join(', ')} (${w.format}, ${w.rows.toLocaleString('en-US')} rows; the seed changes only the schedulers' random streams)`;
  return { cluster, workload };
}

export function reportHtml(results: ComparisonResults, charts: readonly Chart[], svgs: ReadonlyMap<string, string>): string {
  const table = comparisonTable(results);
  const { cluster, workload } = describeInputs(results);
  const figure = (chart: Chart) =>
    `<figure class="chart" id="${chart.id}">${svgs.get(chart.id) ?? ''}</figure>`;
  const byId = (prefix: string) => charts.filter((c) => c.id.startsWith(prefix));
  const rows = CONCLUDE.map((key) => table.find((r) => r.measure.key === key)).filter((r): r is Row => r !== undefined);
  const seeds = results.seeds.length;
  const title = `berth compare: ${results.policies.join(' · ')}`;
  return htmlPage(title, CSS, `<p class="lede">${results.policies.length} scheduling policies on the same inputs, ${seeds} seed${seeds === 1 ? '' : 's'} each
(${results.runs.length} runs). Cluster: ${escape(cluster)}. Workload: ${escape(workload)}.
Queue ${escape(results.inputs.queue)}. The first policy, <b>${escape(results.policies[0] ?? '')}</b>, is the baseline.</p>

<section id="findings">
<h2>What it shows</h2>
<ul>
${rows.map((r) => `<li>${escape(conclusion(results, r))}</li>`).join('\n')}
</ul>
<p class="note">${seeds > 1
    ? `Means over ${seeds} seeds with 95 % confidence intervals from Student's t. Differences are paired by seed (every policy sees the same seeds) and relative to ${escape(results.policies[0] ?? '')}'s mean.`
    : 'One seed: no confidence interval can be estimated; run with --seeds 3 or more before drawing conclusions.'}</p>
</section>

<section id="summary">
<h2>Summary table</h2>
${summaryTable(results, table)}
</section>

<section id="headline">
<h2>Headline measures</h2>
<p class="note">Each bar is a policy's mean over the seeds, its line that mean's own 95 % interval, which holds the
workloads' variation from seed to seed; the table's Δ pairs the policies seed by seed, which removes it.</p>
<div class="grid">
${byId('measure-').map(figure).join('\n')}
</div>
</section>

<section id="time">
<h2>Over time</h2>
<p class="note">From the first arrival to the last (the measurement window); the drain after the last arrival is left out.</p>
${['utilization', 'active-nodes', 'pending', 'fragmentation'].flatMap((id) => byId(id)).map(figure).join('\n') ||
  '<p>Time series are written when the comparison has an output folder (<code>--out DIR</code>).</p>'}
</section>

<section id="waiting">
<h2>Waiting</h2>
${[...byId('wait-cdf'), ...byId('wait-by-priority')].map(figure).join('\n')}
</section>

<section id="repeat">
<h2>How to repeat</h2>
<pre><code>${escape(results.command)}</code></pre>
<p>berth ${escape(results.berth)}; ${results.runs.length} runs on ${results.threads} worker thread${results.threads === 1 ? '' : 's'} in ${num(results.wallSeconds)} s.
Each run is reproducible on its own: the same inputs, policy and seed give the same placement digest on any machine.</p>
<details><summary>Every run: its digest and the command that repeats it</summary>
<table class="runs"><thead><tr><th>policy</th><th>seed</th><th>digest</th><th>command</th></tr></thead><tbody>
${results.runs.map((r) => `<tr><td>${escape(r.policy)}</td><td>${r.seed}</td><td><code>${escape(r.summary.digest.slice(0, 19))}…</code></td><td><code>${escape(r.summary.run.command)}</code></td></tr>`).join('\n')}
</tbody></table>
</details>
</section>

<section id="definitions">
<h2>Definitions</h2>
<dl>
<dt>wait</dt><dd>start minus submit of each task started, seconds.</dd>
<dt>active nodes, active node-hours</dt><dd>nodes running at least one task: time-weighted mean over the window, and node-hours over the whole run. A node with nothing on it could be turned off.</dd>
<dt>cost</dt><dd>active node-hours times each node's <code>price</code> from the cluster file (shown only when prices are given).</dd>
<dt>fragmentation</dt><dd>share of free cpu on up nodes lying on nodes where the smallest pending request does not fit, sampled at regular instants, time-weighted over the window; 0 while nothing is pending.</dd>
<dt>node imbalance</dt><dd>coefficient of variation (standard deviation over mean) of cpu utilization across up nodes, time-weighted over the window: 0 is perfectly even; packing raises it on purpose.</dd>
<dt>bounded slowdown</dt><dd>(completion − submit) / max(run time, 10 s), at least 1, averaged over completed tasks.</dd>
<dt>utilization</dt><dd>allocated over capacity of up nodes, time-weighted from the first arrival to the last.</dd>
</dl>
</section>`);
}

function summaryTable(results: ComparisonResults, table: readonly Row[]): string {
  const [first] = results.policies;
  const head = results.policies.map((p, i) => (i === 0 ? `<th>${escape(p)}</th>` : `<th>${escape(p)}</th><th class="delta">Δ vs ${escape(first ?? '')}</th>`)).join('');
  const body = table.map((row) => {
    const winner = best(row);
    const cells = row.cells.map((c) => {
      const cls = winner.includes(c.policy) ? ' class="best"' : '';
      const value = `<td${cls}>${escape(estimateText(c.estimate))}</td>`;
      if (!c.difference) return value;
      const sig = c.difference.significant ? ' sig' : '';
      return `${value}<td class="delta${sig}">${escape(differenceText(c.difference))}</td>`;
    }).join('');
    return `<tr><th scope="row">${escape(measureTitle(row.measure))}</th>${cells}</tr>`;
  }).join('\n');
  return `<table class="summary"><thead><tr><th>measure</th>${head}</tr></thead><tbody>
${body}
</tbody></table>
<p class="note">Mean ± half-width of the 95 % interval over seeds. Δ: the paired difference to ${escape(first ?? '')}, relative to its mean;
<b>bold</b> when the interval excludes 0. The best mean on each measure is shaded (none when all tie).</p>`;
}

/** The style both reports share (the comparison's and the sweep's): page, headings, tables. */
const BASE_CSS = `
:root { color-scheme: light; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d1d1f; background: #fafafa; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 64px; background: #fff; }
h1 { font-size: 26px; margin: 8px 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid #e5e5e5; padding-bottom: 4px; }
.lede { color: #333; max-width: 900px; }
.note { color: #555; font-size: 13px; }
table { border-collapse: collapse; font-size: 13.5px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
th[scope=row], thead th:first-child { text-align: left; }
thead th { border-bottom: 2px solid #ccc; }
`;

const CSS = `
ul { padding-left: 20px; } li { margin: 4px 0; }
td.best { background: #eaf4ea; }
td.delta { color: #666; } td.delta.sig { color: #111; font-weight: 600; }
.grid { display: flex; flex-wrap: wrap; gap: 8px 20px; }
figure.chart { margin: 12px 0; }
figure.chart svg { max-width: 100%; height: auto; }
pre { background: #f3f3f3; padding: 10px 12px; overflow-x: auto; font-size: 13px; }
table.runs td { text-align: left; font-size: 12px; }
dt { font-weight: 600; margin-top: 6px; } dd { margin-left: 18px; color: #333; }
`;

/** A self-contained page: the shared style plus the page's own, the title as its heading, then the body. */
export function htmlPage(title: string, css: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${BASE_CSS}${css}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}
