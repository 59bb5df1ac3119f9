// Injected failures: machines fail and come back at random, from seeded streams, as node
// records merged into the workload's stream (the same records a trace's machine table gives).
//
// - Each node fails after an exponential time with mean MTBF (counted while it is up) and is
//   repaired after an exponential time with mean MTTR.
// - With a zone MTBF, each value of the zone label (default `zone`) has outages too: every node
//   of the zone goes down at once, and comes back after an exponential time with mean zone MTTR.
//   A node is up when neither its own failure nor its zone's outage holds it down.
// - Each node and each zone draws from its own stream (keyed by its name), so adding a node or a
//   zone does not move the failures of the others.
// - Failures happen while the workload arrives. After its last record no new failure starts,
//   and the nodes that are down still come back, at their drawn time.

import type { NodeSpec } from './cluster-file.ts';
import { exponential, stream, type Random } from './random.ts';
import { MICROS_PER_SECOND } from './units.ts';
import type { NodeRecord, TraceRecord } from '../traces/record.ts';
import { timeOf } from '../traces/record.ts';
import FastPriorityQueue from 'fastpriorityqueue';

/** Failure injection, in seconds. */
export interface FailureSpec {
  readonly mtbf?: number;
  readonly mttr: number;
  readonly zoneMtbf?: number;
  readonly zoneMttr?: number;
  /** The label whose values are zones (default `zone`). */
  readonly zoneLabel?: string;
}

/** A coming transition of a node (index < nodes) or a zone (index >= nodes). */
interface Due {
  time: number;
  index: number;
  /** true: it goes down; false: it comes back. */
  down: boolean;
}

/**
 * The workload's stream with failures merged in by time (node records first at equal times).
 * `origin` is the time failures start from (µs): the first record's, when undefined.
 */
export async function* withFailures(
  source: AsyncIterable<readonly TraceRecord[]>, nodes: readonly NodeSpec[], spec: FailureSpec, seed: number | string,
): AsyncGenerator<TraceRecord[]> {
  let clock: FailureClock | undefined;
  for await (const batch of source) {
    if (batch.length === 0) continue;
    clock ??= new FailureClock(nodes, spec, seed, timeOf(batch[0]!));
    const end = timeOf(batch[batch.length - 1]!);
    const out: TraceRecord[] = [];
    let i = 0;
    for (const change of clock.until(end)) {
      while (i < batch.length && timeOf(batch[i]!) < change.time) out.push(batch[i++]!);
      out.push(change);
    }
    while (i < batch.length) out.push(batch[i++]!);
    yield out;
  }
  if (clock) {
    const rest = clock.recoveries();
    if (rest.length > 0) yield rest;
  }
}

export class FailureClock {
  private readonly due = new FastPriorityQueue<Due>((a, b) => a.time < b.time || (a.time === b.time && a.index < b.index));
  private readonly randoms: Random[] = [];
  /** Per node: held down by its own failure, and by its zone's outage. */
  private readonly ownDown: Uint8Array;
  private readonly zoneDown: Uint8Array;
  private readonly zoneOf: Int32Array;
  private readonly zoneMembers: number[][] = [];

  constructor(private readonly nodes: readonly NodeSpec[], private readonly spec: FailureSpec, seed: number | string, origin: number) {
    const n = nodes.length;
    this.ownDown = new Uint8Array(n);
    this.zoneDown = new Uint8Array(n);
    this.zoneOf = new Int32Array(n).fill(-1);
    const label = spec.zoneLabel ?? 'zone';
    const zones = new Map<string, number>();
    nodes.forEach((node, i) => {
      this.randoms.push(stream(seed, `failures/node/${node.name}`));
      if (spec.mtbf !== undefined) this.schedule(origin, i, true);
      const value = node.labels[label];
      if (spec.zoneMtbf === undefined || value === undefined) return;
      let z = zones.get(value);
      if (z === undefined) {
        z = this.zoneMembers.length;
        zones.set(value, z);
        this.zoneMembers.push([]);
      }
      this.zoneOf[i] = z;
      this.zoneMembers[z]!.push(i);
    });
    [...zones.keys()].forEach((value, z) => {
      this.randoms.push(stream(seed, `failures/zone/${value}`));
      this.schedule(origin, n + z, true);
    });
  }

