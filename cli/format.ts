// Numbers and summaries for people to read.

import type { Summary } from '../sim/summary.ts';

/** 1234567 -> "1,234,567". */
export const thousands = (n: number): string => Math.round(n).toLocaleString('en-US');

/** 1234567 -> "1.23M", 45678 -> "45.7k". */
export function compact(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toPrecision(3)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toPrecision(3)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toPrecision(3)}k`;
  return String(Math.round(n));
}

/** Seconds as "0.25 s", "12 s", "3 m 20 s", "2 h 5 m", "1 d 4 h". */
export function duration(s: number): string {
  if (s < 9.5) return `${Number(s.toPrecision(2))} s`;
  if (s < 59.5) return `${Math.round(s)} s`;
  // Round to the smaller unit first, so that 59.6 s reads 1 m 0 s, not 0 m 60 s.
  if (s < 3600) {
    const total = Math.round(s);
    return total < 3600 ? `${Math.floor(total / 60)} m ${total % 60} s` : '1 h 0 m';
  }
  if (s < 86400) {
    const total = Math.round(s / 60);
    return total < 1440 ? `${Math.floor(total / 60)} h ${total % 60} m` : '1 d 0 h';
  }
  const hours = Math.round(s / 3600);
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

const percent = (x: number): string => `${(100 * x).toFixed(1)} %`;

function fileList(files: readonly { path: string }[]): string {
  return files.length <= 2 ? files.map((f) => f.path).join(', ') : `${files[0]!.path} and ${files.length - 1} more files`;
}

export function formatSummary(s: Summary): string {
  const r = s.run;
  const nodes = `${thousands(r.cluster.nodes)} node${r.cluster.nodes === 1 ? '' : 's'}`;
  const rc = r.cluster, rw = r.workload;
  const cluster = 'preset' in rc ? `${nodes} (preset ${rc.preset})`
    : rc.files.length === 0 ? `${nodes} (${rc.format})`
      : `${nodes} from ${fileList(rc.files)} (${rc.format}${rc.changes ? `, ${thousands(rc.changes)} changes` : ''})`;
  const workload = 'preset' in rw ? `${rw.preset}: ${thousands(rw.tasks)} tasks at load ${rw.load}`
    : `${fileList(rw.files)} (${rw.format}): ${thousands(rw.rows)} rows${rw.skippedRows ? `, ${thousands(rw.skippedRows)} malformed passed over` : ''}` +
      Object.entries(rw.leftOut).map(([why, n]) => `, ${thousands(n)} left out (${why})`).join('');
  const t = s.tasks;
  const w = s.wait;
  const u = s.utilization;
  const lines = [
    `berth sim · ${s.scheduler} · seed ${s.seed} · ${s.queue} queue`,
    `cluster   ${cluster}`,
    `workload  ${workload}`,
    '',
    `tasks     ${thousands(t.submitted)} submitted · ${thousands(t.started)} started · ${thousands(t.completed)} completed · ` +
      `${thousands(t.pending)} pending · ${thousands(t.unschedulable)} unschedulable${t.evicted ? ` · ${thousands(t.evicted)} evicted` : ''}` +
      `${t.blocked ? ` · ${thousands(t.blocked)} blocked` : ''}`,
    ...(s.nodeFailures > 0 ? [`failures  ${thousands(s.nodeFailures)} node failures${s.run.failures ? ' (injected)' : ''} · ${thousands(t.evicted)} task attempts evicted`] : []),
    ...s.services.map((v) => `service   ${v.name}: ${v.running} of ${v.desired} replicas running at the end · fewest ${v.lowest} · ` +
      `${thousands(Math.round(v.missingSeconds))} replica-seconds short · ${thousands(v.restarts)} placed again`),
    ...(s.preemption.preemptions > 0 || s.run.preempt !== undefined ? [
      `preempt   ${thousands(s.preemption.preemptions)} tasks started by evicting ${thousands(s.preemption.victims)} of lower priority ` +
        `(${thousands(s.preemption.requeued)} requeued · ${thousands(s.preemption.failed)} failed)`,
    ] : []),
    `wait      mean ${duration(w.mean)} · p50 ${duration(w.p50)} · p95 ${duration(w.p95)} · p99 ${duration(w.p99)} · max ${duration(w.max)}`,
    ...(s.waitReasons ? [waiting(s.waitReasons)] : []),
    `util      cpu ${percent(u.cpu)}${u.memory === null ? '' : ` · memory ${percent(u.memory)}`}${u.gpu === null ? '' : ` · gpu ${percent(u.gpu)}`}` +
      `   (time-weighted from ${duration(s.window.start)} to ${duration(s.window.end)})`,
    `nodes     ${s.activeNodes.mean.toFixed(1)} of ${thousands(s.nodes)} active on average · peak ${thousands(s.activeNodes.peak)} · ` +
      `${thousands(s.activeNodeHours)} active node-hours`,
    `balance   cpu utilization across nodes: sd ${percent(s.balance.cpuStdDev)} · CV ${s.balance.cpuCv.toFixed(2)} · ` +
      `fragmentation: cpu ${percent(s.fragmentation.cpu)} · memory ${percent(s.fragmentation.memory)} of free room fits no pending task`,
    `slowdown  mean ${s.slowdown.mean.toFixed(2)} · p95 ${s.slowdown.p95.toFixed(2)} · bounded (${s.slowdown.bounded.thresholdSeconds} s) ` +
      `mean ${s.slowdown.bounded.mean.toFixed(2)} · p95 ${s.slowdown.bounded.p95.toFixed(2)}`,
    ...(s.cost ? [`cost      ${thousands(s.cost.active)} for active node-hours · ${thousands(s.cost.up)} for up node-hours (cluster file prices)`] : []),
    `makespan  ${duration(s.makespan)} (${thousands(s.makespan)} s)`,
    `engine    ${thousands(s.events)} events · ${thousands(s.rounds)} rounds · ${s.wallSeconds.toFixed(2)} s wall · ` +
      `${compact(s.eventsPerSecond)} events/s · ${compact(s.tasksPerSecond)} tasks/s`,
    `digest    ${s.digest}`,
  ];
  if (t.unschedulable > 0) {
    lines.push('', `note: ${thousands(t.unschedulable)} task(s) larger than every node were not scheduled, e.g. ${s.unschedulableSample.slice(0, 3).join(', ')}`);
  }
  const c = s.conflicts;
  if (c.notPending + c.noRoom + c.unsupported + c.badVictims > 0) {
    lines.push('', `warning: the platform refused ${c.notPending} decision(s) for tasks not pending, ${c.noRoom} for nodes without room, ` +
      `${c.badVictims} preemption(s) with wrong victims${c.unsupported ? `, ${c.unsupported} it cannot carry out` : ''}: the scheduler has a bug`);
  }
  return lines.join('\n');
}

function waiting(reasons: Readonly<Record<string, number>>): string {
  const counted = Object.entries(reasons).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${thousands(n)}`);
  return `waiting   ${counted.length > 0 ? counted.join(' · ') : 'no task ever waited'}   (task-rounds by reason)`;
}
