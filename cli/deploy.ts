// The real driver's commands: `berth deploy`, `berth status`, `berth drain`, `berth down`.

import { performance } from 'node:perf_hooks';
import { InputError } from '../sim/errors.ts';
import { createScheduler } from '../schedulers/registry.ts';
import { Controller, CONTROLLER_DEFAULTS, type ControllerOptions } from '../real-driver/controller.ts';
import { DEFAULT_BACKOFF } from '../real-driver/backoff.ts';
import { dryRun } from '../real-driver/dry-run.ts';
import { loadHostsFile, type HostSpec } from '../real-driver/hosts-file.ts';
import { hostNodes } from '../real-driver/plan.ts';
import { loadSpecFile, type AppSpec } from '../real-driver/spec-file.ts';
import { hostReports, removeApp, runningPlacement, type HostReport } from '../real-driver/status.ts';
import { UsageError, numberFlag, parseFlags, stringFlag, type Flags } from './args.ts';

export const DEPLOY_HELP = `usage: berth deploy --hosts H.yaml --spec S.yaml [--scheduler NAME|./policy.ts] [--seed N]
                    [--once [--timeout S]] [--dry-run [--json]] [--interval S] [--grace S]
                    [--ping-timeout S] [--call-timeout S] [--backoff S] [--backoff-max S] [--quiet]

Places the spec's replicas on the hosts with the scheduler and keeps them right until
interrupted (Ctrl-C or SIGTERM leave the containers running): restarts what exits (with
back-off), replaces what a host declared down ran, removes surplus when it comes back.

  --hosts FILE         the inventory (hosts.yaml)
  --spec FILE          the app (app.yaml)
  --scheduler S        a built-in scheduler or a module path (default first-fit)
  --seed N             the scheduler's seed (default 1)
  --once               converge, then exit: 0 when every replica runs, 1 with the reason when not
  --timeout S          with --once: give up after S seconds (default 300)
  --dry-run            print the placement the simulator computes on idle hosts, touch nothing
  --json               with --dry-run: the placement as JSON
  --interval S         between reconcile passes (default ${CONTROLLER_DEFAULTS.intervalMs / 1000})
  --grace S            a host not answering is declared down after S seconds (default ${CONTROLLER_DEFAULTS.graceMs / 1000})
  --ping-timeout S     a ping unanswered after S seconds is a miss (default ${CONTROLLER_DEFAULTS.pingTimeoutMs / 1000})
  --call-timeout S     timeout of every other engine call (default ${CONTROLLER_DEFAULTS.callTimeoutMs / 1000})
  --backoff S          first restart delay of a container that exits; doubles each exit (default ${DEFAULT_BACKOFF.initialMs / 1000})
  --backoff-max S      cap of the restart delay (default ${DEFAULT_BACKOFF.maxMs / 1000})
  --quiet              print only the outcome`;

export const STATUS_HELP = `usage: berth status --hosts H.yaml [--spec S.yaml] [--json]

Every host: up or down, capacity and what berth's containers book of it, and the containers
(of the spec's app with --spec, else of every app berth manages).`;

export const DRAIN_HELP = `usage: berth drain HOST --hosts H.yaml --spec S.yaml [--scheduler S] [--seed N] [--timeout S]

Moves the app's replicas off HOST, one at a time: each gets a replacement on another host, and
is removed once the replacement runs (and passes its health check). No new placements go to
HOST meanwhile; mark it \`cordon: true\` in hosts.yaml to keep deploys off it afterwards.`;

export const DOWN_HELP = `usage: berth down --hosts H.yaml --spec S.yaml

Removes every container the spec's app owns (by label) on every host, and nothing else.`;

