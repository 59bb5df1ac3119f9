// Charts of a trace's profile (`berth trace inspect`, traces/inspect.ts) as Vega-Lite specs:
// arrivals over time, the distributions of size and duration, and priorities. Pure functions
// from a profile to a spec, like the comparison's charts.

import type { Distribution, TraceProfile } from '../../traces/inspect.ts';
import type { VegaLiteSpec } from './charts.ts';

const CONFIG = {
  font: 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif',
  title: { fontSize: 15, anchor: 'start', subtitleFontSize: 12, subtitleColor: '#555', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
  view: { stroke: null },
} as const;
const COLOR = '#4c78a8';

/** Tasks submitted per hour over the trace, from the profile's bins. */
export function arrivalsChart(profile: TraceProfile, name: string): VegaLiteSpec {
  // At most about 360 bars: neighbouring bins are merged (a year of 2-hour bins becomes days).
  const factor = Math.max(1, Math.ceil(profile.arrivals.counts.length / 360));
  const binSeconds = profile.arrivals.binSeconds * factor;
  const counts: number[] = [];
  profile.arrivals.counts.forEach((n, i) => { counts[Math.floor(i / factor)] = (counts[Math.floor(i / factor)] ?? 0) + n; });
  const days = (profile.submit?.span ?? 0) > 3 * 86400;
  const unit = days ? 86400 : 3600;
  const values = counts.map((n, i) => ({ time: Number(((i * binSeconds) / unit).toPrecision(6)), perHour: Number(((n * 3600) / binSeconds).toPrecision(6)) }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Arrivals: ${name}`, subtitle: `tasks submitted per hour, in bins of ${Number((binSeconds / 3600).toPrecision(4))} h; mean ${profile.arrivals.meanPerHour.toFixed(1)} per hour` },
    config: CONFIG, width: 640, height: 200,
    data: { values },
    mark: { type: 'area', interpolate: 'step-after', color: COLOR, opacity: 0.8 },
    encoding: {
      x: { field: 'time', type: 'quantitative', title: `time since the first submit (${days ? 'days' : 'hours'})` },
      y: { field: 'perHour', type: 'quantitative', title: 'tasks per hour' },
    },
  } as VegaLiteSpec;
}

const QUANTILES: readonly [keyof Distribution, number][] = [['min', 0], ['p50', 50], ['p90', 90], ['p99', 99], ['max', 100]];

/** A distribution as its quantiles (the profile keeps min, median, p90, p99 and max), on a log scale. */
export function distributionChart(title: string, unit: string, dists: readonly { name: string; dist: Distribution }[]): VegaLiteSpec {
  const values = dists.flatMap(({ name, dist }) => QUANTILES.map(([key, percent]) => ({ name, percent, value: dist[key] })).filter((v) => v.value > 0));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: 'quantiles: min, median, p90, p99, max (the inspect profile keeps these); log scale' },
    config: CONFIG, width: 300, height: 200,
    data: { values },
    mark: { type: 'line', point: true, strokeWidth: 2 },
    encoding: {
      x: { field: 'value', type: 'quantitative', title: unit, scale: { type: 'log' } },
      y: { field: 'percent', type: 'quantitative', title: 'tasks at or below (%)', scale: { domain: [0, 100] } },
      color: { field: 'name', type: 'nominal', title: null, legend: { orient: 'top' } },
    },
  } as VegaLiteSpec;
}

export function prioritiesChart(profile: TraceProfile): VegaLiteSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Priorities', subtitle: 'tasks per priority value (higher runs first)' },
    config: CONFIG, width: 300, height: 200,
    data: { values: profile.priorities.map((p) => ({ priority: p.priority, tasks: p.tasks })) },
    mark: { type: 'bar', color: COLOR },
    encoding: {
      x: { field: 'priority', type: 'ordinal', title: 'priority', sort: 'descending', axis: { labelAngle: 0 } },
      y: { field: 'tasks', type: 'quantitative', title: 'tasks' },
    },
  } as VegaLiteSpec;
}
