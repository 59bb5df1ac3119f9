// Run metrics: time-weighted integrals of the cluster's load, peaks, the waiting-time
// histograms (all tasks, and per priority), slowdowns, and the bucketed time series. The
// simulation calls advance(now) before it changes any quantity, then changes the quantity in
// `current`. Every update is O(1): the hot path pays a few additions per event.

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
  // Not in the bucketed series (timeseries.csv): integrated for the summary only.
  /** Coefficient of variation, and standard deviation, of cpu utilization across up nodes. */
  cpuCv: 9,
  cpuStdDev: 10,
  /** Sum of the prices (per hour) of the active nodes, and of the up nodes. */
  activePrice: 11,
  upPrice: 12,
  upNodes: 13,
} as const;
const CHANNELS = 14;
/** The channels the time series keeps: the first nine. */
const SERIES_CHANNELS = 9;
/** Buckets of the time series: the default production run (3 days) gets 64 s buckets. */
const SERIES_BUCKETS = 4096;
/** Bounded slowdown's threshold, as in the HPC literature (Feitelson): 10 s. */
export const BOUNDED_SLOWDOWN_SECONDS = 10;
/** Slowdowns are recorded in thousandths, as integers. */
export const SLOWDOWN_SCALE = 1000;
/** Distinct priorities with a wait histogram of their own; more are counted under the last. */
const MAX_PRIORITIES = 64;

export class Metrics {
  readonly current = new Float64Array(CHANNELS);
  readonly waits = new Histogram();
  /** Waits by the task's priority (the first MAX_PRIORITIES distinct values). */
  readonly waitsByPriority = new Map<number, Histogram>();
  /** (wait + run) / run, and the bounded form with run at least 10 s, in thousandths; tasks with a run time. */
  readonly slowdowns = new Histogram();
  readonly boundedSlowdowns = new Histogram();
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
    this.series = new TimeSeries(SERIES_CHANNELS, origin, SERIES_BUCKETS);
  }

  /** A task starts after waiting `wait` µs. */
  recordWait(wait: number, priority: number): void {
    this.waits.record(wait);
    let h = this.waitsByPriority.get(priority);
    if (h === undefined) {
      if (this.waitsByPriority.size >= MAX_PRIORITIES) {
        // Beyond the cap, the lowest priority seen so far takes the rest (rare: traces use a few).
        h = this.waitsByPriority.get(Math.min(...this.waitsByPriority.keys()))!;
      } else {
        h = new Histogram();
        this.waitsByPriority.set(priority, h);
      }
    }
    h.record(wait);
  }

  /** A task completes: `response` µs after it was submitted, having run `run` µs. */
  recordCompletion(response: number, run: number): void {
    if (run > 0) this.slowdowns.record(Math.round((SLOWDOWN_SCALE * response) / run));
    const bounded = Math.max(1, response / Math.max(run, BOUNDED_SLOWDOWN_SECONDS * 1e6));
    this.boundedSlowdowns.record(Math.round(SLOWDOWN_SCALE * bounded));
  }

  /** Integrates the current values up to `now` (µs). */
  advance(now: number): void {
    if (now <= this.last) return;
    const dt = now - this.last;
    for (let c = 0; c < CHANNELS; c++) this.totals[c]! += this.current[c]! * dt;
    this.series.add(this.last, now, this.current);
    this.last = now;
  }

  /** Sets a channel's value (for quantities that are not sums of deltas). */
  set(channel: number, value: number): void {
    this.current[channel] = value;
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
