#!/usr/bin/env node
// Bundles the command line and the simulation worker into dist/ (esbuild, a second or less),
// so that `berth` starts in a fraction of the time it takes to compile its TypeScript sources
// on the fly. Runs at `npm ci` (the prepare script) and with `npm run build`. dist/ is used only
// while it is newer than every source file (see sources.js); otherwise berth runs from sources.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './sources.js';

rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  // The worker entry sits next to the main bundle under the name the sources use (./worker.js),
  // so the same relative URL finds it.
  entryPoints: { berth: 'cli/main.ts', worker: 'sim/worker-task.ts' },
  outdir: 'dist',
  bundle: true,
  // Code reached only through import() (the Docker driver and its HTTP client, the report's
  // chart renderer) goes to chunks of its own, loaded by the commands that need it.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
