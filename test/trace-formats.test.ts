// Every trace format on fixtures written by hand (test/fixtures), with the records they must
// give, and on the real samples of ../shared/traces, whose row counts their SOURCES files state.

import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMachines, openTrace, type TraceFormat } from '../traces/formats/index.ts';
import { parseTaskName } from '../traces/formats/alibaba2018.ts';
import type { TraceRecord } from '../traces/record.ts';
import { PROJECT, SHARED } from './peer-support.ts';

const F = join(PROJECT, 'test', 'fixtures');
const s = (seconds: number) => seconds * 1_000_000;

async function read(format: TraceFormat, files: string[], replay: 'reschedule' | 'trace' = 'reschedule', skipBadRows = false) {
  const trace = openTrace(format, files.map((f) => (f.startsWith('/') ? f : join(F, f))), { replay, skipBadRows });
  const records: TraceRecord[] = [];
  for await (const batch of trace.source) records.push(...batch);
  return { records, stats: trace.stats };
}

/** The fields that matter for a task, for compact expectations. */
const brief = (r: TraceRecord) => (r.kind === 'task'
  ? [r.id, r.submit / 1e6, r.duration / 1e6, r.cpu, r.memory, r.gpu, ...(r.placed ? [r.placed.node, r.placed.start / 1e6] : [])]
  : [r.kind, r.node, r.change, r.time / 1e6]);

describe('google2011', () => {
  const files = ['google2011/task_events', 'google2011/task_constraints'];

  it('joins task events into tasks: first submit, the run time of the attempt that ends the task', async () => {
    const { records, stats } = await read('google2011', files);
    // 1.0 of cpu is 32 cores and 1.0 of memory 128 GiB by default: 0.125 cpu is 4000 millicores.
    expect(records.map(brief)).toEqual([
      ['1-0', 0, 900, 4000, 8192, 0], // running in the snapshot at time 0
      ['2-0', 600, 90, 8000, 16384, 0],
      ['2-1', 600, 100, 2000, 8192, 0], // evicted at 650: that attempt is not replayed; keeps its first submit
      ['3-0', 620, 10, 2000, 4096, 0], // failed at 640 ...
      ['3-0', 641, 58, 2000, 4096, 0], // ... and submitted again: a new task
      ['4-0', 700, 288, 4000, 8192, 0], // request updated while pending; lost once; still running at the end (1000 s)
      ['6-0', 1000, 0, 2000, 8192, 0],
    ]);
    expect(records[1]).toMatchObject({ priority: 4, schedulingClass: 1, user: 'u2', job: '2', constraints: [{ label: 'arch', op: '==', value: 'x86' }] });
    expect(records[0]).toMatchObject({ priority: 9, schedulingClass: 0 });
    expect(records[3]).toMatchObject({ constraints: [{ label: 'arch', op: '!=', value: 'arm' }] });
    expect(stats.leftOut).toEqual({ 'killed before it ever ran': 1, 'submitted but never scheduled in the trace': 1 });
    expect(stats.rows).toBe(33); // 31 task events (the one at 2^63-1 read and dropped) and 2 constraints
    expect(stats.files.map((f) => f.path.split('/').slice(-2).join('/')).sort()).toEqual([
      'task_constraints/part-00000-of-00001.csv', 'task_events/part-00000-of-00002.csv', 'task_events/part-00001-of-00002.csv.gz',
    ]);
  });

  it('replays every attempt where and when the trace ran it, with --replay trace', async () => {
    const { records } = await read('google2011', ['google2011/task_events'], 'trace');
    expect(records.map(brief)).toEqual([
      ['1-0', 0, 900, 4000, 8192, 0, '101', 0],
      ['2-1', 600, 45, 2000, 8192, 0, '101', 605], // the evicted attempt too
      ['2-0', 600, 90, 8000, 16384, 0, '102', 610],
      ['3-0', 620, 10, 2000, 4096, 0, '103', 630],
      ['3-0', 641, 58, 2000, 4096, 0, '102', 642],
      ['2-1', 651, 100, 2000, 8192, 0, '102', 660], // submitted again at 651
      ['4-0', 700, 8, 4000, 8192, 0, '101', 702],
      ['4-0', 711, 288, 4000, 8192, 0, '102', 712],
      ['6-0', 1000, 0, 2000, 8192, 0, '101', 1000],
    ]);
  });

  it('scales normalised amounts as asked', async () => {
    const trace = openTrace('google2011', [join(F, 'google2011/task_events')], { replay: 'reschedule', skipBadRows: false, scaleCpu: 64, scaleMemory: 256 });
    const first = (await trace.source[Symbol.asyncIterator]().next()).value![0]!;
    expect(first).toMatchObject({ cpu: 8000, memory: 16384 });
  });

  it('builds the machines: attributes as labels, later additions, removals, returns and updates', async () => {
    const m = await loadMachines('google2011', [join(F, 'google2011/machine_events'), join(F, 'google2011/machine_attributes')], {});
    expect(m.nodes).toEqual([
      { name: '101', cpu: 16000, memory: 65536, gpu: 0, status: 'up', labels: { platform: 'p1', arch: 'x86' } },
      { name: '102', cpu: 16000, memory: 32768, gpu: 0, status: 'up', labels: { platform: 'p1', arch: 'x86' } },
      { name: '103', cpu: 32000, memory: 131072, gpu: 0, status: 'absent', labels: { platform: 'p2', arch: 'arm' } },
    ]);
    expect(m.changes.map(brief)).toEqual([
      ['node', '103', 'add', 620], ['node', '101', 'remove', 800], ['node', '101', 'add', 850], ['node', '102', 'update', 900],
    ]);
    expect(m.changes[3]).toMatchObject({ capacity: { cpu: 16000, memory: 65536, gpu: 0 } });
  });
});

