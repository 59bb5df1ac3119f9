// What the notebooks share: where they write, and how a figure or a page is written.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VegaLiteSpec } from '../sim/report/charts.ts';
import { renderSvg } from '../sim/report/render.ts';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** A notebook's output folder: out/notebooks/<name>/ (git-ignored with out/). */
export async function outputFolder(name: string): Promise<string> {
  const dir = join(ROOT, 'out', 'notebooks', name);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Renders a spec to DIR/NAME.svg and keeps the spec beside it (NAME.vl.json). */
export async function writeFigure(dir: string, name: string, spec: VegaLiteSpec): Promise<string> {
  await writeFile(join(dir, `${name}.vl.json`), JSON.stringify(spec, null, 2) + '\n');
  await writeFile(join(dir, `${name}.svg`), await renderSvg(spec));
  return `${name}.svg`;
}

export async function writeAnswer(dir: string, markdown: string): Promise<void> {
  await writeFile(join(dir, 'answer.md'), markdown);
  process.stdout.write(markdown + `\nwrote ${relative(process.cwd(), join(dir, 'answer.md'))} and its figures\n`);
}
