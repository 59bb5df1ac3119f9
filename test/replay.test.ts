// Replaying each trace format, with its machines, in both modes; and the real samples to the end.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSimulation, type RunSpec } from '../sim/run.ts';
import type { Summary } from '../sim/summary.ts';
import { PROJECT, SHARED } from './peer-support.ts';

const F = join(PROJECT, 'test', 'fixtures');
const dir = mkdtempSync(join(tmpdir(), 'berth-replay-'));
const bigCell = join(dir, 'cell.yaml');
writeFileSync(bigCell, 'nodes:\n  - {name: host, count: 4, cpu: 32, memory: 128}\n');

const base = { scheduler: 'first-fit', seed: 1, queue: 'greedy' as const };
const run = (spec: Partial<RunSpec> & Pick<RunSpec, 'cluster' | 'workload'>) => runSimulation({ ...base, ...spec });

/** Every task that arrived ended, or could never fit, or waits on a constraint nothing meets. */
const accounted = (s: Summary) => s.tasks.completed + s.tasks.unschedulable + s.tasks.pending + s.tasks.blocked;

describe('replaying each format', () => {
  it('google2011 with its machines: a machine that leaves has its tasks requeued', async () => {
    const s = await run({
      cluster: { files: [join(F, 'google2011/machine_events'), join(F, 'google2011/machine_attributes')], format: 'google2011' },
      workload: { files: [join(F, 'google2011/task_events'), join(F, 'google2011/task_constraints')], format: 'google2011' },
    });
    expect(s.tasks.submitted).toBe(7);
    expect(s.tasks.evicted).toBeGreaterThan(0); // machine 101 leaves at 800 s with a task on it
    expect(s.tasks.completed).toBe(7);
    expect(s.run.cluster).toMatchObject({ format: 'google2011', nodes: 3, changes: 4 });
    expect(s.run.workload).toMatchObject({ format: 'google2011', rows: 33, leftOut: { 'killed before it ever ran': 1 } });
  });

  it("google2011: a scheduler sees each task's priority and scheduling class", async () => {
    const policy = join(dir, 'classes.js');
    writeFileSync(policy, `export default () => ({
      name: 'classes',
      *decide(pending, cluster) {
        for (const t of pending) {
          globalThis.berthSeen ??= new Map();
          globalThis.berthSeen.set(t.name, [t.priority, t.schedulingClass]);
          const node = cluster.firstFit(t, 0);
          if (node !== undefined) yield { kind: 'place', task: t.id, node };
        }
      },
    });\n`);
    const s = await run({
      scheduler: policy, cluster: { files: [bigCell], format: 'berth' },
      workload: { files: [join(F, 'google2011/task_events')], format: 'google2011' },
    });
    expect(s.tasks.completed).toBe(7);
    const seen = (globalThis as { berthSeen?: Map<string, unknown> }).berthSeen;
    expect(Object.fromEntries(seen!)).toEqual({ '1-0': [9, 0], '2-0': [4, 1], '2-1': [4, 1], '3-0': [2, 0], '4-0': [0, 0], '6-0': [0, 0] });
  });

  it('google2011 as the trace ran it', async () => {
    const s = await run({
      cluster: { files: [join(F, 'google2011/machine_events')], format: 'google2011' },
      workload: { files: [join(F, 'google2011/task_events')], format: 'google2011' }, replay: 'trace',
    });
    expect(s.tasks.started).toBe(9); // every attempt
    expect(s.traceReplay).toEqual({ neverPlaced: 0, unknownNode: 0, overCommits: 0 });
    expect(s.rounds).toBe(0);
    expect(s.wait.max).toBe(10); // task 3-0 waited 10 s in the trace (submit 620, schedule 630)
  });

  it('google2019, alibaba2018 and openb with their machines; azure with a cluster file; swf with its header', async () => {
    const cases: [string, RunSpec['cluster'], RunSpec['workload'], number][] = [
      ['google2019', { files: [join(F, 'google2019/machine_events.json')], format: 'google2019' },
        { files: [join(F, 'google2019/instance_events.json')], format: 'google2019' }, 2],
      ['alibaba2018', { files: [join(F, 'alibaba2018/machine_meta.csv')], format: 'alibaba2018' },
        { files: ['batch_task', 'batch_instance', 'container_meta'].map((t) => join(F, `alibaba2018/${t}.csv`)), format: 'alibaba2018' }, 7],
      ['openb', { files: [join(F, 'openb/nodes.csv')], format: 'openb' }, { files: [join(F, 'openb/pods.csv')], format: 'openb' }, 4],
      ['azure2017', { files: [bigCell], format: 'berth' }, { files: [join(F, 'azure/vmtable-2017.csv')], format: 'azure2017' }, 3],
      ['azure2019', { files: [bigCell], format: 'berth' }, { files: [join(F, 'azure/vmtable-2019.csv')], format: 'azure2019' }, 2],
      ['swf', { fromTrace: true }, { files: [join(F, 'swf/small.swf')], format: 'swf' }, 3],
    ];
    for (const [name, cluster, workload, tasks] of cases) {
      const s = await run({ cluster, workload });
      expect(s.tasks.submitted, name).toBe(tasks);
      expect(accounted(s), name).toBe(tasks);
      expect(s.tasks.completed, name).toBeGreaterThan(0);
    }
  });

  it('honours the DAG: a task starts only after the tasks it depends on finish', async () => {
    const s = await run({
      cluster: { files: [join(F, 'alibaba2018/machine_meta.csv')], format: 'alibaba2018' },
      workload: { files: [join(F, 'alibaba2018/batch_task.csv')], format: 'alibaba2018' }, scheduler: 'binpack',
    });
    expect(s.tasks.completed).toBe(7);
    expect(s.tasks.blocked).toBe(0);
  });

  it('says clearly when a format cannot be replayed as the trace ran it', async () => {
    await expect(run({
      cluster: { files: [join(F, 'openb/nodes.csv')], format: 'openb' }, workload: { files: [join(F, 'openb/pods.csv')], format: 'openb' }, replay: 'trace',
    })).rejects.toThrow(/--replay: trace needs to know where tasks ran: openb pod lists do not say which node ran a pod/);
  });

  it('counts malformed rows it passes over in the summary', async () => {
    const s = await run({ cluster: { files: [bigCell], format: 'berth' }, workload: { files: [join(F, 'bad/vmtable.csv')], format: 'azure2017', skipBadRows: true } });
    expect(s.skippedRows).toBe(1);
    expect(s.tasks.submitted).toBe(2);
  });
});

