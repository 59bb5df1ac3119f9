// The digest of a run's placement log: SHA-256 over one 32-byte record per row, in log order,
// of (task's position in the trace, node index, start µs, end µs) as little-endian float64.
// Two runs with the same inputs, scheduler, options and seed must give the same digest on any
// machine; it is cheap enough to compute on every run (about 1 s per 25 million rows).

import { createHash, type Hash } from 'node:crypto';

const RECORD_BYTES = 32;
const RECORDS_PER_CHUNK = 4096;

export class PlacementDigest {
  private readonly hash: Hash = createHash('sha256');
  private readonly buffer = new ArrayBuffer(RECORD_BYTES * RECORDS_PER_CHUNK);
  private readonly view = new DataView(this.buffer);
  private filled = 0;

  add(ordinal: number, node: number, start: number, end: number): void {
    const at = this.filled * RECORD_BYTES;
    this.view.setFloat64(at, ordinal, true);
    this.view.setFloat64(at + 8, node, true);
    this.view.setFloat64(at + 16, start, true);
    this.view.setFloat64(at + 24, end, true);
    if (++this.filled === RECORDS_PER_CHUNK) this.flush();
  }

  /** "sha256:<hex>". Call once, at the end. */
  finish(): string {
    this.flush();
    return 'sha256:' + this.hash.digest('hex');
  }

  private flush(): void {
    if (this.filled === 0) return;
    this.hash.update(new Uint8Array(this.buffer, 0, this.filled * RECORD_BYTES));
    this.filled = 0;
  }
}
