// Recording waiting times: sim/histogram.ts against hdr-histogram-js (which it replaced for
// speed), on the same values: mostly zeros, then a long tail, as waits are.

import * as hdr from 'hdr-histogram-js';
import { Histogram } from '../sim/histogram.ts';
import { stream } from '../sim/random.ts';
import { measure, type Row } from './util.ts';

export function histogramBench(): Promise<Row[]> {
  const r = stream(1, 'bench/histogram');
  const values = Float64Array.from({ length: 100_000 }, () => (r() < 0.7 ? 0 : Math.floor(Math.exp(r() * 25))));
  const ours = new Histogram();
  const theirs = hdr.build({ bitBucketSize: 64, numberOfSignificantValueDigits: 3, autoResize: true });
  return measure('waiting-time histogram', 'records', [
    { name: 'sim/histogram.ts', fn: () => { for (const v of values) ours.record(v); }, units: () => values.length },
    { name: 'hdr-histogram-js (3 digits)', fn: () => { for (const v of values) theirs.recordValue(v); }, units: () => values.length },
  ]);
}
