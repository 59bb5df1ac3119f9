#!/usr/bin/env node
// The `berth` command. berth is written in TypeScript and runs from its sources: tsx compiles
// each module as it loads (and caches the result), and the same loader lets a user's policy be
// a .ts file.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
