// Where berth is installed, and its version, from its package.json. The file is looked for in
// the folders above this module, which sits at a different depth in the sources (sim/) and in
// the bundle (dist/, dist/chunks/).

import { existsSync, readFileSync } from 'node:fs';

function findPackage(): { root: URL; version: string } {
  for (let up = '../'; up.length <= 12; up += '../') {
    const url = new URL(`${up}package.json`, import.meta.url);
    if (!existsSync(url)) continue;
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'berth' && pkg.version !== undefined) return { root: new URL(up, import.meta.url), version: pkg.version };
  }
  throw new Error('berth cannot find its package.json above ' + import.meta.url);
}

const found = findPackage();

/** The project's root folder, as a file URL ending in a slash. */
export const PROJECT_ROOT: URL = found.root;
export const VERSION: string = found.version;
