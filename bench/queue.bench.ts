// The event queue in the hold model (the classic priority-queue benchmark): a fixed number of
// live events; each dispatched event schedules one more a random time later, so every event
// is one pop and one push. Side by side: the engine; the engine as it was on fastpriorityqueue
// (slot numbers, a comparator that looks up each slot's key and sequence), to show why it has a
// heap of its own; and a bare fastpriorityqueue of numbers (the floor the engine's (time, class,
// sequence) order and bookkeeping cost on top of).

import FastPriorityQueue from 'fastpriorityqueue';
import { Engine, MAX_EVENT_CLASS, MAX_EVENT_TIME } from '../sim/engine.ts';
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

/**
 * The engine as it was before its own heap, its hot path only (fixed capacity: the hold model
 * keeps the number of events constant): slots in typed arrays, and fastpriorityqueue holding
 * slot numbers with a comparator that looks each slot's key and sequence up.
 */
class SlotHeapEngine {
  now = 0;
  dispatched = 0;
  private readonly key: Float64Array;
  private readonly seq: Float64Array;
  private readonly payload: Int32Array;
  private readonly live: Uint8Array;
  private readonly freeSlots: Int32Array;
  private freeCount: number;
  private nextSeq = 0;
  private readonly heap: FastPriorityQueue<number>;

  constructor(private readonly dispatch: (cls: number, payload: number, now: number) => void, capacity: number) {
    this.key = new Float64Array(capacity);
    this.seq = new Float64Array(capacity);
    this.payload = new Int32Array(capacity);
    this.live = new Uint8Array(capacity);
    this.freeSlots = Int32Array.from({ length: capacity }, (_, i) => capacity - 1 - i);
    this.freeCount = capacity;
    const key = this.key, seq = this.seq;
    this.heap = new FastPriorityQueue<number>((a, b) => {
      const ka = key[a]!, kb = key[b]!;
      return ka !== kb ? ka < kb : seq[a]! < seq[b]!;
    });
  }

  schedule(time: number, cls: number, payload: number): void {
    if (!(time >= this.now && time <= MAX_EVENT_TIME) || !Number.isInteger(time)) throw new RangeError(`bad time ${time}`);
    if (!(cls >= 0 && cls <= MAX_EVENT_CLASS && Number.isInteger(cls))) throw new RangeError(`bad class ${cls}`);
    const slot = this.freeSlots[--this.freeCount]!;
    this.key[slot] = time * 16 + cls;
    this.seq[slot] = this.nextSeq++;
    this.payload[slot] = payload;
    this.live[slot] = 1;
    this.heap.add(slot);
  }

  run(limit: number): void {
    for (;;) {
      const slot = this.heap.peek();
      if (slot === undefined) break;
      const key = this.key[slot]!;
      const t = Math.floor(key / 16);
      if (t > limit) break;
      this.heap.poll();
      const state = this.live[slot];
      const payload = this.payload[slot]!;
      this.live[slot] = 0;
      this.freeSlots[this.freeCount++] = slot;
      if (state !== 1) continue;
      this.now = t;
      this.dispatched++;
      this.dispatch(key - t * 16, payload, t);
    }
  }
}

export function slotHeapCase(live: number): Case {
  const d = delays(live);
  let k = 0;
  const engine: SlotHeapEngine = new SlotHeapEngine((cls, payload, now) => {
    engine.schedule(now + d[k++ & (DELAYS - 1)]!, cls, payload);
  }, live + 1);
  for (let i = 0; i < live; i++) engine.schedule(d[k++ & (DELAYS - 1)]!, i % 4, i);
  let calls = 0;
  return {
    name: `the engine before, on fastpriorityqueue, ${live.toLocaleString('en-US')} live`,
    fn: () => {
      engine.run(engine.now + PER_CALL);
      calls++;
    },
    units: () => engine.dispatched / calls,
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
