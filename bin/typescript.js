// Lets Node load TypeScript: tsx compiles each .ts module as it loads (and caches the result).
// Both hooks are needed: a user's policy.ts outside an ESM package loads as CommonJS. Importing
// this module twice registers once.
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register as registerEsm } from 'tsx/esm/api';

registerCommonJs();
registerEsm();
