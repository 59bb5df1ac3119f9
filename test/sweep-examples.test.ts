// The sweep examples for batch engines are what they claim to be: the Kubernetes manifest is an
// Indexed Job whose completions equal the --shards its pods pass to berth, mounting the volume
// they write to; the Slurm script is valid bash whose array has as many tasks as --shards, and
// it runs; the CI workflow is YAML with a matrix of shards 0…n-1 for --shard I/n, then a merge.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { builtinSchedulers } from '../schedulers/registry.ts';
import { PROJECT } from './peer-support.ts';

const EXAMPLES = join(PROJECT, 'examples');
const dir = mkdtempSync(join(tmpdir(), 'berth-sweep-examples-'));
const text = (...path: string[]) => readFileSync(join(EXAMPLES, ...path), 'utf8');

function berth(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(PROJECT, 'bin', 'berth.js'), ...args], { cwd: PROJECT, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The value after a flag in a command. */
const after = (command: readonly string[], flag: string): string | undefined => command[command.indexOf(flag) + 1];

interface Container { name: string; image: string; command: string[]; volumeMounts?: { name: string; mountPath: string }[] }
interface PodSpec { restartPolicy: string; containers: Container[]; volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[] }

/** The checks the API server makes of a Job's pod template that matter here. */
function expectJobPod(spec: PodSpec, claims: readonly string[]) {
  expect(['Never', 'OnFailure']).toContain(spec.restartPolicy);
  expect(spec.containers.length).toBeGreaterThan(0);
  for (const c of spec.containers) {
    expect(c.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(typeof c.image).toBe('string');
    expect(c.command.every((a) => typeof a === 'string'), 'every argument a string').toBe(true);
    for (const m of c.volumeMounts ?? []) expect(spec.volumes?.map((v) => v.name)).toContain(m.name);
  }
  for (const v of spec.volumes ?? []) if (v.persistentVolumeClaim) expect(claims).toContain(v.persistentVolumeClaim.claimName);
}

describe('examples/sweep-small.yaml', () => {
  it('is a valid sweep of 18 cells', () => {
    const r = berth({}, 'sweep', 'examples/sweep-small.yaml', '--list', '--out', join(dir, 'small'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^# sweep-small: 18 of 18 cells; sweep [0-9a-f]{16}$/m);
  });
});

describe('examples/all-policies.yaml', () => {
  it('is a valid sweep of every built-in policy, 3 seeds each, easy-backfill with a default estimate', () => {
    const r = berth({}, 'sweep', 'examples/all-policies.yaml', '--list', '--out', join(dir, 'all'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const policies = builtinSchedulers().length;
    expect(r.out).toMatch(new RegExp(`^# all-policies: ${policies * 3} of ${policies * 3} cells; sweep [0-9a-f]{16}$`, 'm'));
    for (const { name } of builtinSchedulers()) expect(r.out, name).toContain(name === 'easy-backfill' ? 'easy-backfill missingEstimate=600' : name);
  });
});

describe('the Kubernetes Indexed Job', () => {
  const docs = parseAllDocuments(text('k8s', 'sweep-indexed-job.yaml')).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS();
  });
  const job = docs.find((d) => d.kind === 'Job');
  const claims = docs.filter((d) => d.kind === 'PersistentVolumeClaim').map((d) => d.metadata.name);

  it('is a batch/v1 Job in Indexed completion mode, with a claim for its volume', () => {
    for (const d of docs) {
      expect(d.apiVersion).toMatch(/^(v1|batch\/v1)$/);
      expect(d.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.parallelism).toBeLessThanOrEqual(job.spec.completions);
    expectJobPod(job.spec.template.spec, claims);
  });

  it('runs berth sweep with --shards equal to the completions, writing to the mounted volume', () => {
    const [container] = job.spec.template.spec.containers as Container[];
    const command = container!.command;
    expect(command.slice(0, 3)).toEqual(['node', 'bin/berth.js', 'sweep']);
    expect(Number(after(command, '--shards'))).toBe(job.spec.completions);
    expect(command).not.toContain('--shard');
    const out = after(command, '--out')!;
    expect(container!.volumeMounts!.some((m) => out.startsWith(m.mountPath + '/'))).toBe(true);
  });

  it('gives each pod its share: the command, run here with a pod\'s index', () => {
    const [container] = job.spec.template.spec.containers as Container[];
    const args = container!.command.slice(2).map((a) => a.replace(/^\/results/, dir));
    const r = berth({ JOB_COMPLETION_INDEX: '3' }, ...args, '--list');
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^# sweep-small: 4 of 18 cells \(shard 3\/4\)/m);
    expect(r.out.trim().split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[0]))).toEqual([3, 7, 11, 15]);
  });

  it('is merged by a Job on the same volume', () => {
    const merge = parse(text('k8s', 'sweep-merge-job.yaml'));
    expect(merge).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job' });
    expectJobPod(merge.spec.template.spec, claims);
    const command = merge.spec.template.spec.containers[0].command as string[];
    expect(command.slice(0, 3)).toEqual(['node', 'bin/berth.js', 'merge']);
    expect(command).toContain(after(job.spec.template.spec.containers[0].command, '--out'));
  });
});

describe('the Slurm array script', () => {
  const script = text('slurm', 'sweep-array.sh');

  it('is valid bash whose array has as many tasks as --shards', () => {
    const check = spawnSync('bash', ['-n', join(EXAMPLES, 'slurm', 'sweep-array.sh')], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    const array = /^#SBATCH --array=(\d+)-(\d+)$/m.exec(script);
    expect(array).not.toBeNull();
    const tasks = Number(array![2]) - Number(array![1]) + 1;
    expect(Number(/--shards (\d+)/.exec(script)![1])).toBe(tasks);
  });

  it('runs one shard as an array task would', () => {
    const sweep = join(dir, 'tiny.yaml');
    writeFileSync(sweep, 'name: tiny\nschedulers: [binpack, spread]\nclusters: [{preset: production, nodes: 20}]\nworkloads: [{preset: production, tasks: 200}]\nseeds: [1, 2, 3, 4]\n');
    const results = join(dir, 'slurm');
    const r = spawnSync('bash', [join(EXAMPLES, 'slurm', 'sweep-array.sh')], {
      encoding: 'utf8',
      env: {
        ...process.env, SLURM_SUBMIT_DIR: PROJECT, SWEEP: sweep, RESULTS: results, SLURM_CPUS_PER_TASK: '1',
        SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '4',
      },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(results, 'shards', '2-of-4.json'), 'utf8'));
    expect(manifest.cells.map((c: { index: number }) => c.index)).toEqual([2, 6]);
  }, 60_000);
});

describe('the CI workflow', () => {
  const workflow = parse(text('ci', 'sweep-workflow.yml'));
  const runs = (job: string): string[] => workflow.jobs[job].steps.filter((s: { run?: string }) => s.run).map((s: { run: string }) => s.run);

  it('runs the sweep as a matrix of shards 0…n-1', () => {
    const sweep = runs('sweep').find((r) => r.includes('berth.js sweep'))!;
    const m = /--shard \$\{\{ matrix\.shard \}\}\/(\d+)/.exec(sweep);
    expect(m).not.toBeNull();
    expect(workflow.jobs.sweep.strategy.matrix.shard).toEqual([...Array(Number(m![1])).keys()]);
  });

  it('merges the shards once all have run, and compares with the base branch', () => {
    expect([workflow.jobs.merge.needs].flat()).toContain('sweep');
    expect(runs('merge').some((r) => /berth\.js merge shards\/\* --out /.test(r))).toBe(true);
    expect([workflow.jobs.bench.needs].flat()).toContain('merge');
    expect(runs('bench').some((r) => /berth\.js bench-ci --sweep examples\/sweep-small\.yaml --baseline /.test(r))).toBe(true);
    for (const job of Object.values(workflow.jobs) as { steps: { uses?: string }[] }[]) {
      for (const s of job.steps) if (s.uses) expect(s.uses).toMatch(/^actions\/[\w-]+@v\d+$/);
    }
  });
});
