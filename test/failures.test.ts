// Injected failures: seeded, per node and per zone, merged into the workload's stream.

import { describe, expect, it } from 'vitest';
import { parseFailureSpec, formatFailureSpec, withFailures, type FailureSpec } from '../sim/failures.ts';
import { expandGroups } from '../sim/cluster-file.ts';
import { timeOf, type NodeRecord, type TraceRecord } from '../traces/record.ts';
import { task } from './helpers.ts';

const cell = expandGroups([
  { name: 'a', count: 4, cpu: 8, memory: 32, labels: { zone: 'a' } },
  { name: 'b', count: 4, cpu: 8, memory: 32, labels: { zone: 'b' } },
]);

/** Tasks every 10 minutes for `hours`, in batches of 6. */
async function* workload(hours: number): AsyncGenerator<TraceRecord[]> {
  const all = Array.from({ length: hours * 6 }, (_, i) => task(`t${i}`, i * 600, 60, 1, 1));
  for (let i = 0; i < all.length; i += 6) yield all.slice(i, i + 6);
}

async function changes(spec: FailureSpec, seed = 1, hours = 24 * 30, nodes = cell): Promise<NodeRecord[]> {
  const out: TraceRecord[] = [];
  for await (const batch of withFailures(workload(hours), nodes, spec, seed)) out.push(...batch);
  for (let i = 1; i < out.length; i++) expect(timeOf(out[i]!)).toBeGreaterThanOrEqual(timeOf(out[i - 1]!));
  return out.filter((r): r is NodeRecord => r.kind === 'node');
}

/** Share of node-time spent down over [0, end] µs. */
function downShare(records: readonly NodeRecord[], end: number): number {
  const since = new Map<string, number>();
  let down = 0;
  for (const r of records) {
    if (r.change === 'fail') since.set(r.node, r.time);
    else { down += r.time - since.get(r.node)!; since.delete(r.node); }
  }
  expect(since.size).toBe(0); // every failed node came back
  return down / (end * cell.length);
}

describe('injected failures', () => {
  it('are reproducible for a seed and differ for another', async () => {
    const spec = { mtbf: 3 * 86400, mttr: 3600 };
    const a = await changes(spec, 1);
    expect(a.length).toBeGreaterThan(50);
    expect(await changes(spec, 1)).toEqual(a);
    expect(await changes(spec, 2)).not.toEqual(a);
  });

  it('keep each node down about MTTR / (MTBF + MTTR) of the time', async () => {
    // 8 nodes for 30 days, MTBF 1 day, MTTR 2.4 h: expected share 0.1/1.1 = 9.1 %. Over about
    // 220 failures the share's standard error is about 0.7 points, so 6-12 % is a wide margin.
    const records = await changes({ mtbf: 86400, mttr: 8640 });
    const share = downShare(records, 30 * 86400e6);
    expect(share).toBeGreaterThan(0.06);
    expect(share).toBeLessThan(0.12);
  });

  it('take a whole zone down at one instant and bring it back at one instant', async () => {
    const records = await changes({ zoneMtbf: 5 * 86400, mttr: 3600, zoneMttr: 4 * 3600 });
    expect(records.length).toBeGreaterThan(0);
    const byTime = new Map<number, NodeRecord[]>();
    for (const r of records) byTime.set(r.time, [...(byTime.get(r.time) ?? []), r]);
    for (const group of byTime.values()) {
      // All four nodes of one zone change together, the same way.
      expect(group.length).toBe(4);
      expect(new Set(group.map((r) => r.node[0])).size).toBe(1);
      expect(new Set(group.map((r) => r.change)).size).toBe(1);
    }
  });

  it('start no failure after the last arrival, and bring every failed node back', async () => {
    const hours = 48;
    const records = await changes({ mtbf: 86400, mttr: 6 * 3600 }, 3, hours);
    const lastArrival = (hours * 6 - 1) * 600e6;
    for (const r of records) if (r.change === 'fail') expect(r.time).toBeLessThan(lastArrival);
    downShare(records, hours * 3600e6); // checks that every node came back
  });

  it('do not move when another node joins the cluster', async () => {
    const spec = { mtbf: 2 * 86400, mttr: 3600 };
    const more = [...cell, ...expandGroups([{ name: 'extra', count: 1, cpu: 8, memory: 32, labels: { zone: 'c' } }])];
    const before = await changes(spec, 1);
    const after = (await changes(spec, 1, 24 * 30, more)).filter((r) => !r.node.startsWith('extra'));
    expect(after).toEqual(before);
  });

  it('read their spec from text, and say what is wrong with a bad one', () => {
    const spec = parseFailureSpec('mtbf=30d,mttr=2h,zone-mtbf=90d,zone-mttr=4h,zone-label=rack');
    expect(spec).toEqual({ mtbf: 30 * 86400, mttr: 7200, zoneMtbf: 90 * 86400, zoneMttr: 14400, zoneLabel: 'rack' });
    expect(parseFailureSpec(formatFailureSpec(spec))).toEqual(spec);
    expect(() => parseFailureSpec('mtbf=0,mttr=1h')).toThrow(/mtbf: expected a duration > 0/);
    expect(() => parseFailureSpec('mttr=1h')).toThrow(/needs mtbf/);
    expect(() => parseFailureSpec('mtbf=1d')).toThrow(/needs mttr/);
    expect(() => parseFailureSpec('mtbf=1d,mttr=1h,mtbr=3')).toThrow(/unknown key "mtbr"/);
  });
});
