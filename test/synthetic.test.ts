import { describe, expect, it } from 'vitest';
import { expandGroups } from '../sim/cluster-file.ts';
import { productionCell, productionWorkload } from '../traces/synthetic/production.ts';
import { mmcCell, mmcWorkload } from '../traces/synthetic/mmc.ts';
import type { TaskRecord } from '../traces/record.ts';

const cell = (n: number) => expandGroups(productionCell(n));

describe('production cell', () => {
  it('has heterogeneous shapes over three zones, in the stated shares', () => {
    const nodes = cell(12_500);
    expect(nodes).toHaveLength(12_500);
    const shapes = new Map<string, number>();
    for (const n of nodes) shapes.set(`${n.cpu / 1000}c${n.memory / 1024}g${n.gpu / 1000}`, (shapes.get(`${n.cpu / 1000}c${n.memory / 1024}g${n.gpu / 1000}`) ?? 0) + 1);
    expect(Object.fromEntries(shapes)).toEqual({ '16c64g0': 6250, '16c128g0': 3125, '32c128g0': 1250, '8c32g0': 1000, '32c256g0': 625, '32c256g8': 250 });
    expect(new Set(nodes.map((n) => n.labels.zone))).toEqual(new Set(['a', 'b', 'c']));
    expect(nodes.filter((n) => n.gpu > 0).every((n) => n.labels['gpu-model'] === 'A100')).toBe(true);
    expect(cell(1)).toHaveLength(1);
  });
});

describe('production workload', () => {
  const nodes = cell(100);
  const take = (seed: number, tasks = 50_000) => [...productionWorkload({ tasks, load: 0.9, seed, nodes })];

  it('is reproducible for a seed and differs across seeds', () => {
    const a = take(1, 5000);
    expect(take(1, 5000)).toEqual(a);
    expect(take(2, 5000)).not.toEqual(a);
  });

  it('comes in submit order, on a 1/64 s grid, with requests that fit the cell', () => {
    const rows = take(3);
    expect(rows).toHaveLength(50_000);
    let last = 0;
    const bad = rows.find((r) => {
      const wrong = r.submit < last || r.submit % 15_625 !== 0 || r.duration % 15_625 !== 0 || r.duration <= 0 ||
        r.cpu > 32_000 || r.memory > 256 * 1024 || r.priority < 0 || r.priority > 11;
      last = r.submit;
      return wrong;
    });
    expect(bad).toBeUndefined();
    const bands = [0, 0, 0];
    for (const r of rows) bands[r.priority <= 1 ? 0 : r.priority <= 8 ? 1 : 2]!++;
    expect(bands.map((b) => Math.round((100 * b) / rows.length))).toEqual([expect.closeTo(25, -1), expect.closeTo(60, -1), expect.closeTo(15, -1)]);
  });

  it('starts warm: the steady-state population runs from time 0', () => {
    const rows = take(4);
    const warm = rows.filter((r) => r.submit === 0).length;
    // rate x mean duration for 100 such nodes at load 0.9 (see the model): about 1,700 tasks.
    expect(warm).toBeGreaterThan(1500);
    expect(warm).toBeLessThan(1900);
  });

  it('offers the requested load, within four standard errors', () => {
    const rows: TaskRecord[] = take(1, 400_000).filter((r) => r.submit > 0);
    const capCpu = nodes.reduce((a, n) => a + n.cpu, 0);
    const span = rows[rows.length - 1]!.submit / 1e6;
    // The arrival rate follows 1 + 0.25 sin(2πt/day): its mean over [0, span] scales the load.
    const phase = (2 * Math.PI * span) / 86_400;
    const expected = 0.9 * (1 + (0.25 * (1 - Math.cos(phase))) / phase);
    const work = rows.reduce((a, r) => a + r.cpu * (r.duration / 1e6), 0);
    const offered = work / (capCpu * span);
    // Standard error from 20 batch means of cpu x duration (heavy-tailed, so estimated, not assumed).
    const size = Math.floor(rows.length / 20);
    const means = Array.from({ length: 20 }, (_, i) =>
      rows.slice(i * size, (i + 1) * size).reduce((a, r) => a + r.cpu * r.duration, 0) / size);
    const m = means.reduce((a, b) => a + b, 0) / 20;
    const se = Math.sqrt(means.reduce((a, b) => a + (b - m) ** 2, 0) / 19) / Math.sqrt(20) / m;
    expect(Math.abs(offered / expected - 1)).toBeLessThan(4 * se);
  });

  it('asks for GPUs only when the cell has them', () => {
    const noGpu = expandGroups([{ cpu: 16, memory: 64, count: 50 }]);
    expect([...productionWorkload({ tasks: 20_000, load: 0.5, seed: 1, nodes: noGpu })].some((r) => r.gpu > 0)).toBe(false);
    expect(take(5, 20_000).some((r) => r.gpu > 0)).toBe(true);
  });
});

describe('mmc workload', () => {
  it('has one-core tasks arriving at rate ρ c / mean service', () => {
    const nodes = expandGroups(mmcCell(4));
    const rows = [...mmcWorkload({ tasks: 100_000, load: 0.5, seed: 1, nodes })];
    expect(rows.every((r) => r.cpu === 1000 && r.memory === 0)).toBe(true);
    const span = rows[rows.length - 1]!.submit / 1e6;
    // λ = 0.5 · 4 / 60 s: 100,000 arrivals take 3,000,000 s (± 0.3 % at one standard error).
    expect(span / 3_000_000).toBeCloseTo(1, 1);
    const meanService = rows.reduce((a, r) => a + r.duration, 0) / rows.length / 1e6;
    expect(meanService / 60).toBeCloseTo(1, 1);
  });
});
