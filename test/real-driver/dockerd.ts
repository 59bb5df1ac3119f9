// Throwaway Docker Engines for the real driver's tests: each dockerd on a loopback TCP address
// of its own, with its own data-root, exec-root (and so its own containerd) and pidfile, bridge
// networking off, and a tiny busybox image imported. Every daemon is stopped at the end, pass
// or fail (afterAll, and a process exit hook), by the pid in its pidfile; its folder is removed.
// Nothing else is touched: no other dockerd, no other container.

import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, copyFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../../real-driver/engine-client.ts';

export const IMAGE = 'berth-busybox:latest';
const BUSYBOX = '/bin/busybox';
const APPLETS = ['sh', 'sleep', 'true', 'false', 'echo', 'cat', 'test', 'touch', 'ls', 'wget', 'kill', 'date'];

/** Why the real-engine tests cannot run here, or undefined when they can. */
export function dockerUnavailable(): string | undefined {
  if (process.env.BERTH_SKIP_DOCKER) return 'BERTH_SKIP_DOCKER is set';
  if (process.platform !== 'linux') return 'dockerd runs on Linux only';
  if (process.getuid?.() !== 0) return 'starting dockerd needs root';
  if (spawnSync('dockerd', ['--version'], { stdio: 'ignore' }).status !== 0) return 'dockerd is not installed (apt-get install docker.io)';
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} is missing (apt-get install busybox-static)`;
  const ldd = spawnSync('ldd', [BUSYBOX], { encoding: 'utf8' });
  if (ldd.status === 0 && !/not a dynamic executable|statically linked/.test(ldd.stdout + ldd.stderr)) return `${BUSYBOX} is not static (apt-get install busybox-static)`;
  return undefined;
}

export class Daemon {
  readonly dir: string;
  readonly endpoint: string;
  private child: ReturnType<typeof spawn> | undefined;

  constructor(readonly name: string, readonly address: string, readonly port: number, root: string) {
    this.dir = join(root, name);
    mkdirSync(this.dir, { recursive: true });
    this.endpoint = `tcp://${address}:${port}`;
  }

  get pidfile(): string {
    return join(this.dir, 'pid');
  }

  /** The daemon's pid from its pidfile, if that process is alive. */
  pid(): number | undefined {
    if (!existsSync(this.pidfile)) return undefined;
    const pid = Number(readFileSync(this.pidfile, 'utf8').trim());
    return pid > 0 && alive(pid) ? pid : undefined;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    const log = openSync(join(this.dir, 'log'), 'a');
    this.child = spawn('dockerd', [
      '--data-root', join(this.dir, 'data'), '--exec-root', join(this.dir, 'exec'), '--pidfile', this.pidfile,
      '-H', this.endpoint, '--bridge=none', '--iptables=false', '--ip-masq=false', '--ip6tables=false',
      '--userland-proxy=false', '--storage-driver=overlay2', '--log-level=warn',
      // A daemon killed and started again finds its containers still running, as a host back from a
      // partition would: the surplus the controller must remove.
      '--live-restore',
    ], { stdio: ['ignore', log, log] });
    closeSync(log);
    this.child.unref(); // stopped by stop(), or by the exit hook: never keeps the tests alive
    const engine = new EngineClient(this.endpoint, { timeoutMs: 2_000 });
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        if (this.child.exitCode !== null) throw new Error(`dockerd ${this.name} exited with code ${this.child.exitCode}:\n${this.logTail()}`);
        try {
          await engine.ping(1_000);
          return;
        } catch {
          if (Date.now() > deadline) throw new Error(`dockerd ${this.name} did not answer on ${this.endpoint} within ${timeoutMs / 1000} s:\n${this.logTail()}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    } finally {
      await engine.close();
    }
  }

  /** Kills the daemon at once (a host lost): its containers are not told. */
  kill(): void {
    const pid = this.pid();
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
  }

  /** Removes every container, then stops the daemon and its containerd (SIGTERM, then SIGKILL). */
  async stop(): Promise<void> {
    if (this.pid() !== undefined) {
      const engine = new EngineClient(this.endpoint, { timeoutMs: 10_000 });
      try {
        const all = await engine.listContainers([]);
        await Promise.all(all.map((c) => engine.removeContainer(c.id)));
      } catch { /* stopping anyway */ } finally {
        await engine.close();
      }
    }
    await terminate(this.pid());
    const containerd = join(this.dir, 'exec', 'containerd', 'containerd.pid');
    if (existsSync(containerd)) {
      const pid = Number(readFileSync(containerd, 'utf8').trim());
      if (pid > 0 && alive(pid) && cmdline(pid).includes(this.dir)) await terminate(pid);
    }
  }

  stopSync(): void {
    for (const file of [this.pidfile, join(this.dir, 'exec', 'containerd', 'containerd.pid')]) {
      if (!existsSync(file)) continue;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid > 0 && alive(pid)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }

  logTail(lines = 20): string {
    const file = join(this.dir, 'log');
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n') : '(no log)';
  }
}

export interface Daemons {
  readonly root: string;
  readonly daemons: Daemon[];
  stop(): Promise<void>;
}

/**
 * Starts `n` daemons on 127.0.0.<first>… port `port`, imports the busybox image into each, and
 * registers their stop on process exit (the test file's afterAll should call stop() too).
 */
export async function startDaemons(n: number, first: number, port = 23750): Promise<Daemons> {
  const root = mkdtempSync(join(tmpdir(), 'berth-dockerd-'));
  const daemons = Array.from({ length: n }, (_, i) => new Daemon(`h${i}`, `127.0.0.${first + i}`, port, root));
  let stopped = false;
  const onExit = () => { if (!stopped) { for (const d of daemons) d.stopSync(); killLeftovers(root); removeRoot(root); } };
  process.once('exit', onExit);
  const stop = async () => {
    if (stopped) return;
    await Promise.all(daemons.map((d) => d.stop()));
    killLeftovers(root);
    stopped = true;
    process.off('exit', onExit);
    removeRoot(root);
  };
  try {
    await Promise.all(daemons.map((d) => d.start()));
    const tar = imageTar(root);
    await Promise.all(daemons.map((d) => importImage(d, tar)));
  } catch (err) {
    await stop();
    throw err;
  }
  return { root, daemons, stop };
}

export async function importImage(d: Daemon, tar: string): Promise<void> {
  const engine = new EngineClient(d.endpoint, { timeoutMs: 60_000 });
  try {
    await engine.importImage(createReadStream(tar), IMAGE.split(':')[0]!, 'latest');
  } finally {
    await engine.close();
  }
}

/** A root filesystem of busybox and its applets, as a tarball. */
function imageTar(root: string): string {
  const fs = join(root, 'image');
  mkdirSync(join(fs, 'bin'), { recursive: true });
  mkdirSync(join(fs, 'tmp'), { recursive: true });
  copyFileSync(BUSYBOX, join(fs, 'bin', 'busybox'));
  for (const a of APPLETS) symlinkSync('busybox', join(fs, 'bin', a));
  const tar = join(root, 'image.tar');
  const r = spawnSync('tar', ['-C', fs, '-cf', tar, '.'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
  return tar;
}

/**
 * Containers outlive their daemon (live restore, or a daemon killed and never restarted): their
 * shims name this folder on their command line. Kills each such shim's children (the
 * containers' processes), then the shim, by pid.
 */
function killLeftovers(root: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const cmd = cmdline(pid);
    if (!cmd.includes('containerd-shim') || !cmd.includes(root + '/')) continue;
    for (const child of childrenOf(pid)) try { process.kill(child, 'SIGKILL'); } catch { /* gone */ }
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent pid is the second field after the command, which is in parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch { /* gone */ }
  }
  return out;
}

/** dockerd bind-mounts its data-root on itself and leaves it mounted: unmount what is under root, then remove it. */
function removeRoot(root: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === root || m.startsWith(root + '/')).sort().reverse();
  for (const m of mounts) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

async function terminate(pid: number | undefined): Promise<void> {
  if (pid === undefined || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}
