// The discrete-event engine: an integer-microsecond clock and one event queue.
//
// It knows nothing of clusters. An event is (time, class, payload): the caller defines what
// classes mean and dispatches them; the engine only guarantees the order. Events pop in order
// of (time, class, sequence): earlier time first, then the lower class, then the one scheduled
// first. That key is what makes same-instant order explicit and reproducible (SimPy's heap key
// is (time, priority, eid) for the same reason).
//
// The hot path allocates nothing: an event lives in a slot of parallel typed arrays, and the
// heap (fastpriorityqueue) holds slot numbers, which V8 stores unboxed. Time and class share
// one key, time * 16 + class, exact while time < 2^49 µs (17.8 years), so most comparisons
// read one array.

import FastPriorityQueue from 'fastpriorityqueue';

/** Handle of a scheduled event, valid until the event is dispatched or cancelled. */
export type EventId = number & { readonly __brand: 'EventId' };

/** Receives each event in order. `cls` and `payload` are the caller's, unchanged. */
export type Dispatch = (cls: number, payload: number, now: number) => void;

/** Classes are small integers: 0 pops before 1 at the same instant. */
export const MAX_EVENT_CLASS = 15;
const CLASSES = MAX_EVENT_CLASS + 1;
/** The latest time an event may have, µs: the key time * 16 + class must stay an exact integer. */
export const MAX_EVENT_TIME = Math.floor(Number.MAX_SAFE_INTEGER / CLASSES) - 1;

export class Engine {
  /** Current simulated time in integer microseconds. */
  now = 0;
  /** Events dispatched so far. */
  dispatched = 0;

  /** time * CLASSES + class */
  private key: Float64Array;
  private seq: Float64Array;
  private payload: Int32Array;
  private live: Uint8Array;
  private freeSlots: Int32Array;
  private freeCount: number;
  private nextSeq = 0;
  private heap: FastPriorityQueue<number>;

  constructor(private readonly dispatch: Dispatch, initialCapacity = 1024) {
    const n = Math.max(16, initialCapacity);
    this.key = new Float64Array(n);
    this.seq = new Float64Array(n);
    this.payload = new Int32Array(n);
    this.live = new Uint8Array(n);
    this.freeSlots = new Int32Array(n);
    for (let i = 0; i < n; i++) this.freeSlots[i] = n - 1 - i;
    this.freeCount = n;
    this.heap = orderedBy(this.key, this.seq);
  }

  /** Number of events waiting (cancelled ones included until they reach the top). */
  get size(): number {
    return this.heap.size;
  }

  /** Schedules an event at `time` (integer µs, not before now). */
  schedule(time: number, cls: number, payload: number): EventId {
    if (!(time >= this.now && time <= MAX_EVENT_TIME) || !Number.isInteger(time)) {
      throw new RangeError(`event time ${time} must be an integer number of microseconds from now (${this.now}) to ${MAX_EVENT_TIME}`);
    }
    if (!(cls >= 0 && cls <= MAX_EVENT_CLASS && Number.isInteger(cls))) {
      throw new RangeError(`event class ${cls} must be an integer in 0..${MAX_EVENT_CLASS}`);
    }
    if (this.freeCount === 0) this.grow();
    const slot = this.freeSlots[--this.freeCount]!;
    this.key[slot] = time * CLASSES + cls;
    this.seq[slot] = this.nextSeq++;
    this.payload[slot] = payload;
    this.live[slot] = 1;
    this.heap.add(slot);
    return slot as EventId;
  }

  /** Cancels a scheduled event; it will not be dispatched. Returns false if it already ran. */
  cancel(id: EventId): boolean {
    if (this.live[id] !== 1) return false;
    this.live[id] = 2; // cancelled: skipped and recycled when it reaches the top
    return true;
  }

  /** Time of the next event, or undefined when none is waiting. */
  peekTime(): number | undefined {
    this.dropCancelled();
    const top = this.heap.peek();
    return top === undefined ? undefined : timeOf(this.key[top]!);
  }

  /** Dispatches every event with time <= until (all of them by default). Returns how many. */
  run(until = Infinity): number {
    return this.loop(until, true);
  }

  /** Dispatches every event with time < t: used to stop before an instant not yet fully known. */
  runBefore(t: number): number {
    return this.loop(t, false);
  }

  private loop(limit: number, inclusive: boolean): number {
    const start = this.dispatched;
    for (;;) {
      // Not kept in a local: a handler may schedule enough to grow the arrays, which replaces the heap.
      const slot = this.heap.peek();
      if (slot === undefined) break;
      const key = this.key[slot]!;
      const t = timeOf(key);
      if (inclusive ? t > limit : t >= limit) break;
      this.heap.poll();
      const state = this.live[slot];
      const cls = key - t * CLASSES;
      const payload = this.payload[slot]!;
      this.live[slot] = 0;
      this.freeSlots[this.freeCount++] = slot;
      if (state !== 1) continue;
      this.now = t;
      this.dispatched++;
      this.dispatch(cls, payload, t);
    }
    return this.dispatched - start;
  }

  private dropCancelled(): void {
    for (;;) {
      const slot = this.heap.peek();
      if (slot === undefined || this.live[slot] === 1) return;
      this.heap.poll();
      this.live[slot] = 0;
      this.freeSlots[this.freeCount++] = slot;
    }
  }

  private grow(): void {
    const old = this.key.length;
    const n = old * 2;
    const grow64 = (a: Float64Array) => { const b = new Float64Array(n); b.set(a); return b; };
    this.key = grow64(this.key);
    this.seq = grow64(this.seq);
    const live = new Uint8Array(n); live.set(this.live); this.live = live;
    const payload = new Int32Array(n); payload.set(this.payload); this.payload = payload;
    const free = new Int32Array(n);
    for (let i = 0; i < old; i++) free[i] = n - 1 - i;
    this.freeSlots = free;
    this.freeCount = old;
    // The comparator holds the arrays themselves (faster than reading them through `this`).
    const waiting: number[] = [];
    this.heap.forEach((slot) => waiting.push(slot));
    this.heap = orderedBy(this.key, this.seq);
    this.heap.heapify(waiting);
  }
}

const timeOf = (key: number): number => Math.floor(key / CLASSES);

/** A heap of slots in order of (key, seq). */
function orderedBy(key: Float64Array, seq: Float64Array): FastPriorityQueue<number> {
  return new FastPriorityQueue<number>((a, b) => {
    const ka = key[a]!, kb = key[b]!;
    return ka !== kb ? ka < kb : seq[a]! < seq[b]!;
  });
}
