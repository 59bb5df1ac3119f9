// The application spec, app.yaml: what should run. Services keep `replicas` containers running;
// jobs run `count` tasks to completion (a task that exits 0 is done).
//
//   name: shop                       # the app: container names and the ownership label
//   services:
//     - name: web
//       image: berth-busybox:latest  # must be on the hosts (berth does not pull)
//       command: [sleep, "86400"]    # a list, or a string run with sh -c
//       env: {MODE: prod}
//       replicas: 6
//       resources: {cpu: 0.5, memory: 64MiB}   # cores (or "500m"); GiB, or a string in MiB/GiB
//       constraints: ["zone == a"]   # on host labels: == != < <= > >= in exists missing
//       maxPerHost: 2                # at most this many replicas on one host (spread)
//       antiAffinity: true           # shorthand for maxPerHost: 1
//       health: {command: "test -f /tmp/ready", interval: 5, timeout: 2, retries: 3, startPeriod: 0}
//   jobs:
//     - {name: report, image: berth-busybox:latest, command: "echo done", count: 3, resources: {cpu: 0.1, memory: 16MiB}}

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InputError, quote } from '../sim/errors.ts';
import { YamlInput, type Path } from '../sim/yaml-input.ts';
import type { Constraint } from '../traces/record.ts';

export interface HealthSpec {
  readonly test: readonly string[];
  /** Seconds. */
  readonly interval: number;
  readonly timeout: number;
  readonly retries: number;
  readonly startPeriod: number;
}

/** A service or a job: `count` slots, each one container. */
export interface Workload {
  readonly kind: 'service' | 'job';
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly count: number;
  /** Millicores. */
  readonly cpu: number;
  /** MiB. */
  readonly memory: number;
  readonly constraints: readonly Constraint[];
  /** At most this many of its containers on one host. */
  readonly maxPerHost?: number;
  readonly health?: HealthSpec;
  /** Hash of what makes a container of this workload (image, command, env, resources, health). */
  readonly hash: string;
  /** Where it is in the file, for errors about it. */
  readonly field: string;
}

export interface AppSpec {
  readonly name: string;
  readonly file: string;
  /** Services first, then jobs, in file order: the order replicas are queued in. */
  readonly workloads: readonly Workload[];
}

const TOP = ['name', 'services', 'jobs'] as const;
const COMMON = ['name', 'image', 'command', 'env', 'resources', 'constraints'] as const;
const SERVICE = [...COMMON, 'replicas', 'maxPerHost', 'antiAffinity', 'health'] as const;
const JOB = [...COMMON, 'count', 'maxPerHost'] as const;
const HEALTH = ['command', 'interval', 'timeout', 'retries', 'startPeriod'] as const;
/** Docker's own bounds: NanoCpus of at least 0.01 CPU, memory of at least 6 MB. */
export const MIN_CPU_MILLI = 10;
export const MIN_MEMORY_MIB = 6;
const APP_NAME = /^[a-z0-9][a-z0-9_.-]*$/;
const OPS = ['==', '!=', '<=', '>=', '<', '>', 'in', 'exists', 'missing'] as const;

export function parseSpecFile(text: string, file: string): AppSpec {
  const input = YamlInput.parse(text, file);
  if (input.value === null || input.value === undefined) throw input.error([], 'the file is empty: expected `name:`, and `services:` or `jobs:`');
  const top = input.object([], input.value, TOP);
  if (top.name === undefined) throw input.error(['name'], 'missing: the app needs a name (it names the containers and labels them)');
  const name = input.string(['name'], top.name);
  if (!APP_NAME.test(name)) throw input.error(['name'], `expected lower-case letters, digits, '_', '.' or '-' (not first); got ${quote(name)}`);
  if (top.services === undefined && top.jobs === undefined) throw input.error([], 'expected `services:` or `jobs:` (or both)');
  const workloads: Workload[] = [];
  for (const kind of ['service', 'job'] as const) {
    const key = kind === 'service' ? 'services' : 'jobs';
    if (top[key] === undefined) continue;
    input.array([key], top[key], key).forEach((raw, i) => workloads.push(readWorkload(input, kind, [key, i], raw)));
  }
  const seen = new Map<string, string>();
  for (const w of workloads) {
    const other = seen.get(w.name);
    if (other !== undefined) throw new InputError({ file, field: `${w.field}.name` }, `${quote(w.name)} is also the name of ${other}; services and jobs need different names`);
    seen.set(w.name, w.field);
  }
  return { name, file, workloads };
}

