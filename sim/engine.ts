// The discrete-event engine: an integer-microsecond clock and one event queue.
//
// It knows nothing of clusters. An event is (time, class, payload): the caller defines what
// classes mean and dispatches them; the engine only guarantees the order. Events pop in order
// of (time, class, sequence): earlier time first, then the lower class, then the one scheduled
// first. That key is what makes same-instant order explicit and reproducible (SimPy's heap key
// is (time, priority, eid) for the same reason).
//
// The hot path allocates nothing: an event's payload and state live in a slot of typed arrays,
// and the heap is a 4-ary heap of its own whose (key, sequence, slot) entries are typed arrays in
// heap order. Time and class share one key, time * 16 + class, exact while time < 2^49 µs (17.8
// years), so most comparisons read one number, and a node's four children lie side by side. It
// replaced fastpriorityqueue holding slot numbers with a comparator that looked each slot's key
// up, a cache miss per comparison once many events wait: bench/queue.bench.ts runs both (with
// 1,000 events waiting the old layout is as fast or faster; from 100,000 on, as in large runs,
// it is slower).

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

  // Slots: what an event carries, and whether it is waiting (1), cancelled (2) or free (0).
  private payload: Int32Array;
  private live: Uint8Array;
  private freeSlots: Int32Array;
  private freeCount: number;
  private nextSeq = 0;
  // The heap, in heap order: entry i has children 4i+1 … 4i+4.
  private heapKey: Float64Array;
  private heapSeq: Float64Array;
  private heapSlot: Int32Array;
  private count = 0;

  constructor(private readonly dispatch: Dispatch, initialCapacity = 1024) {
    const n = Math.max(16, initialCapacity);
    this.payload = new Int32Array(n);
    this.live = new Uint8Array(n);
    this.freeSlots = new Int32Array(n);
    for (let i = 0; i < n; i++) this.freeSlots[i] = n - 1 - i;
    this.freeCount = n;
    this.heapKey = new Float64Array(n);
    this.heapSeq = new Float64Array(n);
    this.heapSlot = new Int32Array(n);
  }

  /** Number of events waiting (cancelled ones included until they reach the top). */
  get size(): number {
    return this.count;
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
    this.payload[slot] = payload;
    this.live[slot] = 1;
    this.push(time * CLASSES + cls, this.nextSeq++, slot);
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
    return this.count === 0 ? undefined : timeOf(this.heapKey[0]!);
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
    while (this.count > 0) {
      // Read through `this`: a handler may schedule enough to grow (replace) the arrays.
      const key = this.heapKey[0]!;
      const t = timeOf(key);
      if (inclusive ? t > limit : t >= limit) break;
      const slot = this.heapSlot[0]!;
      this.pop();
      const state = this.live[slot];
      const payload = this.payload[slot]!;
      this.live[slot] = 0;
      this.freeSlots[this.freeCount++] = slot;
      if (state !== 1) continue;
      this.now = t;
      this.dispatched++;
      this.dispatch(key - t * CLASSES, payload, t);
    }
    return this.dispatched - start;
  }

  private dropCancelled(): void {
    while (this.count > 0) {
      const slot = this.heapSlot[0]!;
      if (this.live[slot] === 1) return;
      this.pop();
      this.live[slot] = 0;
      this.freeSlots[this.freeCount++] = slot;
    }
  }

  /** Adds an entry, moving it up past the entries it comes before. */
  private push(key: number, seq: number, slot: number): void {
    const heapKey = this.heapKey, heapSeq = this.heapSeq;
    let i = this.count++;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pk = heapKey[p]!;
      if (pk < key || (pk === key && heapSeq[p]! < seq)) break;
      this.move(p, i);
      i = p;
    }
    this.put(i, key, seq, slot);
  }

  /** Removes the first entry: the last one takes its place and moves down. */
  private pop(): void {
    const heapKey = this.heapKey, heapSeq = this.heapSeq;
    const n = --this.count;
    if (n === 0) return;
    const key = heapKey[n]!, seq = heapSeq[n]!, slot = this.heapSlot[n]!;
    let i = 0;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      // The least of the (up to four) children.
      let c = first;
      let ck = heapKey[c]!;
      const last = first + 3 < n ? first + 3 : n - 1;
      for (let j = first + 1; j <= last; j++) {
        const jk = heapKey[j]!;
        if (jk < ck || (jk === ck && heapSeq[j]! < heapSeq[c]!)) {
          c = j;
          ck = jk;
        }
      }
      if (key < ck || (key === ck && seq < heapSeq[c]!)) break;
      this.move(c, i);
      i = c;
    }
    this.put(i, key, seq, slot);
  }

  /** Copies the heap's entry `from` to `to`. */
  private move(from: number, to: number): void {
    this.heapKey[to] = this.heapKey[from]!;
    this.heapSeq[to] = this.heapSeq[from]!;
    this.heapSlot[to] = this.heapSlot[from]!;
  }

  private put(i: number, key: number, seq: number, slot: number): void {
    this.heapKey[i] = key;
    this.heapSeq[i] = seq;
    this.heapSlot[i] = slot;
  }

  private grow(): void {
    const old = this.payload.length;
    const n = old * 2;
    const payload = new Int32Array(n); payload.set(this.payload); this.payload = payload;
    const live = new Uint8Array(n); live.set(this.live); this.live = live;
    const free = new Int32Array(n);
    for (let i = 0; i < old; i++) free[i] = n - 1 - i;
    this.freeSlots = free;
    this.freeCount = old;
    // Every slot is in the heap when it is full: the heap grows with the slots.
    const heapKey = new Float64Array(n); heapKey.set(this.heapKey); this.heapKey = heapKey;
    const heapSeq = new Float64Array(n); heapSeq.set(this.heapSeq); this.heapSeq = heapSeq;
    const heapSlot = new Int32Array(n); heapSlot.set(this.heapSlot); this.heapSlot = heapSlot;
  }
}

const timeOf = (key: number): number => Math.floor(key / CLASSES);
