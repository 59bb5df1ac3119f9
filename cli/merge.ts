// `berth merge DIR… --out DIR`: the shards of a sweep, run anywhere, joined into the results the
// whole grid would have given: results.json (the same bytes), results.csv and report.html. The
// cells' files are copied too, so that `berth sweep` or `bench-ci` with --out DIR reuses them.

import { copyFile, mkdir, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findManifests, mergeManifests } from '../sim/sweep/merge.ts';
import { cellPath, cellsDir } from '../sim/sweep/run.ts';
import { resultFiles, writeAll } from '../sim/sweep/sweep.ts';
import { UsageError, parseFlags, stringFlag } from './args.ts';
import { statusLine } from './progress.ts';
import { meansTable } from './sweep.ts';

export const MERGE_HELP = `usage: berth merge DIR… --out DIR [--quiet]

Joins the shards of one sweep ('berth sweep S.yaml --shard I/N --out DIR', or --shards N in a
Kubernetes Indexed Job or a Slurm array) into one results.json (byte for byte what the whole
grid run at once writes), results.csv and report.html. Each DIR is a shard's output folder, or a
folder that several shards shared; the shard manifests are read from DIR/shards/. Refuses
shards of different sweeps (another sweep file, other inputs, another berth), and says which
shards and cells are missing.

  --out DIR      where to write the merged results (may be one of the shards' folders); the
                 cells' files are copied to DIR/cells/ so later runs with --out DIR reuse them
  --quiet        no progress display`;

const OPTIONS = {
  out: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function mergeCommand(args: string[]): Promise<void> {
  const { flags, positionals } = parseFlags(args, OPTIONS, Infinity);
  if (flags.help) return void process.stdout.write(MERGE_HELP + '\n');
  if (positionals.length === 0) throw new UsageError('berth merge needs the shards\' output folders: berth merge DIR… --out DIR');
  const out = stringFlag(flags, 'out');
  if (out === undefined) throw new UsageError('berth merge needs --out DIR, where to write the merged results');
  const found = await findManifests(positionals);
  const results = mergeManifests(found);
  const line = statusLine(flags.quiet === true);
  let copied = 0;
  try {
    line.show(() => 'berth merge · copying cells…');
    await mkdir(cellsDir(out), { recursive: true });
    for (const dir of positionals) {
      if (resolve(dir) === resolve(out)) continue;
      for (const row of results.cells) {
        const from = cellPath(dir, row.key), to = cellPath(out, row.key);
        if (!existsSync(from) || existsSync(to)) continue;
        await copyFile(from, `${to}.partial-${process.pid}`);
        await rename(`${to}.partial-${process.pid}`, to);
        copied++;
      }
    }
    line.show(() => 'berth merge · writing results.json and report.html…');
    await writeAll(out, resultFiles(results));
  } finally {
    line.done();
  }
  const shards = found.map((f) => `${f.manifest.shard.index}/${f.manifest.shard.count}`);
  process.stdout.write([
    `berth merge · ${results.sweep.name} · ${results.cells.length} cells from ${found.length} shard manifest${found.length === 1 ? '' : 's'} (${shards.join(', ')})`,
    '',
    meansTable(results),
    '',
    `results   ${join(out, 'results.json')}, results.csv · report ${join(out, 'report.html')}${copied > 0 ? ` · ${copied} cell files copied to ${cellsDir(out)}/` : ''}`,
  ].join('\n') + '\n');
}
