#!/usr/bin/env node
// The `berth` command. berth runs from its TypeScript sources (see typescript.js).
import './typescript.js';

const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