function readWorkload(input: YamlInput, kind: 'service' | 'job', at: Path, raw: unknown): Workload {
  const p = (...rest: (string | number)[]) => [...at, ...rest];
  const o = input.object(at, raw, kind === 'service' ? SERVICE : JOB);
  for (const k of ['name', 'image', 'resources'] as const) {
    if (o[k] === undefined) throw input.error(p(k), `missing: every ${kind} needs ${k === 'resources' ? 'resources {cpu, memory}' : `a ${k}`}`);
  }
  const name = input.string(p('name'), o.name);
  if (!APP_NAME.test(name)) throw input.error(p('name'), `expected lower-case letters, digits, '_', '.' or '-' (not first); got ${quote(name)}`);
  const image = input.string(p('image'), o.image);
  const countKey = kind === 'service' ? 'replicas' : 'count';
  const count = o[countKey] === undefined ? 1 : input.number(p(countKey), o[countKey], { min: 0, integer: true });
  const res = input.object(p('resources'), o.resources, ['cpu', 'memory']);
  if (res.cpu === undefined) throw input.error(p('resources', 'cpu'), 'missing: cores, such as 0.5 or "500m"');
  if (res.memory === undefined) throw input.error(p('resources', 'memory'), 'missing: GiB, or a string such as "64MiB" or "1GiB"');
  const cpu = readCpu(input, p('resources', 'cpu'), res.cpu);
  const memory = readMemory(input, p('resources', 'memory'), res.memory);
  const command = o.command === undefined ? undefined : readCommand(input, p('command'), o.command);
  const env = o.env === undefined ? {} : input.stringMap(p('env'), o.env);
  const constraints = o.constraints === undefined ? [] : readConstraints(input, p('constraints'), o.constraints);
  let maxPerHost = o.maxPerHost === undefined ? undefined : input.number(p('maxPerHost'), o.maxPerHost, { min: 1, integer: true });
  if (o.antiAffinity !== undefined) {
    if (typeof o.antiAffinity !== 'boolean') throw input.error(p('antiAffinity'), `expected true or false; got ${quote(o.antiAffinity)}`);
    if (o.antiAffinity && maxPerHost !== undefined && maxPerHost !== 1) throw input.error(p('antiAffinity'), 'contradicts maxPerHost: anti-affinity means at most one replica per host');
    if (o.antiAffinity) maxPerHost = 1;
  }
  const health = o.health === undefined ? undefined : readHealth(input, p('health'), o.health);
  const hash = createHash('sha256').update(JSON.stringify({ image, command, env, cpu, memory, health })).digest('hex').slice(0, 12);
  return {
    kind, name, image, ...(command && { command }), env, count, cpu, memory, constraints,
    ...(maxPerHost !== undefined && { maxPerHost }), ...(health && { health }), hash, field: `${at[0]}[${at[1]}]`,
  };
}

function readCpu(input: YamlInput, at: Path, value: unknown): number {
  let milli: number;
  if (typeof value === 'string' && /^\d+(\.\d+)?m$/.test(value.trim())) milli = Number(value.trim().slice(0, -1));
  else if (typeof value === 'number' && Number.isFinite(value)) milli = value * 1000;
  else throw input.error(at, `expected cores, such as 0.5, or millicores such as "500m"; got ${quote(value)}`);
  milli = Math.round(milli);
  if (milli < MIN_CPU_MILLI) throw input.error(at, `expected at least 0.01 cores (Docker's smallest CPU limit); got ${quote(value)}`);
  return milli;
}

function readMemory(input: YamlInput, at: Path, value: unknown): number {
  let mib: number;
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)\s*(MiB|Mi|M|GiB|Gi|G)$/.exec(value.trim()) : null;
  if (m) mib = Number(m[1]) * (m[2]!.startsWith('G') ? 1024 : 1);
  else if (typeof value === 'number' && Number.isFinite(value)) mib = value * 1024;
  else throw input.error(at, `expected GiB, such as 0.5, or a string such as "64MiB" or "1GiB"; got ${quote(value)}`);
  mib = Math.round(mib);
  if (mib < MIN_MEMORY_MIB) throw input.error(at, `expected at least 6 MiB (Docker's smallest memory limit); got ${quote(value)}`);
  return mib;
}

function readCommand(input: YamlInput, at: Path, value: unknown): string[] {
  if (typeof value === 'string' && value.trim() !== '') return ['sh', '-c', value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.map(String);
  throw input.error(at, `expected a list of arguments, or a string run with sh -c; got ${quote(value)}`);
}

function readConstraints(input: YamlInput, at: Path, value: unknown): Constraint[] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(input.stringMap(at, value)).map(([label, v]) => ({ label, op: '==', value: v }));
  }
  return input.array(at, value, 'constraints such as "zone == a"').map((c, i) => {
    const text = typeof c === 'string' ? c.trim() : '';
    const m = /^([^\s=!<>]+)\s*(==|!=|<=|>=|<|>|\s+in\s+|\s+exists$|\s+missing$)\s*(.*)$/.exec(text);
    const op = m?.[2]?.trim() as (typeof OPS)[number] | undefined;
    if (!m || !op || !OPS.includes(op) || ((op !== 'exists' && op !== 'missing') && m[3] === '')) {
      throw input.error([...at, i], `expected "label OP value" with OP one of == != < <= > >= in, or "label exists" / "label missing"; got ${quote(c)}`);
    }
    const v = m[3]!.trim();
    if (op === 'in') return { label: m[1]!, op, value: v, values: v.split(',').map((s) => s.trim()).filter(Boolean) };
    return { label: m[1]!, op, value: v };
  });
}

function readHealth(input: YamlInput, at: Path, value: unknown): HealthSpec {
  const h = input.object(at, value, HEALTH);
  if (h.command === undefined) throw input.error([...at, 'command'], 'missing: the check to run in the container (exit 0 means healthy)');
  const test = typeof h.command === 'string' ? ['CMD-SHELL', input.string([...at, 'command'], h.command)] : ['CMD', ...readCommand(input, [...at, 'command'], h.command)];
  const seconds = (k: 'interval' | 'timeout' | 'startPeriod', dflt: number) =>
    (h[k] === undefined ? dflt : input.number([...at, k], h[k], { min: 0.001, unit: 'seconds' }));
  return {
    test, interval: seconds('interval', 5), timeout: seconds('timeout', 2),
    retries: h.retries === undefined ? 3 : input.number([...at, 'retries'], h.retries, { min: 1, integer: true }),
    startPeriod: h.startPeriod === undefined ? 0 : input.number([...at, 'startPeriod'], h.startPeriod, { min: 0, unit: 'seconds' }),
  };
}

export async function loadSpecFile(path: string): Promise<AppSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError({ file: path }, `cannot read the spec: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseSpecFile(text, path);
}
