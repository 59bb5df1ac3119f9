// The event queue in the hold model (the classic priority-queue benchmark): a fixed number of
// live events; each dispatched event schedules one more a random time later, so every event
// is one pop and one push. Side by side: the engine; the engine's order on fastpriorityqueue as
// the engine kept it before its own heap (slot numbers, a comparator that looks up each slot's
// key and sequence), to show why it has its own; and a bare fastpriorityqueue of numbers (the
// floor the engine's (time, class, sequence) order and bookkeeping cost on top of).

import FastPriorityQueue from 'fastpriorityqueue';
import { Engine } from '../sim/engine.ts';
import { stream } from '../sim/random.ts';
import { measureIsolated, type Case, type IsolatedCase, type Row } from './util.ts';

const DELAYS = 1 << 16;
const PER_CALL = 100_000;

function delays(mean: number): Float64Array {
  const r = stream(1, 'bench/queue');
  return Float64Array.from({ length: DELAYS }, () => Math.floor(r() * 2 * mean));
}

export function engineCase(live: number): Case {
  // Delays average `live` µs, so about one event falls due per µs and a window of PER_CALL µs
  // dispatches about PER_CALL events.
  const d = delays(live);
  let k = 0;
  const engine: Engine = new Engine((cls, payload, now) => {
    engine.schedule(now + d[k++ & (DELAYS - 1)]!, cls, payload);
  });
  for (let i = 0; i < live; i++) engine.schedule(d[k++ & (DELAYS - 1)]!, i % 4, i);
  let calls = 0;
  return {
    name: `engine, ${live.toLocaleString('en-US')} live events`,
    fn: () => {
      engine.run(engine.now + PER_CALL);
      calls++;
    },
    units: () => engine.dispatched / calls,
  };
}

export function bareCase(live: number): Case {
  const d = delays(live);
  let k = 0;
  const heap = new FastPriorityQueue<number>((a, b) => a < b);
  for (let i = 0; i < live; i++) heap.add(d[k++ & (DELAYS - 1)]!);
  return {
    name: `bare heap of numbers, ${live.toLocaleString('en-US')} live`,
    fn: () => {
      for (let i = 0; i < PER_CALL; i++) {
        const t = heap.poll()!;
        heap.add(t + d[k++ & (DELAYS - 1)]!);
      }
    },
    units: () => PER_CALL,
  };
}

/** The engine's order as it was kept on fastpriorityqueue: slots, their keys looked up per comparison. */
export function slotHeapCase(live: number): Case {
  const d = delays(live);
  let k = 0;
  const key = new Float64Array(live), seq = new Float64Array(live);
  let nextSeq = 0;
  const heap = new FastPriorityQueue<number>((a, b) => {
    const ka = key[a]!, kb = key[b]!;
    return ka !== kb ? ka < kb : seq[a]! < seq[b]!;
  });
  const schedule = (slot: number, time: number) => {
    key[slot] = time * 16 + (slot & 3);
    seq[slot] = nextSeq++;
    heap.add(slot);
  };
  for (let i = 0; i < live; i++) schedule(i, d[k++ & (DELAYS - 1)]!);
  return {
    name: `the same order on fastpriorityqueue of slots, ${live.toLocaleString('en-US')} live`,
    fn: () => {
      for (let i = 0; i < PER_CALL; i++) {
        const slot = heap.poll()!;
        schedule(slot, Math.floor(key[slot]! / 16) + d[k++ & (DELAYS - 1)]!);
      }
    },
    units: () => PER_CALL,
  };
}

export function queueBench(): Promise<Row[]> {
  const cases: IsolatedCase[] = [];
  for (const live of [1_000, 100_000, 1_000_000]) {
    cases.push({ file: new URL(import.meta.url), factory: 'engineCase', args: [live] });
    cases.push({ file: new URL(import.meta.url), factory: 'slotHeapCase', args: [live] });
    cases.push({ file: new URL(import.meta.url), factory: 'bareCase', args: [live] });
  }
  return measureIsolated('event queue (hold model: one pop and one push per event; each case in its own isolate)', 'events', cases);
}
