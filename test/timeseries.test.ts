import { describe, expect, it } from 'vitest';
import { TimeSeries } from '../sim/timeseries.ts';

const S = 1_000_000;

describe('time series', () => {
  it('keeps exact time-weighted means per bucket', () => {
    const ts = new TimeSeries(1, 0, 8);
    ts.add(0, 0.5 * S, Float64Array.of(2)); // 2 for half a second
    ts.add(0.5 * S, 2.5 * S, Float64Array.of(4)); // then 4
    expect(ts.rows(2.5 * S)).toEqual([[0, 3], [S, 4], [2 * S, 4]]);
  });

  it('doubles its bucket width when the run outgrows the budget, without losing area', () => {
    const ts = new TimeSeries(2, 10 * S, 4);
    ts.add(10 * S, 13 * S, Float64Array.of(1, 10));
    ts.add(13 * S, 30 * S, Float64Array.of(3, 0));
    expect(ts.bucketWidth).toBe(8 * S);
    const rows = ts.rows(30 * S);
    // Area is preserved: channel 0 integrates to 3 + 51 = 54 over 20 s.
    const area = rows.reduce((a, row, i) => a + row[1]! * Math.min(8 * S, 30 * S - (10 * S + i * 8 * S)), 0);
    expect(area).toBeCloseTo(54 * S, 6);
    expect(rows[0]).toEqual([10 * S, (3 + 5 * 3) / 8, 30 / 8]);
  });
});
