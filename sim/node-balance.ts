// Node-level balance: how unevenly cpu is allocated across the up nodes, kept as running sums
// of each node's cpu utilization u and of u², so that the standard deviation and coefficient of
// variation across nodes are known after every change in O(1). The simulation updates a node
// whenever its allocation, capacity or status changes.

export class NodeBalance {
  /** Each up node's cpu utilization as last counted; NaN for a node that is not up. */
  private readonly util: Float64Array;
  private sum = 0;
  private sumSquares = 0;
  private up = 0;
  /** Changes since the sums were recomputed from scratch (bounds floating-point drift). */
  private changes = 0;

  constructor(nodes: number, isUp: (node: number) => boolean) {
    this.util = new Float64Array(nodes).fill(NaN);
    for (let i = 0; i < nodes; i++) if (isUp(i)) this.set(i, 0);
  }

  /** The node is up with cpu utilization u (allocated over capacity). */
  set(node: number, u: number): void {
    const old = this.util[node]!;
    if (Number.isNaN(old)) this.up++;
    else {
      this.sum -= old;
      this.sumSquares -= old * old;
    }
    this.util[node] = u;
    this.sum += u;
    this.sumSquares += u * u;
    if (++this.changes >= RECOMPUTE_EVERY) this.recompute();
  }

  /** The node is no longer up. */
  remove(node: number): void {
    const old = this.util[node]!;
    if (Number.isNaN(old)) return;
    this.up--;
    this.sum -= old;
    this.sumSquares -= old * old;
    this.util[node] = NaN;
  }

  /** Standard deviation of cpu utilization across up nodes (0-1 scale; 0 with no up node). */
  get stdDev(): number {
    if (this.up === 0) return 0;
    const mean = this.sum / this.up;
    return Math.sqrt(Math.max(0, this.sumSquares / this.up - mean * mean));
  }

  /** Coefficient of variation: standard deviation over mean (0 when nothing is allocated). */
  get cv(): number {
    const mean = this.up === 0 ? 0 : this.sum / this.up;
    return mean > 1e-12 ? this.stdDev / mean : 0;
  }

  private recompute(): void {
    this.changes = 0;
    let sum = 0, squares = 0;
    for (const u of this.util) if (!Number.isNaN(u)) { sum += u; squares += u * u; }
    this.sum = sum;
    this.sumSquares = squares;
  }
}

/** Often enough that drift stays far below the figures' 6 digits, rarely enough to cost nothing. */
const RECOMPUTE_EVERY = 1 << 20;
