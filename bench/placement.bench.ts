// Placement queries on a production-like cell loaded to about 85 % of its cpu, at 1k and 10k
// nodes: the index's first fit and best fits, the same first fit without the joint cpu-memory
// tests (what the ratio ladder buys), a scan of every node (what the index buys), and best fit
// by the index's branch and bound instead of by shape (what the shapes buy).

import { expandGroups } from '../sim/cluster-file.ts';
import { Cluster } from '../sim/cluster.ts';
import { nodeId, type Resources } from '../schedulers/contract.ts';
import { productionCell, productionWorkload } from '../traces/synthetic/production.ts';
import { measure, type Case, type Row } from './util.ts';

const QUERIES = 1000;

function loaded(nodes: number, index: ConstructorParameters<typeof Cluster>[1]): { cluster: Cluster; requests: Resources[] } {
  const specs = expandGroups(productionCell(nodes));
  const cluster = new Cluster(specs, index);
  const capacity = specs.reduce((a, n) => a + n.cpu, 0);
  const requests: Resources[] = [];
  let used = 0, task = 0;
  for (const r of productionWorkload({ tasks: Infinity, load: 0.9, seed: 1, nodes: specs })) {
    if (used < 0.85 * capacity) {
      const node = cluster.firstFit(r);
      if (node !== undefined) {
        cluster.place(node, task++, r.cpu, r.memory, r.gpu);
        used += r.cpu;
      }
    } else if (requests.push({ cpu: r.cpu, memory: r.memory, gpu: r.gpu }) >= QUERIES) {
      break;
    }
  }
  return { cluster, requests };
}

/** Each call asks about every request once, each time as a new object (the index, not a cache). */
function queries(name: string, requests: Resources[], ask: (r: Resources) => unknown): Case {
  return {
    name,
    fn: () => {
      for (const r of requests) ask({ cpu: r.cpu, memory: r.memory, gpu: r.gpu });
    },
    units: () => requests.length,
  };
}

function scanFirstFit(cluster: Cluster, r: Resources): number {
  for (let i = 0; i < cluster.nodeCount; i++) if (cluster.fits(nodeId(i), r)) return i;
  return -1;
}

export function placementBench(): Promise<Row[]> {
  const cases: Case[] = [];
  for (const n of [1_000, 10_000]) {
    const { cluster, requests } = loaded(n, {});
    const plain = loaded(n, { jointTests: false }).cluster;
    const bound = loaded(n, { maxShapes: 0 }).cluster;
    const k = `${n / 1000}k nodes`;
    cases.push(
      queries(`${k}: first fit`, requests, (r) => cluster.firstFit(r)),
      queries(`${k}: first fit without joint tests`, requests, (r) => plain.firstFit(r)),
      queries(`${k}: first fit by scanning every node`, requests, (r) => scanFirstFit(cluster, r)),
      queries(`${k}: best fit, most allocated`, requests, (r) => cluster.bestFit(r, 'most-allocated')),
      queries(`${k}: best fit, least allocated`, requests, (r) => cluster.bestFit(r, 'least-allocated')),
      queries(`${k}: best fit, most allocated, by branch and bound`, requests, (r) => bound.bestFit(r, 'most-allocated')),
      queries(`${k}: best fit, least allocated, by branch and bound`, requests, (r) => bound.bestFit(r, 'least-allocated')),
    );
  }
  return measure('placement queries (cell loaded to 85 % of its cpu)', 'queries', cases);
}
