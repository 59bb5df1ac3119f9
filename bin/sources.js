// Where berth's code is, and whether the bundle in dist/ is current.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SOURCE_DIRS = ['cli', 'sim', 'schedulers', 'traces', 'real-driver'];
const SOURCE_FILES = ['index.ts', 'package.json'];

/** True when dist/berth.js exists and no source file changed since it was built. */
export function bundleIsCurrent() {
  const built = statSync(join(ROOT, 'dist', 'berth.js'), { throwIfNoEntry: false });
  if (!built) return false;
  const newer = (path) => (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0) > built.mtimeMs;
  if (SOURCE_FILES.some((f) => newer(join(ROOT, f)))) return false;
  for (const dir of SOURCE_DIRS) {
    let entries;
    try {
      entries = readdirSync(join(ROOT, dir), { recursive: true });
    } catch {
      continue;
    }
    if (entries.some((e) => /\.[cm]?[jt]s$/.test(e) && newer(join(ROOT, dir, e)))) return false;
  }
  return true;
}
