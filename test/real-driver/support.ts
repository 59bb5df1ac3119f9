// Helpers of the real driver's tests: the berth command as a process, inventory and spec files
// for a set of throwaway daemons, and the placement read back from the engines.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT } from '../peer-support.ts';
import { loadHostsFile } from '../../real-driver/hosts-file.ts';
import { hostReports, runningPlacement } from '../../real-driver/status.ts';
import type { Daemon } from './dockerd.ts';
import { IMAGE } from './dockerd.ts';

export interface Result {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

export function berth(...args: string[]): Result {
  const r = spawnSync(process.execPath, [join(PROJECT, 'bin', 'berth.js'), ...args], { cwd: PROJECT, encoding: 'utf8', timeout: 170_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A controller running in the background; its output accumulates in `out`. */
export class Background {
  readonly child: ChildProcess;
  out = '';
  private readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [join(PROJECT, 'bin', 'berth.js'), ...args], { cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (b: Buffer) => { this.out += b.toString(); });
    this.child.stderr!.on('data', (b: Buffer) => { this.out += b.toString(); });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Sends the signal to this process (by its pid) and waits for it to exit. */
  async stop(signal: NodeJS.Signals, timeoutMs = 15_000): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    const r = await Promise.race([this.exited, timer]);
    if (r === 'timeout') {
      this.child.kill('SIGKILL');
      throw new Error(`berth did not exit within ${timeoutMs / 1000} s of ${signal}:\n${this.out}`);
    }
    return r;
  }
}

export function writeHosts(dir: string, name: string, daemons: readonly Daemon[], opts: { cpu?: number; memory?: number; extra?: string } = {}): string {
  const file = join(dir, name);
  const capacity = opts.cpu === undefined ? '' : `, capacity: {cpu: ${opts.cpu}, memory: ${opts.memory ?? 4}}`;
  writeFileSync(file, 'hosts:\n' + daemons.map((d) => `  - {name: ${d.name}, endpoint: "${d.endpoint}"${capacity}}\n`).join('') + (opts.extra ?? ''));
  return file;
}

export function writeSpec(dir: string, app: string, services: string): string {
  const file = join(dir, `${app}.yaml`);
  writeFileSync(file, `name: ${app}\nservices:\n${services}`);
  return file;
}

/** A service of `replicas` sleeping busybox containers. */
export const sleeper = (name: string, replicas: number, cpu = 0.5, extra = '') =>
  `  - {name: ${name}, image: "${IMAGE}", command: [sleep, "3600"], replicas: ${replicas}, resources: {cpu: ${cpu}, memory: 16MiB}${extra}}\n`;

/** Slot to hosts running it, read from the engines. */
export async function placement(hostsFile: string, app: string): Promise<Record<string, string[]>> {
  return runningPlacement(await hostReports(await loadHostsFile(hostsFile), { app }));
}

/** Replicas per host, in inventory order. */
export function perHost(p: Record<string, string[]>, hosts: readonly string[]): number[] {
  return hosts.map((h) => Object.values(p).filter((on) => on.includes(h)).length);
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Exactly one running container for each of the slots, and nothing else. */
export function exactlyOnce(p: Record<string, string[]>, slots: readonly string[]): boolean {
  return Object.keys(p).length === slots.length && slots.every((s) => p[s]?.length === 1);
}

export const slotsOf = (service: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${service}/${i}`);
