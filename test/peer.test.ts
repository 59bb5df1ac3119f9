// first-fit against the independent SimPy model of the same policy, placement by placement.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { expandGroups } from '../sim/cluster-file.ts';
import { runSimulation } from '../sim/run.ts';
import { writeNativeCsv } from '../traces/native.ts';
import { productionCell, productionWorkload } from '../traces/synthetic/production.ts';
import { PEER, findPython, peerUnavailable } from './peer-support.ts';

/** Rows of a placements.csv, times in integer µs, sorted. */
function placements(path: string): string[] {
  return readFileSync(path, 'utf8').trim().split('\n').slice(1).map((line) => {
    const [task, node, ...times] = line.split(',');
    return [task, node, ...times.map((t) => Math.round(Number(t) * 1e6))].join(',');
  }).sort();
}

const unavailable = peerUnavailable();

describe.skipIf(unavailable !== undefined)(`first-fit against the SimPy peer${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('makes the same placements, task for task, on a production-like cell under contention', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-peer-'));
    const clusterFile = join(dir, 'cluster.yaml');
    const traceFile = join(dir, 'tasks.csv');
    const groups = productionCell(150);
    writeFileSync(clusterFile, stringify({ nodes: groups }));
    // Without priorities: the peer's queue is submit order only.
    // Load 1.1: queues build up (the peer then takes a few seconds; at 1.2 it takes a minute).
    await writeNativeCsv(productionWorkload({ tasks: 12_000, load: 1.1, seed: 5, nodes: expandGroups(groups) }), traceFile,
      ['id', 'submit', 'duration', 'cpu', 'memory']);

    const peer = spawnSync(findPython()!, [PEER, clusterFile, traceFile, join(dir, 'peer')], { encoding: 'utf8' });
    expect(peer.status, peer.stderr).toBe(0);
    const summary = await runSimulation({
      cluster: { files: [clusterFile], format: 'berth' }, workload: { files: [traceFile], format: 'berth' }, scheduler: 'first-fit', seed: 1, queue: 'greedy',
    }, { out: join(dir, 'berth') });

    const theirs = placements(join(dir, 'peer', 'placements.csv'));
    const ours = placements(join(dir, 'berth', 'placements.csv'));
    expect(ours.length).toBe(12_000);
    expect(summary.wait.p99).toBeGreaterThan(60); // there was contention: tasks waited
    expect(ours).toEqual(theirs);
  });
});