  /** The node changes before `end` (µs), in time order; failures stop there. */
  *until(end: number): Generator<NodeRecord> {
    while (!this.due.isEmpty() && this.due.peek()!.time < end) yield* this.fire(this.due.poll()!, true);
  }

  /** The recoveries still due, once no more failures start. */
  recoveries(): NodeRecord[] {
    const out: NodeRecord[] = [];
    while (!this.due.isEmpty()) {
      const d = this.due.poll()!;
      if (!d.down) out.push(...this.fire(d, false));
    }
    return out;
  }

  private *fire(d: Due, more: boolean): Generator<NodeRecord> {
    const n = this.nodes.length;
    const members = d.index < n ? [d.index] : this.zoneMembers[d.index - n]!;
    const held = d.index < n ? this.ownDown : this.zoneDown;
    for (const i of members) {
      const wasUp = this.ownDown[i] === 0 && this.zoneDown[i] === 0;
      held[i] = d.down ? 1 : 0;
      const isUp = this.ownDown[i] === 0 && this.zoneDown[i] === 0;
      if (wasUp !== isUp) yield { kind: 'node', time: d.time, node: this.nodes[i]!.name, change: isUp ? 'recover' : 'fail' };
    }
    if (d.down) this.schedule(d.time, d.index, false);
    else if (more) this.schedule(d.time, d.index, true);
  }

  /** The next transition of a node or zone from `time`: a failure after MTBF, a repair after MTTR. */
  private schedule(time: number, index: number, down: boolean): void {
    const zone = index >= this.nodes.length;
    const mean = zone ? (down ? this.spec.zoneMtbf! : this.spec.zoneMttr ?? this.spec.mttr) : down ? this.spec.mtbf! : this.spec.mttr;
    const delay = Math.max(1, Math.round(exponential(this.randoms[index]!, 1 / mean) * MICROS_PER_SECOND));
    this.due.add({ time: time + delay, index, down });
  }
}

/**
 * Reads `mtbf=30d,mttr=2h,zone-mtbf=90d,zone-mttr=4h,zone-label=zone` (durations with s, m, h
 * or d; plain numbers are seconds). Throws a RangeError naming the bad part.
 */
export function parseFailureSpec(text: string): FailureSpec {
  const out: { mtbf?: number; mttr?: number; zoneMtbf?: number; zoneMttr?: number; zoneLabel?: string } = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z-]+)=(.+)$/.exec(part);
    if (!m) throw new RangeError(`expected KEY=VALUE, got ${JSON.stringify(part)}`);
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'zone-label') {
      out.zoneLabel = value;
      continue;
    }
    const seconds = parseDuration(value);
    if (seconds === undefined) throw new RangeError(`${key}: expected a duration > 0 such as 90s, 30m, 2h or 7d, got ${JSON.stringify(value)}`);
    if (key === 'mtbf') out.mtbf = seconds;
    else if (key === 'mttr') out.mttr = seconds;
    else if (key === 'zone-mtbf') out.zoneMtbf = seconds;
    else if (key === 'zone-mttr') out.zoneMttr = seconds;
    else throw new RangeError(`unknown key ${JSON.stringify(key)}; expected mtbf, mttr, zone-mtbf, zone-mttr or zone-label`);
  }
  if (out.mtbf === undefined && out.zoneMtbf === undefined) throw new RangeError('needs mtbf (per node) or zone-mtbf (per zone), or both');
  const mttr = out.mttr ?? out.zoneMttr;
  if (mttr === undefined) throw new RangeError('needs mttr, the mean time to repair');
  return { ...out, mttr };
}

/** The text parseFailureSpec reads back to the same spec. */
export function formatFailureSpec(spec: FailureSpec): string {
  const parts: string[] = [];
  if (spec.mtbf !== undefined) parts.push(`mtbf=${spec.mtbf}`);
  parts.push(`mttr=${spec.mttr}`);
  if (spec.zoneMtbf !== undefined) parts.push(`zone-mtbf=${spec.zoneMtbf}`);
  if (spec.zoneMttr !== undefined) parts.push(`zone-mttr=${spec.zoneMttr}`);
  if (spec.zoneLabel !== undefined) parts.push(`zone-label=${spec.zoneLabel}`);
  return parts.join(',');
}

const UNIT: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/.exec(text.trim());
  if (!m) return undefined;
  const seconds = Number(m[1]) * UNIT[m[2]!]!;
  return seconds > 0 && Number.isFinite(seconds) ? seconds : undefined;
}
