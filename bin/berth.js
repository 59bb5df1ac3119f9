#!/usr/bin/env node
// The `berth` command: from the bundle in dist/ when it is current (fast to start), else from
// the TypeScript sources, compiled as they load (see typescript.js).
import { bundleIsCurrent } from './sources.js';

let main;
if (bundleIsCurrent()) {
  process.setSourceMapsEnabled(true);
  ({ main } = await import('../dist/berth.js'));
} else {
  await import('./typescript.js');
  ({ main } = await import('../cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
