// Every built-in policy on every trace format: each replays the format's fixture (and the real
// sample of ../shared/traces, where there is one) to the end, without a refused placement, or
// says clearly what the trace lacks. easy-backfill is the one policy that needs something not
// every format carries (run-time estimates): without them it stops with an error naming the
// option that supplies a default, and with that option it runs.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinSchedulers } from '../schedulers/registry.ts';
import { InputError } from '../sim/errors.ts';
import { runSimulation, type ClusterSpec, type RunSpec } from '../sim/run.ts';
import type { TraceFormat } from '../traces/formats/index.ts';
import { PROJECT, SHARED } from './peer-support.ts';

const F = join(PROJECT, 'test', 'fixtures');
const SAMPLES = join(SHARED, 'traces');
const smallCell: ClusterSpec = { files: [join(F, 'sweep', 'cluster.yaml')], format: 'berth' };

interface Case {
  readonly name: string;
  readonly format: TraceFormat;
  readonly files: readonly string[];
  readonly cluster: ClusterSpec;
  /** Does every task carry a run-time estimate? */
  readonly estimates: boolean;
}

const FIXTURES: readonly Case[] = [
  { name: 'berth (native CSV)', format: 'berth', files: [join(F, 'sweep', 'tasks.csv')], cluster: smallCell, estimates: false },
  {
    name: 'google2011', format: 'google2011', files: [join(F, 'google2011', 'task_events'), join(F, 'google2011', 'task_constraints')],
    cluster: { files: [join(F, 'google2011', 'machine_events'), join(F, 'google2011', 'machine_attributes')], format: 'google2011' }, estimates: false,
  },
  {
    name: 'google2019', format: 'google2019', files: [join(F, 'google2019', 'instance_events.json')],
    cluster: { files: [join(F, 'google2019', 'machine_events.json')], format: 'google2019' }, estimates: false,
  },
  {
    name: 'alibaba2018', format: 'alibaba2018',
    files: ['batch_task.csv', 'batch_instance.csv', 'container_meta.csv'].map((f) => join(F, 'alibaba2018', f)),
    cluster: { files: [join(F, 'alibaba2018', 'machine_meta.csv')], format: 'alibaba2018' }, estimates: false,
  },
  { name: 'openb', format: 'openb', files: [join(F, 'openb', 'pods.csv')], cluster: { files: [join(F, 'openb', 'nodes.csv')], format: 'openb' }, estimates: false },
  { name: 'azure2017', format: 'azure2017', files: [join(F, 'azure', 'vmtable-2017.csv')], cluster: smallCell, estimates: false },
  { name: 'azure2019', format: 'azure2019', files: [join(F, 'azure', 'vmtable-2019.csv')], cluster: smallCell, estimates: false },
  { name: 'swf', format: 'swf', files: [join(F, 'swf', 'small.swf')], cluster: { fromTrace: true }, estimates: true },
];

const OPENB = join(SAMPLES, 'alibaba-gpu-v2023');
/** The first `lines` lines of a file of the openb sample, written to `dir`. */
function openbHead(dir: string, file: string, lines: number): string {
  const to = join(dir, file);
  writeFileSync(to, `${readFileSync(join(OPENB, file), 'utf8').split('\n').slice(0, lines).join('\n')}\n`);
  return to;
}

/**
 * Real samples, when ../shared/traces has them: the first 2,000 of the 8,152 openb pods (all
 * of them take 14 s under tetris, which scores every node for every task) on all 1,213 GPU
 * nodes, and the whole KTH-SP2 log. The head of Google 2011's task table is left out: none of
 * its 1,015 tasks ends within it, so it replays none.
 */