const CONTROL = {
  hosts: { type: 'string' }, spec: { type: 'string' }, scheduler: { type: 'string' }, seed: { type: 'string' },
  interval: { type: 'string' }, grace: { type: 'string' }, 'ping-timeout': { type: 'string' }, 'call-timeout': { type: 'string' },
  backoff: { type: 'string' }, 'backoff-max': { type: 'string' }, timeout: { type: 'string' }, quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function deployCommand(args: string[]): Promise<void> {
  const { flags } = parseFlags(args, { ...CONTROL, once: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } });
  if (flags.help) return void process.stdout.write(DEPLOY_HELP + '\n');
  if (flags.json && !flags['dry-run']) throw new UsageError('--json goes with --dry-run');
  const { hosts, app } = await inputs(flags);
  const schedulerSpec = stringFlag(flags, 'scheduler') ?? 'first-fit';
  const scheduler = await createScheduler(schedulerSpec);
  const seed = numberFlag(flags, 'seed', { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 1;
  if (flags['dry-run']) return printDryRun(hosts, app, scheduler.name, await createScheduler(schedulerSpec), seed, flags.json === true);

  const quiet = flags.quiet === true;
  const started = performance.now();
  const log = (line: string) => { if (!quiet) process.stdout.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`); };
  const controller = new Controller({ ...controlOptions(flags, hosts, app, log), scheduler, seed });
  const once = flags.once === true;
  if (!quiet) process.stdout.write(`berth deploy · ${scheduler.name} · seed ${seed} · app ${app.name} · ${hosts.length} host${hosts.length === 1 ? '' : 's'}${once ? ' · once' : ''}\n`);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const r = await controller.run({ once, signal: stop.signal, timeoutMs: (numberFlag(flags, 'timeout', { min: 0, exclusiveMin: true }) ?? 300) * 1000 });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (stop.signal.aborted) process.stdout.write(`interrupted after ${seconds} s: berth's containers keep running\n`);
    else if (r) process.stdout.write(`converged in ${seconds} s: ${r.plan.satisfied} of ${r.plan.desired} replicas run or are done\n`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await controller.close();
  }
}

export async function drainCommand(args: string[]): Promise<void> {
  const { flags, positionals } = parseFlags(args, CONTROL, 1);
  if (flags.help) return void process.stdout.write(DRAIN_HELP + '\n');
  const host = positionals[0];
  if (host === undefined) throw new UsageError('berth drain needs the name of the host to drain');
  const { hosts, app } = await inputs(flags);
  if (!hosts.some((h) => h.name === host)) throw new InputError({ file: stringFlag(flags, 'hosts') }, `no host named ${JSON.stringify(host)}; the hosts are ${hosts.map((h) => h.name).join(', ')}`);
  const scheduler = await createScheduler(stringFlag(flags, 'scheduler') ?? 'first-fit');
  const seed = numberFlag(flags, 'seed', { integer: true, min: 0 }) ?? 1;
  const started = performance.now();
  const log = (line: string) => { if (flags.quiet !== true) process.stdout.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`); };
  const controller = new Controller({ ...controlOptions(flags, hosts, app, log), scheduler, seed, drain: host });
  try {
    await controller.run({ once: true, timeoutMs: (numberFlag(flags, 'timeout', { min: 0, exclusiveMin: true }) ?? 600) * 1000 });
    process.stdout.write(`drained ${host} in ${((performance.now() - started) / 1000).toFixed(1)} s: the app ${app.name} runs elsewhere\n`);
  } finally {
    await controller.close();
  }
}

export async function downCommand(args: string[]): Promise<void> {
  const { flags } = parseFlags(args, { hosts: { type: 'string' }, spec: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (flags.help) return void process.stdout.write(DOWN_HELP + '\n');
  const { hosts, app } = await inputs(flags);
  const { removed, unreachable } = await removeApp(hosts, app.name);
  for (const h of hosts) if (removed[h.name] !== undefined) process.stdout.write(`${h.name.padEnd(12)} removed ${removed[h.name]} container${removed[h.name] === 1 ? '' : 's'} of ${app.name}\n`);
  if (unreachable.length > 0) {
    throw new InputError({ file: stringFlag(flags, 'hosts') }, `not answering, their containers of ${app.name} were left: ` +
      unreachable.map((u) => `${u.name} (${u.error})`).join(', '));
  }
}

export async function statusCommand(args: string[]): Promise<void> {
  const { flags } = parseFlags(args, { hosts: { type: 'string' }, spec: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (flags.help) return void process.stdout.write(STATUS_HELP + '\n');
  const hostsFile = stringFlag(flags, 'hosts');
  if (hostsFile === undefined) throw new UsageError('--hosts is required');
  const hosts = await loadHostsFile(hostsFile);
  const specFile = stringFlag(flags, 'spec');
  const app = specFile === undefined ? undefined : await loadSpecFile(specFile);
  const reports = await hostReports(hosts, app ? { app: app.name } : {});
  if (flags.json) return void process.stdout.write(JSON.stringify({ hosts: reports.map(jsonReport) }, null, 2) + '\n');
  process.stdout.write(formatStatus(reports));
}

function jsonReport(r: HostReport) {
  const cores = (m: number) => m / 1000, gib = (m: number) => m / 1024;
  return {
    name: r.name, endpoint: r.endpoint, state: r.state, ...(r.error !== undefined && { error: r.error }), ...(r.apiVersion && { apiVersion: r.apiVersion }),
    capacity: r.capacity ? { cpu: cores(r.capacity.cpu), memory: gib(r.capacity.memory), gpu: r.capacity.gpu / 1000 } : null,
    allocated: { cpu: cores(r.allocated.cpu), memory: gib(r.allocated.memory) },
    containers: r.containers,
  };
}

function formatStatus(reports: readonly HostReport[]): string {
  const rows = [['host', 'state', 'cpu (cores)', 'memory (GiB)', 'containers', 'endpoint']];
  for (const r of reports) {
    const cap = r.capacity;
    rows.push([
      r.name, r.state,
      cap ? `${fmt(r.allocated.cpu / 1000)} / ${fmt(cap.cpu / 1000)}` : '-',
      cap ? `${fmt(r.allocated.memory / 1024)} / ${fmt(cap.memory / 1024)}` : '-',
      r.state === 'up' ? String(r.containers.length) : '-',
      r.endpoint + (r.error ? `  (${r.error})` : ''),
    ]);
  }
  let out = table(rows);
  const lines: string[][] = [];
  for (const r of reports) for (const c of r.containers) lines.push([r.name, c.name, c.slot, c.state, c.status]);
  if (lines.length > 0) out += '\n' + table([['host', 'container', 'slot', 'state', 'status'], ...lines]);
  return out;
}

async function printDryRun(hosts: readonly HostSpec[], app: AppSpec, name: string, scheduler: Awaited<ReturnType<typeof createScheduler>>, seed: number, json: boolean): Promise<void> {
  // Capacities from the inventory, else from the engines; hosts that do not answer take nothing, as in a deploy.
  const reports = await hostReports(hosts, { app: app.name });
  const inventory = (h: HostSpec) => (h.capacity?.cpu !== undefined && h.capacity.memory !== undefined
    ? { cpu: Math.round(h.capacity.cpu * 1000), memory: Math.round(h.capacity.memory * 1024), gpu: Math.round((h.capacity.gpu ?? 0) * 1000) }
    : undefined);
  const nodes = hostNodes(hosts.map((h, i) => ({ name: h.name, labels: h.labels, capacity: reports[i]!.capacity ?? inventory(h) })));
  const out = new Set(hosts.filter((h, i) => h.cordon || reports[i]!.state !== 'up').map((h) => h.name));
  const { placements } = dryRun(app, nodes, out, scheduler, seed);
  if (json) return void process.stdout.write(JSON.stringify({ scheduler: name, seed, app: app.name, placements }, null, 2) + '\n');
  const busy = Object.values(runningPlacement(reports)).length;
  const lines = [`berth deploy --dry-run · ${name} · seed ${seed} · app ${app.name}${busy > 0 ? ` (note: ${busy} of its replicas run already; this is the placement on idle hosts)` : ''}`];
  const rows = [['host', 'cpu (cores)', 'memory (GiB)', 'replicas']];
  hosts.forEach((h, i) => {
    const slots = Object.entries(placements).filter(([, host]) => host === h.name).map(([slot]) => slot);
    const w = (slot: string) => app.workloads.find((x) => x.name === slot.split('/')[0])!;
    const cpu = slots.reduce((s, x) => s + w(x).cpu, 0), mem = slots.reduce((s, x) => s + w(x).memory, 0);
    const cap = nodes[i]!;
    const note = reports[i]!.state !== 'up' ? `  (not answering: ${reports[i]!.error})` : h.cordon ? '  (cordoned)' : '';
    rows.push([h.name, `${fmt(cpu / 1000)} / ${fmt(cap.cpu / 1000)}`, `${fmt(mem / 1024)} / ${fmt(cap.memory / 1024)}`, `${slots.length}  ${slots.join(' ')}${note}`]);
  });
  lines.push(table(rows).trimEnd());
  const unplaced = Object.entries(placements).filter(([, host]) => host === null).map(([slot]) => slot);
  lines.push(`unplaced  ${unplaced.length === 0 ? 'none' : unplaced.join(' ')}`);
  process.stdout.write(lines.join('\n') + '\n');
}

async function inputs(flags: Flags): Promise<{ hosts: HostSpec[]; app: AppSpec }> {
  const hostsFile = stringFlag(flags, 'hosts'), specFile = stringFlag(flags, 'spec');
  if (hostsFile === undefined) throw new UsageError('--hosts is required (the inventory, hosts.yaml)');
  if (specFile === undefined) throw new UsageError('--spec is required (the app, app.yaml)');
  return { hosts: await loadHostsFile(hostsFile), app: await loadSpecFile(specFile) };
}

function controlOptions(flags: Flags, hosts: HostSpec[], app: AppSpec, log: (line: string) => void): Omit<ControllerOptions, 'scheduler' | 'seed'> {
  const seconds = (name: string, dflt: number) => (numberFlag(flags, name, { min: 0, exclusiveMin: true, max: 86_400 }) ?? dflt / 1000) * 1000;
  return {
    app, hosts, log,
    intervalMs: seconds('interval', CONTROLLER_DEFAULTS.intervalMs),
    graceMs: seconds('grace', CONTROLLER_DEFAULTS.graceMs),
    pingTimeoutMs: seconds('ping-timeout', CONTROLLER_DEFAULTS.pingTimeoutMs),
    callTimeoutMs: seconds('call-timeout', CONTROLLER_DEFAULTS.callTimeoutMs),
    backoff: { ...DEFAULT_BACKOFF, initialMs: seconds('backoff', DEFAULT_BACKOFF.initialMs), maxMs: seconds('backoff-max', DEFAULT_BACKOFF.maxMs) },
    concurrency: CONTROLLER_DEFAULTS.concurrency,
  };
}

const fmt = (x: number) => (Math.round(x * 100) / 100).toFixed(2);

function table(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n') + '\n';
}