describe('google2019', () => {
  it('joins instance events (JSON Lines, int64 as strings) with 2019 codes and relations', async () => {
    const { records, stats } = await read('google2019', ['google2019/instance_events.json']);
    // 1.0 of cpu is 96 cores and of memory 384 GiB by default.
    expect(records.map(brief)).toEqual([['7-0', 0, 700, 12000, 24576, 0], ['8-1', 600, 45, 6000, 12288, 0]]);
    expect(records[0]).toMatchObject({ priority: 200, schedulingClass: 3 });
    expect(records[1]).not.toHaveProperty('schedulingClass'); // the row does not say
    // Collection 9 is an alloc set: a reservation other instances run in, not work of its own.
    expect(stats.leftOut).toEqual({ 'instance of an alloc set (a reservation, not work)': 1 });
    expect(records[1]).toMatchObject({ priority: 100, constraints: [{ label: 'zone', op: '==', value: 'b' }, { label: 'gpu', op: 'missing' }] });
    const m = await loadMachines('google2019', [join(F, 'google2019/machine_events.json')], {});
    expect(m.nodes.map((n) => [n.name, n.cpu, n.memory])).toEqual([['55', 48000, 196608], ['56', 96000, 393216]]);
    expect(m.changes.map(brief)).toEqual([['node', '56', 'update', 640]]);
  });
});