const REAL_FILES = [join(OPENB, 'openb_pod_list_default.csv'), join(OPENB, 'openb_node_list_gpu_node.csv'), join(SAMPLES, 'swf', 'KTH-SP2-1996-2.1-cln.swf.gz')];
const missing = REAL_FILES.filter((f) => !existsSync(f));
const heads = mkdtempSync(join(tmpdir(), 'berth-formats-'));
afterAll(() => rmSync(heads, { recursive: true, force: true }));
const REAL: readonly Case[] = missing.length > 0 ? [] : [
  {
    name: 'openb, the first 2,000 real pods on the GPU nodes', format: 'openb', files: [openbHead(heads, 'openb_pod_list_default.csv', 2001)],
    cluster: { files: [join(OPENB, 'openb_node_list_gpu_node.csv')], format: 'openb' }, estimates: false,
  },
  { name: 'swf, the real KTH-SP2 log', format: 'swf', files: [join(SAMPLES, 'swf', 'KTH-SP2-1996-2.1-cln.swf.gz')], cluster: { fromTrace: true }, estimates: true },
];

const spec = (c: Case, scheduler: string, schedulerOptions?: Record<string, string | number>): RunSpec => ({
  cluster: c.cluster, workload: { files: c.files, format: c.format }, scheduler, seed: 1, queue: 'greedy',
  ...(schedulerOptions && { schedulerOptions }),
});

async function expectRunsThrough(c: Case, scheduler: string, options?: Record<string, string | number>): Promise<void> {
  const s = await runSimulation(spec(c, scheduler, options));
  expect(s.tasks.submitted, `${scheduler} on ${c.name}`).toBeGreaterThan(0);
  expect(s.tasks.started, `${scheduler} on ${c.name}`).toBeGreaterThan(0);
  expect(s.conflicts, `${scheduler} on ${c.name}`).toEqual({ notPending: 0, noRoom: 0, badVictims: 0, unsupported: 0 });
  // Every task submitted is accounted for at the end: completed, still pending or blocked, or unschedulable.
  expect(s.tasks.completed + s.tasks.pending + s.tasks.blocked + s.tasks.unschedulable + s.tasks.running, `${scheduler} on ${c.name}`).toBe(s.tasks.submitted);
}

function suite(cases: readonly Case[]): void {
  for (const c of cases) {
    describe(c.name, () => {
      for (const { name } of builtinSchedulers()) {
        if (name === 'easy-backfill' && !c.estimates) {
          // It asks for an estimate only when a head of the queue blocks: then the run stops,
          // saying what is missing and which option supplies it. With the option it runs.
          it(`${name}: stops, saying the trace has no run-time estimates, or never needs one; runs with missingEstimate=600`, async () => {
            const outcome = await runSimulation(spec(c, name)).then(() => undefined, (err: unknown) => err);
            if (outcome !== undefined) {
              expect(outcome).toBeInstanceOf(InputError);
              expect((outcome as Error).message).toMatch(/needs run-time estimates.*missingEstimate=SECONDS/s);
            }
            await expectRunsThrough(c, name, { missingEstimate: 600 });
          });
        } else {
          it(`${name}: replays it to the end`, async () => expectRunsThrough(c, name));
        }
      }
    });
  }
}

describe('every policy on every trace format (fixtures)', () => suite(FIXTURES));

const skipped = missing.length > 0 ? ` (skipped: ${missing.length} sample files of ../shared/traces are missing, e.g. ${missing[0]})` : '';
describe.skipIf(missing.length > 0)(`every policy on the real samples${skipped}`, () => {
  suite(REAL);

  it(`easy-backfill stops on the first 1,000 openb pods crowded onto 10 of their nodes (a head blocks), and runs with missingEstimate=600`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-formats-'));
    try {
      const crowded: Case = {
        name: 'openb, crowded', format: 'openb', files: [openbHead(dir, 'openb_pod_list_default.csv', 1001)],
        cluster: { files: [openbHead(dir, 'openb_node_list_gpu_node.csv', 11)], format: 'openb' }, estimates: false,
      };
      const refused = runSimulation(spec(crowded, 'easy-backfill'));
      await expect(refused).rejects.toThrow(InputError);
      await expect(refused).rejects.toThrow(/easy-backfill needs run-time estimates .*task openb-pod-\d+ has none.*missingEstimate=SECONDS/s);
      await expectRunsThrough(crowded, 'easy-backfill', { missingEstimate: 600 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
