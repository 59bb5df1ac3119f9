// The cluster file (YAML or JSON). Nodes keep file order; a group with `count: 1` and a `name`
// is one node of that name, otherwise its nodes are `<name>-0 … <name>-(count-1)` (default
// name `node`).
//
//   nodes:
//     - name: small
//       count: 200
//       cpu: 16          # cores
//       memory: 64       # GiB
//       gpu: 0           # devices
//       labels: {zone: a, gen: v2}
//       taints:          # optional: only tasks that tolerate a NoSchedule taint are placed here;
//         - {key: dedicated, value: gpu, effect: NoSchedule}   # PreferNoSchedule only lowers k8s-* scores
//       price: 0.8       # optional: cost per node-hour (any currency), for the summary's cost

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { TAINT_EFFECTS, type Taint, type TaintEffect } from '../traces/record.ts';
import { InputError, quote } from './errors.ts';
import { MIB_PER_GIB, MILLI_PER_CORE, MILLI_PER_GPU, capacityToBase } from './units.ts';
import { YamlInput } from './yaml-input.ts';

/** One node, capacities in base units (millicores, MiB, milli-GPUs). */
export interface NodeSpec {
  readonly name: string;
  readonly cpu: number;
  readonly memory: number;
  readonly gpu: number;
  readonly labels: Readonly<Record<string, string>>;
  /** Taints (none when absent). */
  readonly taints?: readonly Taint[];
  /** At the start of a run (default up): a machine table may add a node later. */
  readonly status?: 'up' | 'absent';
  /** Cost per node-hour (any currency), when the cluster file gives one. */
  readonly price?: number;
}

/** One group as a user writes it, in file units. */
export interface NodeGroup {
  readonly name?: string;
  readonly count?: number;
  readonly cpu: number;
  readonly memory: number;
  readonly gpu?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly Taint[];
  /** Cost per node-hour (any currency). */
  readonly price?: number;
}

const GROUP_FIELDS = ['name', 'count', 'cpu', 'memory', 'gpu', 'labels', 'taints', 'price'] as const;
const TAINT_FIELDS = ['key', 'value', 'effect'] as const;
/** A taint's key and value, as Kubernetes writes them (a key may have a `prefix/`; a value may be empty). */
const TAINT_KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
const TAINT_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const TOP_FIELDS = ['nodes', 'name', 'description'] as const;
/** More nodes than any real cell; beyond it a count is almost surely a typo. */
const MAX_NODES = 10_000_000;

/** Parses and validates a cluster file's text. */
export function parseClusterFile(text: string, file: string): NodeSpec[] {
  const input = YamlInput.parse(text, file);
  if (input.value === null || input.value === undefined) throw input.error([], 'the file is empty: expected `nodes:` and a list of node groups');
  const top = input.object([], input.value, TOP_FIELDS);
  if (top.nodes === undefined) throw input.error(['nodes'], 'missing: expected a list of node groups');
  const groups = input.array(['nodes'], top.nodes, 'node groups').map((raw, i) => readGroup(input, i, raw));
  return expandGroups(groups, (i, problem) => input.error(['nodes', i], problem));
}

function readGroup(input: YamlInput, i: number, raw: unknown): NodeGroup {
  const at = (field: string) => ['nodes', i, field];
  const g = input.object(['nodes', i], raw, GROUP_FIELDS);
  for (const field of ['cpu', 'memory'] as const) {
    if (g[field] === undefined) throw input.error(at(field), `missing: every node group needs ${field} (${field === 'cpu' ? 'cores' : 'GiB'})`);
  }
  return {
    ...(g.name !== undefined && { name: input.string(at('name'), g.name) }),
    ...(g.count !== undefined && { count: input.number(at('count'), g.count, { min: 0, integer: true }) }),
    cpu: input.number(at('cpu'), g.cpu, { min: 0, unit: 'cores' }),
    memory: input.number(at('memory'), g.memory, { min: 0, unit: 'GiB' }),
    ...(g.gpu !== undefined && { gpu: input.number(at('gpu'), g.gpu, { min: 0, unit: 'GPUs' }) }),
    ...(g.labels !== undefined && { labels: input.stringMap(at('labels'), g.labels) }),
    ...(g.taints !== undefined && { taints: readTaints(input, at('taints'), g.taints) }),
    ...(g.price !== undefined && { price: input.number(at('price'), g.price, { min: 0, unit: 'per node-hour' }) }),
  };
}