describe('alibaba2018', () => {
  it('reads DAGs from task names', () => {
    expect(parseTaskName('M1')).toEqual({ group: '1', after: [] });
    expect(parseTaskName('M2_1')).toEqual({ group: '2', after: ['1'] });
    expect(parseTaskName('R5_3_4')).toEqual({ group: '5', after: ['3', '4'] });
    expect(parseTaskName('task_Nzg3ODAw==')).toEqual({ group: 'task_Nzg3ODAw==', after: [] });
  });

  it('makes a task of each instance, with its task\'s plan and DAG, and a service of each container', async () => {
    const { records, stats } = await read('alibaba2018', ['alibaba2018/batch_task.csv', 'alibaba2018/batch_instance.csv', 'alibaba2018/container_meta.csv']);
    // plan_cpu 100 = 1 core; plan_mem 0.5 (of 100) of 512 GiB = 2621 MiB.
    expect(records.map(brief)).toEqual([
      ['c_1', 0, 230, 4000, 7864, 0], // containers run to the end of the trace (230 s)
      ['c_2', 50, 180, 2000, 15729, 0],
      ['ins_1', 100, 50, 1000, 2621, 0],
      ['ins_2', 101, 59, 1000, 2621, 0],
      ['ins_5', 120, 20, 1000, 2621, 0],
      ['ins_3', 170, 30, 2000, 5243, 0],
      ['ins_4', 210, 20, 500, 1311, 0],
    ]);
    expect(records[5]).toMatchObject({ job: 'j_1', group: '2', groupSize: 1, after: ['1'] });
    expect(records[6]).toMatchObject({ group: '3', after: ['1', '2'] });
    expect(stats.leftOut).toEqual({ 'instance with no end (still running)': 1, 'instance of a task batch_task does not list': 1 });
  });

  it('without instances, makes instance_num tasks of each batch task', async () => {
    const { records, stats } = await read('alibaba2018', ['alibaba2018/batch_task.csv']);
    expect(records.map((r) => (r.kind === 'task' ? r.id : ''))).toEqual([
      'j_1/M1/0', 'j_1/M1/1', 'j_2/task_Nzg3/0', 'j_2/task_Nzg3/1', 'j_2/task_Nzg3/2', 'j_1/M2_1/0', 'j_1/R3_1_2/0',
    ]);
    expect(stats.leftOut).toEqual({ 'task never started': 1 });
  });

  it('builds the machines: failure domains as labels, status changes as failures and recoveries', async () => {
    const m = await loadMachines('alibaba2018', [join(F, 'alibaba2018/machine_meta.csv')], {});
    expect(m.nodes.map((n) => [n.name, n.cpu, n.memory, n.status, n.labels['failure-domain-1']])).toEqual([
      ['m_1', 96000, 524288, 'up', '1'], ['m_2', 96000, 524288, 'up', '2'], ['m_3', 64000, 262144, 'absent', '2'],
    ]);
    expect(m.changes.map(brief)).toEqual([
      ['node', 'm_2', 'fail', 150], ['node', 'm_3', 'add', 180], ['node', 'm_2', 'recover', 190], ['node', 'm_1', 'update', 200],
    ]);
  });
});

describe('openb', () => {
  it('reads pods with whole and shared GPUs and GPU-model constraints, and the node list', async () => {
    const { records } = await read('openb', ['openb/pods.csv']);
    expect(records.map(brief)).toEqual([
      ['pod-0', 0, 500, 12000, 16384, 1000],
      ['pod-1', 10, 180, 6000, 12288, 460], // a share of one GPU
      ['pod-2', 30, 70, 4000, 8192, 0], // never scheduled: lasts from its creation
      ['pod-3', 40, 955, 88000, 65536, 8000],
    ]);
    expect(records[3]).toMatchObject({ constraints: [{ label: 'gpu-model', op: 'in', values: ['V100M16', 'V100M32'] }] });
    const m = await loadMachines('openb', [join(F, 'openb/nodes.csv')], {});
    expect(m.nodes).toEqual([
      { name: 'node-0', cpu: 96000, memory: 786432, gpu: 8000, labels: { 'gpu-model': 'V100M32' } },
      { name: 'node-1', cpu: 64000, memory: 262144, gpu: 2000, labels: { 'gpu-model': 'P100' } },
      { name: 'node-2', cpu: 32000, memory: 131072, gpu: 0, labels: {} },
    ]);
  });
});

describe('azure', () => {
  it('reads 2017 VMs (exact sizes) and 2019 VMs (buckets, >24 and >64 as 30 and 70)', async () => {
    expect((await read('azure2017', ['azure/vmtable-2017.csv'])).records.map(brief)).toEqual([
      ['vm1', 0, 3600, 2000, 3584, 0], ['vm2', 300, 300, 8000, 57344, 0], ['vm3', 600, 600, 1000, 768, 0],
    ]);
    expect((await read('azure2019', ['azure/vmtable-2019.csv'])).records.map(brief)).toEqual([
      ['vm1', 0, 3600, 4000, 8192, 0], ['vm2', 300, 300, 30000, 71680, 0],
    ]);
  });
});

describe('swf', () => {
  it('reads jobs as processors, with their estimates, leaving out jobs without run time or processors', async () => {
    const { records, stats } = await read('swf', ['swf/small.swf']);
    expect(records.map(brief)).toEqual([['1', 0, 100, 4000, 0, 0], ['2', 5, 50, 8000, 0, 0], ['5', 40, 30, 16000, 0, 0]]);
    expect(records[0]).toMatchObject({ estimate: s(200), user: '3' });
    expect(stats.leftOut).toEqual({ 'no run time (cancelled before it started)': 1, 'no processor count': 1 });
    const trace = await read('swf', ['swf/small.swf'], 'trace');
    expect(trace.records.map((r) => (r.kind === 'task' ? r.placed : undefined))).toEqual([
      { node: 'pool', start: s(10) }, { node: 'pool', start: s(5) }, { node: 'pool', start: s(40) },
    ]);
  });
});