describe('the command line', () => {
  const berth = (...args: string[]) => spawnSync(process.execPath, [join(PROJECT, 'bin', 'berth.js'), ...args], { cwd: PROJECT, encoding: 'utf8' });

  it('replays a format with its machines, and names a bad row', () => {
    const ok = berth('sim', '--quiet', '--trace', join(F, 'swf/small.swf'), '--format', 'swf', '--replay', 'trace', '--json');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).run.command).toMatch(/--format swf .*--replay trace/);
    const bad = berth('sim', '--quiet', '--cluster', bigCell, '--trace', join(F, 'bad/vmtable.csv'), '--format', 'azure2017');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^berth: .*bad\/vmtable\.csv:2: column 5 \(vmdeleted\): expected seconds; got "x"\n$/);
    const noCluster = berth('sim', '--quiet', '--trace', join(F, 'openb/pods.csv'), '--format', 'openb');
    expect(noCluster.status).toBe(2);
    expect(noCluster.stderr).toMatch(/a openb trace does not describe the machines it ran on/);
  });
});

const samples = join(SHARED, 'traces');
const noSamples = existsSync(samples) ? undefined : `the real samples are not at ${samples}`;

describe.skipIf(noSamples !== undefined)(`real samples to the end${noSamples ? ` (skipped: ${noSamples})` : ''}`, () => {
  for (const scheduler of ['first-fit', 'binpack']) {
    it(`the three SWF logs and the openb pod list replay to completion with ${scheduler}`, async () => {
      for (const log of ['KTH-SP2-1996-2.1-cln', 'LANL-CM5-1994-4.1-cln', 'NASA-iPSC-1993-3.1-cln']) {
        const s = await run({ cluster: { fromTrace: true }, workload: { files: [join(samples, 'swf', `${log}.swf.gz`)], format: 'swf' }, scheduler });
        expect(s.tasks.completed, log).toBe(s.tasks.submitted);
        expect(s.tasks.submitted, log).toBeGreaterThan(18_000);
      }
      const gpu = join(samples, 'alibaba-gpu-v2023');
      const s = await run({
        cluster: { files: [join(gpu, 'openb_node_list_all_node.csv')], format: 'openb' },
        workload: { files: [join(gpu, 'openb_pod_list_default.csv')], format: 'openb' }, scheduler,
      });
      expect(s.tasks.submitted).toBe(8152);
      expect(s.tasks.completed).toBe(8152);
    });
  }
});
