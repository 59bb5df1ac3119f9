// Finding the SimPy peer (../shared/peers/simpy_cluster.py) and a Python that can run it, for
// the peer test and the benchmark. Both skip, saying why, when either is missing.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED = process.env.BERTH_SHARED ?? resolve(PROJECT, '../shared');
export const PEER = join(SHARED, 'peers', 'simpy_cluster.py');

/** A Python 3 that imports simpy and yaml (Debian's python3-simpy3 python3-yaml), if any. */
export function findPython(): string | undefined {
  const candidates = [process.env.BERTH_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p);
  return candidates.find((p) => spawnSync(p, ['-c', 'import simpy, yaml'], { stdio: 'ignore' }).status === 0);
}

/** Why the peer cannot run here, or undefined when it can. */
export function peerUnavailable(): string | undefined {
  if (!existsSync(PEER)) return `the peer is not at ${PEER} (set BERTH_SHARED to the shared folder)`;
  if (!findPython()) return 'no Python 3 with SimPy and PyYAML here (apt-get install python3-simpy3 python3-yaml)';
  return undefined;
}
