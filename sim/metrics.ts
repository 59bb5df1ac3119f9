// Run metrics: time-weighted integrals of the cluster's load, peaks, the waiting-time
// histogram, and the bucketed time series. The simulation calls advance(now) before it changes
// any quantity, then changes the quantity in `current`.

import { Histogram } from './histogram.ts';
import { TimeSeries } from './timeseries.ts';

/** The quantities tracked over time, as indices into `current`. */
export const Channel = {
  allocCpu: 0,
  allocMemory: 1,
  allocGpu: 2,
  capCpu: 3, // over up nodes
  capMemory: 4,
  capGpu: 5,
  activeNodes: 6, // nodes running at least one task
  pending: 7,
  running: 8,
} as const;
const CHANNELS = 9;

export class Metrics {
  readonly current = new Float64Array(CHANNELS);
  readonly waits = new Histogram();
  readonly series: TimeSeries;
  peakActiveNodes = 0;
  peakPending = 0;
  private readonly totals = new Float64Array(CHANNELS);
  private readonly arrivalTotals = new Float64Array(CHANNELS);
  private lastArrival: number;
  private last: number;

  constructor(readonly origin: number) {
    this.last = origin;
    this.lastArrival = origin;
    this.series = new TimeSeries(CHANNELS, origin);
  }

  /** Integrates the current values up to `now` (µs). */
  advance(now: number): void {
    if (now <= this.last) return;
    const dt = now - this.last;
    for (let c = 0; c < CHANNELS; c++) this.totals[c]! += this.current[c]! * dt;
    this.series.add(this.last, now, this.current);
    this.last = now;
  }

  add(channel: number, delta: number): void {
    const v = (this.current[channel]! += delta);
    if (channel === Channel.activeNodes && v > this.peakActiveNodes) this.peakActiveNodes = v;
    else if (channel === Channel.pending && v > this.peakPending) this.peakPending = v;
  }

  /** Marks a task arrival at `now` (after advance(now)): the measurement window ends at the last. */
  arrival(now: number): void {
    if (now === this.lastArrival) return;
    this.lastArrival = now;
    this.arrivalTotals.set(this.totals);
  }

  /**
   * The measurement window, µs: from the first arrival to the last, while work arrives and
   * before the cluster drains; the whole run when every task arrived at once.
   */
  get window(): { readonly start: number; readonly end: number } {
    return { start: this.origin, end: this.lastArrival > this.origin ? this.lastArrival : this.last };
  }

  /** Integral of a channel over the measurement window, in its unit times µs. */
  integral(channel: number): number {
    return (this.lastArrival > this.origin ? this.arrivalTotals : this.totals)[channel]!;
  }

  /** Integral of a channel over the whole run. */
  integralOverRun(channel: number): number {
    return this.totals[channel]!;
  }

  /** Time-weighted mean of a channel over the measurement window. */
  mean(channel: number): number {
    const { start, end } = this.window;
    return end > start ? this.integral(channel) / (end - start) : this.current[channel]!;
  }
}
