// Merging shards: the manifests (OUT/shards/<i>-of-<n>.json) found in the folders given must
// come from the same sweep (same hash: same name, cells, metrics and berth code), must together
// hold every cell, and where two hold the same cell they must agree. The result is the sweep's
// results, equal to those of the whole grid run at once.

import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors.ts';
import { describeCell } from './grid.ts';
import { canonicalJson } from './hash.ts';
import { MANIFEST_FORMAT, type ShardManifest, type SweepResults, type SweepRow } from './results.ts';

export interface FoundManifest {
  readonly path: string;
  readonly manifest: ShardManifest;
}

/** Every shard manifest under DIR/shards/ of each folder, in the order given, then by name. */
export async function findManifests(dirs: readonly string[]): Promise<FoundManifest[]> {
  const found: FoundManifest[] = [];
  for (const dir of dirs) {
    const shards = join(dir, 'shards');
    let names: string[];
    try {
      names = (await readdir(shards)).filter((n) => /^\d+-of-\d+\.json$/.test(n)).sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
    } catch {
      throw new InputError({ file: dir }, `not the output folder of a sweep: it has no shards/ folder (berth sweep --out ${dir} writes one)`);
    }
    if (names.length === 0) throw new InputError({ file: shards }, 'holds no shard manifest (<i>-of-<n>.json): did the sweep finish?');
    for (const name of names) {
      const path = join(shards, name);
      let manifest: ShardManifest;
      try {
        manifest = JSON.parse(await readFile(path, 'utf8')) as ShardManifest;
      } catch (err) {
        throw new InputError({ file: path }, `cannot be read as a shard manifest: ${(err as Error).message}`);
      }
      if (manifest.format !== MANIFEST_FORMAT || !Array.isArray(manifest.cells) || typeof manifest.sweep?.hash !== 'string') {
        throw new InputError({ file: path }, `not a shard manifest of this berth (expected format ${MANIFEST_FORMAT})`);
      }
      found.push({ path, manifest });
    }
  }
  return found;
}

export function mergeManifests(found: readonly FoundManifest[]): SweepResults {
  const first = found[0];
  if (!first) throw new InputError({}, 'nothing to merge');
  const sweep = first.manifest.sweep;
  for (const { path, manifest } of found) {
    if (manifest.sweep.hash !== sweep.hash) {
      const other = manifest.sweep;
      const why = other.name !== sweep.name ? `it is sweep ${JSON.stringify(other.name)}, not ${JSON.stringify(sweep.name)}`
        : other.code !== sweep.code ? `it ran with berth ${other.code}, not ${sweep.code} (a different version or code)`
          : other.cells !== sweep.cells ? `its sweep has ${other.cells} cells, not ${sweep.cells}`
            : 'its sweep differs in cells (inputs, options or seeds) or metrics';
      throw new InputError({ file: path }, `from a different sweep than ${first.path} (hash ${other.hash.slice(0, 12)}… against ${sweep.hash.slice(0, 12)}…): ${why}; shards of different sweeps cannot be merged (a manifest left by an earlier version of the sweep may be deleted)`);
    }
  }
  const rows: (SweepRow | undefined)[] = new Array(sweep.cells);
  const from: string[] = new Array(sweep.cells);
  for (const { path, manifest } of found) {
    for (const row of manifest.cells) {
      if (!(Number.isInteger(row.index) && row.index >= 0 && row.index < sweep.cells)) throw new InputError({ file: path }, `holds a cell index ${row.index} outside 0…${sweep.cells - 1}`);
      const earlier = rows[row.index];
      if (earlier !== undefined) {
        // The same cell in two shards (the same shard given twice, shards of different
        // counts): harmless when both say the same thing, which a deterministic run does.
        if (canonicalJson(earlier) === canonicalJson(row)) continue;
        throw new InputError({ file: path }, `cell ${row.index} (${describeCell(row)}) is also in ${from[row.index]}, with different results ` +
          `(digest ${row.digest.slice(7, 19)}… against ${earlier.digest.slice(7, 19)}…): shards overlap and disagree`);
      }
      rows[row.index] = row;
      from[row.index] = path;
    }
  }
  const missing = [...rows.keys()].filter((i) => rows[i] === undefined);
  if (missing.length > 0) {
    const counts = [...new Set(found.map((f) => f.manifest.shard.count))];
    const have = new Set(found.map((f) => `${f.manifest.shard.index}/${f.manifest.shard.count}`));
    const shardsMissing = counts.length === 1
      ? Array.from({ length: counts[0]! }, (_, i) => `${i}/${counts[0]}`).filter((s) => !have.has(s))
      : [];
    throw new InputError({}, `the shards given hold ${sweep.cells - missing.length} of the sweep's ${sweep.cells} cells` +
      (shardsMissing.length > 0 ? `; missing shard${shardsMissing.length === 1 ? '' : 's'} ${shardsMissing.join(', ')}` : '') +
      `; missing cells ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''} (berth sweep FILE --list names every cell)`);
  }
  return { sweep, cells: rows as SweepRow[] };
}
