// Scheduler names to factories, and the loading of a user's own policy module. Every command
// that takes a scheduler resolves it here, so `--scheduler ./my-policy.ts` works everywhere.

import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '../sim/errors.ts';
import { PROJECT_ROOT } from '../sim/version.ts';
import type { Scheduler, SchedulerFactory, SchedulerOptions } from './contract.ts';
import { easyBackfill } from './policies/backfill.ts';
import { binpack } from './policies/binpack.ts';
import { drf } from './policies/drf.ts';
import { fgd } from './policies/fgd.ts';
import { firstFit } from './policies/first-fit.ts';
import { gang } from './policies/gang.ts';
import { k8sDefault, k8sMostAllocated } from './policies/kubernetes.ts';
import { nomadBinpack, nomadSpread } from './policies/nomad.ts';
import { powerOfTwo } from './policies/power-of-two.ts';
import { random } from './policies/random.ts';
import { roundRobin } from './policies/round-robin.ts';
import { spread } from './policies/spread.ts';
import { swarmBinpack, swarmRandom, swarmSpread } from './policies/swarm.ts';
import { tetris } from './policies/tetris.ts';

interface Entry {
  readonly create: (options: SchedulerOptions) => Scheduler;
  readonly summary: string;
  /** Options it takes (none when absent). */
  readonly options?: readonly string[];
  /** It scores every node for every task (as the scheduler it emulates does): slow on large cells. */
  readonly scansEveryNode?: boolean;
}

const plain = (create: () => Scheduler, summary: string): Entry => ({ create: () => create(), summary });

const BUILTIN: ReadonlyMap<string, Entry> = new Map([
  ['first-fit', plain(firstFit, 'first node in cluster order with room')],
  ['binpack', plain(binpack, 'best fit: the most allocated node with room')],
  ['spread', plain(spread, 'worst fit: the least allocated node with room')],
  ['random', plain(random, 'a node with room, drawn from the seeded stream')],
  ['round-robin', plain(roundRobin, 'the next node with room after the previous placement')],
  ['swarm-binpack', { ...plain(swarmBinpack, 'Docker Swarm classic binpack: integer cpu+memory percentages, fullest first, more containers on ties'), scansEveryNode: true }],
  ['swarm-spread', { ...plain(swarmSpread, 'Docker Swarm classic spread: emptiest first, fewer containers on ties'), scansEveryNode: true }],
  ['swarm-random', plain(swarmRandom, 'Docker Swarm classic random: a random node (with room)')],
  ['nomad-binpack', { create: nomadBinpack, summary: 'Nomad BinPack: 20 - (10^freeCpu + 10^freeMem) over a shuffled, limited set of nodes', options: ['jobType'] }],
  ['nomad-spread', { create: nomadSpread, summary: 'Nomad spread: (10^freeCpu + 10^freeMem) - 2 over a shuffled, limited set of nodes', options: ['jobType'] }],
  ['k8s-default', plain(k8sDefault, 'kube-scheduler defaults: LeastAllocated + BalancedAllocation, share of nodes scored, random ties')],
  ['k8s-most-allocated', plain(k8sMostAllocated, 'kube-scheduler with NodeResourcesFit MostAllocated + BalancedAllocation')],
  ['tetris', { ...plain(tetris, 'Tetris: the node whose free resources align best with the demand (dot product)'), scansEveryNode: true }],
  ['power-of-two', plain(powerOfTwo, 'two random nodes with room, the less allocated wins')],
  ['drf', { create: drf, summary: 'Dominant Resource Fairness: the user (or job) with the lowest dominant share starts its next task, first fit', options: ['by'] }],
  ['easy-backfill', { create: easyBackfill, summary: 'EASY backfilling: queue order; later tasks pass a blocked head only if they cannot delay its reservation (needs run-time estimates)', options: ['missingEstimate'] }],
  ['gang', { create: gang, summary: 'gang scheduling: the tasks of a group start all at once or not at all; other tasks first fit' }],
  ['fgd', { create: fgd, summary: 'Fragmentation Gradient Descent: the node whose expected GPU fragmentation grows least (GPU sharing)' }],
]);

/** Built-in scheduler names with a one-line summary each. */
export function builtinSchedulers(): { name: string; summary: string; scansEveryNode: boolean }[] {
  return [...BUILTIN].map(([name, e]) => ({ name, summary: e.summary, scansEveryNode: e.scansEveryNode === true }));
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
  const unknown = Object.keys(options).filter((k) => !(entry.options ?? []).includes(k));
  if (unknown.length > 0) {
    throw new InputError({ field: '--scheduler' },
      `${spec} ${entry.options ? `takes the options ${entry.options.join(', ')}` : 'takes no options'}; got ${unknown.join(', ')}`);
  }
  try {
    return entry.create(options);
  } catch (err) {
    if (err instanceof RangeError) throw new InputError({ field: '--scheduler' }, err.message);
    throw err;
  }
}

/**
 * Loads a policy module. It may export, as `default` or as `scheduler`, either a factory
 * `(options) => Scheduler` (preferred: each run gets a fresh one) or a Scheduler object.
 */
async function loadSchedulerModule(path: string, options: SchedulerOptions): Promise<Scheduler> {
  if (!existsSync(path)) throw new InputError({ file: path }, 'no such scheduler module');
  // From the bundle, TypeScript is loaded only for policies that need it.
  if (/\.[cm]?ts$/.test(path)) await import(new URL('bin/typescript.js', PROJECT_ROOT).href);
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