describe('bad rows and files', () => {
  it('stops at a malformed row with the file, line and field, or counts it with --skip-bad-rows', async () => {
    await expect(read('azure2017', ['bad/vmtable.csv'])).rejects.toThrow(/bad\/vmtable\.csv:2: column 5 \(vmdeleted\): expected seconds; got "x"/);
    const { records, stats } = await read('azure2017', ['bad/vmtable.csv'], 'reschedule', true);
    expect(records).toHaveLength(2);
    expect(stats.skippedRows).toBe(1);
  });

  it('refuses a truncated gzip instead of replaying it short', async () => {
    await expect(read('swf', ['bad/truncated.swf.gz'])).rejects.toThrow(/truncated\.swf\.gz: the gzip data ends early: the file is truncated/);
  });

  it('names the column of a scheduling class out of 0-3', async () => {
    const d = mkdtempSync(join(tmpdir(), 'berth-class-'));
    mkdirSync(join(d, 'task_events'));
    writeFileSync(join(d, 'task_events', 'part-00000-of-00001.csv'), '0,,1,0,,0,u1,0,9,0.125,0.0625,0,0\n0,,2,0,,0,u1,5,9,0.125,0.0625,0,0\n');
    await expect(read('google2011', [join(d, 'task_events')])).rejects.toThrow(/part-00000-of-00001\.csv:2: column 8 \(scheduling class\): expected a scheduling class 0-3; got 5/);
  });

  it('says which table it cannot recognise', async () => {
    await expect(read('google2011', ['swf/small.swf'])).rejects.toThrow(/cannot tell which google2011 table this is/);
  });
});

const samples = join(SHARED, 'traces');
const noSamples = existsSync(samples) ? undefined : `the real samples are not at ${samples}`;

describe.skipIf(noSamples !== undefined)(`real samples of ../shared/traces${noSamples ? ` (skipped: ${noSamples})` : ''}`, () => {
  // Row counts from each folder's SOURCES.md.
  it('parse completely, as many rows as SOURCES.md states', async () => {
    const swf = async (name: string) => (await read('swf', [join(samples, 'swf', `${name}.swf.gz`)])).stats.rows;
    expect(await swf('KTH-SP2-1996-2.1-cln')).toBe(28476);
    expect(await swf('LANL-CM5-1994-4.1-cln')).toBe(122060);
    expect(await swf('NASA-iPSC-1993-3.1-cln')).toBe(18239);
    const pods = await read('openb', [join(samples, 'alibaba-gpu-v2023', 'openb_pod_list_default.csv')]);
    expect(pods.stats.rows).toBe(8152);
    expect(pods.records).toHaveLength(8152);
    const all = await loadMachines('openb', [join(samples, 'alibaba-gpu-v2023', 'openb_node_list_all_node.csv')], {});
    expect(all.nodes).toHaveLength(1523);
    const gpu = await loadMachines('openb', [join(samples, 'alibaba-gpu-v2023', 'openb_node_list_gpu_node.csv')], {});
    expect(gpu.nodes).toHaveLength(1213);
    const google = join(samples, 'google-2011');
    const tasks = await read('google2011', [join(google, 'task_events-part-00000-head.csv')]);
    expect(tasks.stats.rows).toBe(1015);
    // The head of part 00000 is the time-0 snapshot's submit events: no task is scheduled yet.
    expect(tasks.stats.leftOut).toEqual({ 'submitted but never scheduled in the trace': expect.any(Number) });
    const machines = await loadMachines('google2011', [join(google, 'machine_events-part-00000-head.csv'), join(google, 'machine_attributes-part-00000-head.csv')], {});
    expect(machines.nodes).toHaveLength(1523); // 1523 ADD rows at time 0, one machine each
    const alibaba = await loadMachines('alibaba2018', [join(samples, 'alibaba-v2018', 'machine_meta.csv')], {});
    expect(alibaba.nodes).toHaveLength(4034); // 17592 rows about 4034 machines
  });
});
