// Scheduler names to factories, and the loading of a user's own policy module. Every command
// that takes a scheduler resolves it here, so `--scheduler ./my-policy.ts` works everywhere.

import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '../sim/errors.ts';
import type { Scheduler, SchedulerFactory, SchedulerOptions } from './contract.ts';
import { binpack } from './policies/binpack.ts';
import { firstFit } from './policies/first-fit.ts';
import { random } from './policies/random.ts';
import { roundRobin } from './policies/round-robin.ts';
import { spread } from './policies/spread.ts';

interface Entry {
  readonly create: () => Scheduler;
  readonly summary: string;
}

const BUILTIN: ReadonlyMap<string, Entry> = new Map([
  ['first-fit', { create: firstFit, summary: 'first node in cluster order with room' }],
  ['binpack', { create: binpack, summary: 'best fit: the most allocated node with room' }],
  ['spread', { create: spread, summary: 'worst fit: the least allocated node with room' }],
  ['random', { create: random, summary: 'a node with room, drawn from the seeded stream' }],
  ['round-robin', { create: roundRobin, summary: 'the next node with room after the previous placement' }],
]);

/** Built-in scheduler names with a one-line summary each. */
export function builtinSchedulers(): { name: string; summary: string }[] {
  return [...BUILTIN].map(([name, e]) => ({ name, summary: e.summary }));
}

/** A scheduler given on the command line is a module when it looks like a path. */
export function isModulePath(spec: string): boolean {
  return /[\\/]/.test(spec) || /\.(m|c)?[jt]s$/.test(spec);
}

/** A fresh scheduler for one run: a built-in by name, or a user's module by path. */
export async function createScheduler(spec: string, options: SchedulerOptions = {}, cwd = process.cwd()): Promise<Scheduler> {
  if (isModulePath(spec)) return loadSchedulerModule(isAbsolute(spec) ? spec : resolve(cwd, spec), options);
  const entry = BUILTIN.get(spec);
  if (!entry) {
    throw new InputError({ field: '--scheduler' },
      `unknown scheduler ${JSON.stringify(spec)}; expected one of ${[...BUILTIN.keys()].join(', ')}, or a path to a module such as ./my-policy.ts`);
  }
  const keys = Object.keys(options);
  if (keys.length > 0) throw new InputError({ field: '--scheduler' }, `${spec} takes no options; got ${keys.join(', ')}`);
  return entry.create();
}

/**
 * Loads a policy module. It may export, as `default` or as `scheduler`, either a factory
 * `(options) => Scheduler` (preferred: each run gets a fresh one) or a Scheduler object.
 */
async function loadSchedulerModule(path: string, options: SchedulerOptions): Promise<Scheduler> {
  if (!existsSync(path)) throw new InputError({ file: path }, 'no such scheduler module');
  // From the bundle, TypeScript is loaded only for policies that need it.
  if (/\.[cm]?ts$/.test(path)) await import(new URL('../bin/typescript.js', import.meta.url).href);
  let mod: Record<string, unknown>;
  try {
    mod = namespaceOf((await import(pathToFileURL(path).href)) as Record<string, unknown>);
  } catch (err) {
    throw new InputError({ file: path }, `could not load the scheduler module: ${(err as Error).message.split('\n')[0]}`);
  }
  const exported = mod.default ?? mod.scheduler;
  let candidate: unknown = exported;
  if (typeof exported !== 'function' && Object.keys(options).length > 0) {
    throw new InputError({ file: path }, 'this module exports a scheduler object, which takes no options; export a factory `(options) => Scheduler` to accept them');
  }
  if (typeof exported === 'function') {
    try {
      candidate = (exported as SchedulerFactory)(options);
    } catch (err) {
      throw new InputError({ file: path }, `the scheduler factory failed: ${(err as Error).message}`);
    }
  }
  if (!isScheduler(candidate)) {
    throw new InputError({ file: path },
      'expected the module to export (as default, or as `scheduler`) a scheduler, an object with a string `name` and a ' +
      `\`decide\` method, or a factory returning one; its exports are: ${Object.keys(mod).filter((k) => k !== '__esModule').join(', ') || 'none'}`);
  }
  return candidate;
}

/** A TypeScript file outside an ESM package loads as CommonJS: its exports arrive as `default`. */
function namespaceOf(mod: Record<string, unknown>): Record<string, unknown> {
  const inner = mod.default as Record<string, unknown> | undefined;
  return inner && typeof inner === 'object' && inner.__esModule === true ? inner : mod;
}

function isScheduler(value: unknown): value is Scheduler {
  return typeof value === 'object' && value !== null &&
    typeof (value as Scheduler).name === 'string' && typeof (value as Scheduler).decide === 'function';
}
