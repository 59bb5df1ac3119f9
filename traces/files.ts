// The files a user names on the command line: files, folders (every file inside, by name), and
// globs with `*` and `?` in the file name (`task_events/part-*-of-00500.csv.gz`), sorted by
// name, which for part files is their order in time.

import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../sim/errors.ts';

/** The name ending of a trace's binary cache (cache.ts). */
export const CACHE_SUFFIX = '.berth-cache';

export function expandInputs(inputs: readonly string[]): string[] {
  const out: string[] = [];
  for (const input of inputs) {
    if (/[*?]/.test(dirname(input))) throw new InputError({ file: input }, 'only the file name may hold * or ?, not the folders above it');
    if (/[*?]/.test(basename(input))) {
      const pattern = globToRegExp(basename(input));
      const matches = listFolder(dirname(input), input).filter((f) => pattern.test(f) && !f.endsWith(CACHE_SUFFIX)).map((f) => join(dirname(input), f));
      if (matches.length === 0) throw new InputError({ file: input }, 'no file matches this pattern');
      out.push(...matches);
      continue;
    }
    const stat = statSync(input, { throwIfNoEntry: false });
    if (!stat) throw new InputError({ file: input }, 'no such file or folder');
    if (stat.isDirectory()) {
      // Hidden files and berth's own caches of a trace (see cache.ts) are not trace files.
      const files = listFolder(input, input).filter((f) => !f.startsWith('.') && !f.endsWith(CACHE_SUFFIX) && statSync(join(input, f)).isFile());
      if (files.length === 0) throw new InputError({ file: input }, 'the folder holds no files');
      out.push(...files.map((f) => join(input, f)));
    } else {
      out.push(input);
    }
  }
  return out;
}

function listFolder(folder: string, asked: string): string[] {
  try {
    return readdirSync(folder).sort();
  } catch (err) {
    throw new InputError({ file: asked }, `cannot list ${folder}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function globToRegExp(glob: string): RegExp {
  const source = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${source}$`);
}