function readTaints(input: YamlInput, at: (string | number)[], value: unknown): Taint[] {
  return input.array(at, value, 'taints such as {key: dedicated, value: gpu, effect: NoSchedule}').map((raw, k) => {
    const path = [...at, k];
    const t = input.object(path, raw, TAINT_FIELDS);
    if (t.key === undefined) throw input.error([...path, 'key'], 'missing: every taint needs a key');
    const key = input.string([...path, 'key'], t.key);
    if (!TAINT_KEY.test(key)) {
      throw input.error([...path, 'key'], `expected a key of letters, digits and - _ . /, starting and ending with a letter or digit; got ${quote(key)}`);
    }
    if (typeof t.value === 'object' && t.value !== null) throw input.error([...path, 'value'], `expected a string; got ${quote(t.value)}`);
    const value = t.value === undefined || t.value === null ? '' : String(t.value);
    if (!TAINT_VALUE.test(value)) {
      throw input.error([...path, 'value'], `expected letters, digits and - _ ., starting and ending with a letter or digit, or nothing; got ${quote(value)}`);
    }
    if (t.effect === undefined) throw input.error([...path, 'effect'], `missing: expected ${TAINT_EFFECTS.join(' or ')}`);
    if (!TAINT_EFFECTS.includes(t.effect as TaintEffect)) {
      const why = t.effect === 'NoExecute' ? ' (NoExecute is not modelled: berth evicts no running task for a taint)' : '';
      throw input.error([...path, 'effect'], `expected ${TAINT_EFFECTS.join(' or ')}; got ${quote(t.effect)}${why}`);
    }
    return { key, value, effect: t.effect as TaintEffect };
  });
}

/** Expands groups into nodes in file order, checking names and totals. */
export function expandGroups(
  groups: readonly NodeGroup[],
  fail: (group: number, problem: string) => Error = (i, p) => new InputError({ field: `nodes[${i}]` }, p),
): NodeSpec[] {
  const nodes: NodeSpec[] = [];
  const owner = new Map<string, number>();
  groups.forEach((g, i) => {
    const count = g.count ?? 1;
    if (nodes.length + count > MAX_NODES) throw fail(i, `the cluster would have more than ${MAX_NODES} nodes`);
    const base = g.name ?? 'node';
    const labels = Object.freeze({ ...g.labels });
    const taints = g.taints && g.taints.length > 0 ? Object.freeze([...g.taints]) : undefined;
    const cpu = capacityToBase(g.cpu, MILLI_PER_CORE);
    const memory = capacityToBase(g.memory, MIB_PER_GIB);
    const gpu = capacityToBase(g.gpu ?? 0, MILLI_PER_GPU);
    for (let k = 0; k < count; k++) {
      const name = count === 1 && g.name !== undefined ? base : `${base}-${k}`;
      const other = owner.get(name);
      if (other !== undefined) {
        throw fail(i, `node name ${JSON.stringify(name)} is also produced by nodes[${other}]; give the groups different names`);
      }
      owner.set(name, i);
      nodes.push({ name, cpu, memory, gpu, labels, ...(taints && { taints }), ...(g.price !== undefined && { price: g.price }) });
    }
  });
  if (nodes.length === 0) throw fail(0, 'the cluster has no nodes (every count is 0)');
  return nodes;
}

export interface LoadedCluster {
  readonly nodes: NodeSpec[];
  readonly sha256: string;
}

export async function loadClusterFile(path: string): Promise<LoadedCluster> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError({ file: path }, `cannot read the cluster file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return { nodes: parseClusterFile(text, path), sha256: createHash('sha256').update(text).digest('hex') };
}
