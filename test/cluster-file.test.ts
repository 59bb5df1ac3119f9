import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadClusterFile } from '../sim/cluster-file.ts';
import { clusterRefusal as failure, parseCluster as parse } from './helpers.ts';

describe('cluster file', () => {
  it('expands groups in file order, naming nodes as the design says, in base units', () => {
    const nodes = parse(`
nodes:
  - name: small
    count: 2
    cpu: 16
    memory: 64
    labels: {zone: a, gen: 2}
  - name: big
    cpu: 32.5
    memory: 0.5
    gpu: 8
  - cpu: 1
    memory: 1
    count: 2
`);
    expect(nodes.map((n) => n.name)).toEqual(['small-0', 'small-1', 'big', 'node-0', 'node-1']);
    expect(nodes[0]).toEqual({ name: 'small-0', cpu: 16000, memory: 65536, gpu: 0, labels: { zone: 'a', gen: '2' } });
    expect(nodes[2]).toMatchObject({ cpu: 32500, memory: 512, gpu: 8000, labels: {} });
  });

  it('reads JSON too', () => {
    expect(parse('{"nodes": [{"name": "a", "cpu": 2, "memory": 4}]}').map((n) => n.name)).toEqual(['a']);
  });

  it('names the field and the line of a group without cpu', () => {
    expect(failure('nodes:\n  - name: a\n    memory: 4\n')).toBe('c.yaml:2: nodes[0].cpu: missing: every node group needs cpu (cores)');
  });

  it('names the field, the line and the value of a non-numeric or negative amount', () => {
    expect(failure('nodes:\n  - cpu: 4\n    memory: lots\n')).toBe('c.yaml:3: nodes[0].memory: expected a number >= 0 (GiB); got "lots"');
    expect(failure('nodes:\n  - cpu: -1\n    memory: 1\n')).toMatch(/^c\.yaml:2: nodes\[0\]\.cpu: expected a number >= 0 \(cores\); got -1$/);
    expect(failure('nodes:\n  - cpu: 1\n    memory: 1\n    count: 1.5\n')).toMatch(/nodes\[0\]\.count: expected a whole number >= 0/);
  });

  it('refuses unknown fields, saying which are allowed', () => {
    expect(failure('nodes:\n  - cpus: 4\n    cpu: 1\n    memory: 1\n')).toMatch(/^c\.yaml:2: nodes\[0\]\.cpus: unknown field; expected one of name, count, cpu, memory, gpu, labels, taints, price$/);
    expect(failure('node: []\n')).toMatch(/unknown field/);
  });

  it('refuses duplicate node names, an empty cluster and broken syntax', () => {
    expect(failure('nodes:\n  - {name: a, cpu: 1, memory: 1}\n  - {name: a, cpu: 1, memory: 1}\n'))
      .toMatch(/nodes\[1\]: node name "a" is also produced by nodes\[0\]/);
    expect(failure('nodes: []\n')).toMatch(/no nodes/);
    expect(failure('nodes:\n  - {cpu: 1, memory: 1\n')).toMatch(/^c\.yaml:\d+: not valid YAML or JSON/);
    expect(failure('')).toBe('c.yaml: the file is empty: expected `nodes:` and a list of node groups');
    expect(failure('name: x\n')).toMatch(/^c\.yaml:1: nodes: missing: expected a list of node groups$/);
    expect(failure('nodes:\n  - {cpu: 1, memory: 1, labels: {a: [1]}}\n')).toMatch(/labels\.a: expected a string, number or boolean/);
  });

  it('loads a file and hashes its bytes, and says when it cannot read it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-'));
    const path = join(dir, 'c.json');
    writeFileSync(path, '{"nodes": [{"cpu": 1, "memory": 1}]}');
    const loaded = await loadClusterFile(path);
    expect(loaded.nodes).toHaveLength(1);
    expect(loaded.sha256).toMatch(/^[0-9a-f]{64}$/);
    await expect(loadClusterFile(join(dir, 'missing.yaml'))).rejects.toThrow(/missing\.yaml: cannot read the cluster file: ENOENT/);
  });
});
