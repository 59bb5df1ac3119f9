// Renders Vega-Lite specs to SVG in Node with vega (no browser, no network): the report holds
// the drawings themselves and needs no script to show them.

import type { VegaLiteSpec } from './charts.ts';

export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  // Loaded on first use: vega is large, and every other command starts without it.
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
