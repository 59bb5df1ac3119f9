// report.html in a real browser: Debian's Chromium driven by playwright-core (no download).
// A small comparison writes a report; the page must load without console errors, every chart
// must be drawn with marks, and a full-page screenshot goes to test/.tmp/report.png.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT } from './peer-support.ts';

const CHROMIUM = '/usr/bin/chromium';
const missing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium)`;

describe.skipIf(missing !== undefined)(`report.html in headless Chromium${missing ? `: skipped, ${missing}` : ''}`, () => {
  const out = mkdtempSync(join(tmpdir(), 'berth-report-'));
  let browser: Browser | undefined;

  beforeAll(async () => {
    const r = spawnSync(process.execPath, [join(PROJECT, 'bin', 'berth.js'), 'compare', '--nodes', '30', '--tasks', '1500',
      '--seeds', '2', '--out', out, '--quiet'], { cwd: PROJECT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('loads offline without console errors, draws every chart with marks, and is screenshot', async () => {
    const context = await browser!.newContext({ offline: true, viewport: { width: 1200, height: 900 } });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
      await page.goto(pathToFileURL(join(out, 'report.html')).href, { waitUntil: 'load' });

      expect(await page.title()).toBe('berth compare: binpack · spread · first-fit');
      const charts = await page.$$eval('figure.chart', (figures) => figures.map((f) => ({
        id: f.id,
        svg: f.querySelector('svg') !== null,
        // Marks vega drew: paths, rects, lines and symbols inside the mark groups.
        marks: f.querySelectorAll('g[class~="mark-line"] path, g[class~="mark-rect"] path, g[class~="mark-rule"] line, g[class~="mark-symbol"] path').length,
        width: f.querySelector('svg')?.getBoundingClientRect().width ?? 0,
      })));
      const ids = charts.map((c) => c.id);
      for (const id of ['utilization', 'active-nodes', 'pending', 'wait-cdf', 'fragmentation', 'wait-by-priority', 'measure-waitMean', 'measure-activeNodes']) {
        expect(ids).toContain(id);
      }
      for (const c of charts) {
        expect(c.svg, `${c.id} has an svg`).toBe(true);
        expect(c.marks, `${c.id} has marks`).toBeGreaterThan(0);
        expect(c.width, `${c.id} is laid out`).toBeGreaterThan(100);
      }
      // The summary table has a row per measure and a column per policy (plus Δ columns).
      expect(await page.$$eval('table.summary thead th', (ths) => ths.map((t) => t.textContent))).toEqual(
        ['measure', 'binpack', 'spread', 'Δ vs binpack', 'first-fit', 'Δ vs binpack']);
      expect(await page.textContent('#repeat pre')).toMatch(/^berth compare --nodes 30 --tasks 1500 --seeds 2 --out /);

      mkdirSync(join(PROJECT, 'test', '.tmp'), { recursive: true });
      const shot = join(PROJECT, 'test', '.tmp', 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(10_000);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('is one self-contained file: no script, no external reference', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="https?:/i);
    expect(html).not.toMatch(/<link /i);
  });
});
