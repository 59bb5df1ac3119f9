// Merging streams that are each in order of time into one, in order of time; equal times keep
// the order of the streams. For trace part files, and for the sorted runs of sort.ts.

import FastPriorityQueue from 'fastpriorityqueue';

interface Head<T> {
  readonly index: number;
  readonly it: AsyncIterator<readonly T[]>;
  batch: readonly T[];
  at: number;
  /** Time of batch[at]. */
  time: number;
}

/** A k-way merge of batched streams, each sorted by `time`; yields batches of `batchSize`. */
export async function* mergeByTime<T>(
  sources: readonly AsyncIterable<readonly T[]>[], time: (item: T) => number, batchSize = 4096,
): AsyncGenerator<T[]> {
  if (sources.length === 1) {
    yield* sources[0]! as AsyncIterable<T[]>;
    return;
  }
  const heads: Head<T>[] = sources.map((s, index) => ({ index, it: s[Symbol.asyncIterator](), batch: [], at: 0, time: 0 }));
  const queue = new FastPriorityQueue<Head<T>>((a, b) => (a.time !== b.time ? a.time < b.time : a.index < b.index));
  // Moves a head to its next item, refilling its batch; returns false when its stream has ended.
  const advance = async (h: Head<T>): Promise<boolean> => {
    while (h.at >= h.batch.length) {
      const next = await h.it.next();
      if (next.done) return false;
      h.batch = next.value;
      h.at = 0;
    }
    h.time = time(h.batch[h.at]!);
    return true;
  };
  const open = new Set(heads);
  try {
    for (const h of heads) {
      if (await advance(h)) queue.add(h);
      else open.delete(h);
    }
    let out: T[] = [];
    for (let h = queue.poll(); h !== undefined; h = queue.poll()) {
      out.push(h.batch[h.at++]!);
      if (out.length >= batchSize) {
        yield out;
        out = [];
      }
      if (await advance(h)) queue.add(h);
      else open.delete(h);
    }
    if (out.length > 0) yield out;
  } finally {
    for (const h of open) await h.it.return?.();
  }
}
