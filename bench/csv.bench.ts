// Tokenizing CSV: traces/csv.ts against csv-parse (which it replaced on the trace path), on the
// same 100,000 rows of a native trace, fed in 1 MiB pieces as the reader feeds them.

import { parse } from 'csv-parse/sync';
import { expandGroups } from '../sim/cluster-file.ts';
import { CsvTokenizer } from '../traces/csv.ts';
import { productionCell, productionWorkload } from '../traces/synthetic/production.ts';
import { formatMicros } from '../sim/units.ts';
import { measure, type Row } from './util.ts';

const ROWS = 100_000;
const PIECE = 1 << 20;

export function csvBench(): Promise<Row[]> {
  let text = 'id,submit,duration,cpu,memory,gpu,priority,job,user\n';
  for (const r of productionWorkload({ tasks: ROWS, load: 0.9, seed: 1, nodes: expandGroups(productionCell(1000)) })) {
    text += `${r.id},${formatMicros(r.submit)},${formatMicros(r.duration)},${r.cpu / 1000},${r.memory / 1024},${r.gpu / 1000},${r.priority},${r.job},${r.user}\n`;
  }
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += PIECE) pieces.push(text.slice(i, i + PIECE));
  let sink = 0;
  return measure('CSV tokenizing (a native trace, 1 MiB pieces)', 'rows', [
    {
      name: 'traces/csv.ts',
      fn: () => {
        const t = new CsvTokenizer((fields) => { sink += fields.length; });
        for (const p of pieces) t.push(p);
        t.end();
      },
      units: () => ROWS + 1,
    },
    {
      name: 'csv-parse (trim, skip empty lines)',
      fn: () => { sink += (parse(text, { bom: true, trim: true, skip_empty_lines: true }) as unknown[]).length; },
      units: () => ROWS + 1,
    },
  ], 1500);
}
