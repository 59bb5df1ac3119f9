// The `production` preset: a cell and a workload that look like a production cluster of the
// kind the Google and Alibaba traces describe, seeded and reproducible.
//
// Cell: heterogeneous machine shapes (mostly 16-core machines with 64 or 128 GiB, some larger
// and smaller ones, a few GPU machines), spread over three zones, labelled with zone and
// hardware generation.
//
// Workload:
// - the cell is warm when the window opens, as in Google's trace: the tasks a steady state would
//   hold run from time 0, each with the time it has left;
// - jobs arrive as a Poisson process whose rate follows a daily cycle (±25 % around the mean,
//   starting at the mean and rising); a job is 1 to 64 tasks of one shape, submitted together;
// - task shapes from a mix of small and large cpu/memory requests, jittered per job;
//   GPU tasks (fractions of a GPU up to two GPUs) only when the cell has GPUs;
// - priorities in Google's bands: free (0-1), batch (2-8), production (9-11);
// - durations heavy-tailed: log-normal for free and batch work (median 4 min), bounded
//   Pareto for production services (10 min to 2 days, shape 1.2).
// The arrival rate is set so that the offered load (requests times durations over capacity,
// for the scarcer of cpu and memory) is the requested fraction of the cell, averaged over days.
//
// Times are multiples of 1/64 s (15.625 ms): the finest step that is both a whole number of
// microseconds and exact in binary floating point, so a tool that reads the CSV as floats
// (the SimPy peer) sees exactly the same instants and ties.

import type { NodeGroup, NodeSpec } from '../../sim/cluster-file.ts';
import {
  WeightedChoice, boundedPareto, boundedParetoMean, exponential, logNormal, stream, type Random,
} from '../../sim/random.ts';
import { MIB_PER_GIB, MILLI_PER_CORE, MILLI_PER_GPU } from '../../sim/units.ts';
import type { TaskRecord } from '../record.ts';

const TICK_MICROS = 15_625;
const DAY_SECONDS = 86_400;

// ---- The cell ----

const MACHINES = [
  { share: 0.5, cpu: 16, memory: 64, gpu: 0, gen: 'v2' },
  { share: 0.25, cpu: 16, memory: 128, gpu: 0, gen: 'v2' },
  { share: 0.1, cpu: 32, memory: 128, gpu: 0, gen: 'v3' },
  { share: 0.08, cpu: 8, memory: 32, gpu: 0, gen: 'v1' },
  { share: 0.05, cpu: 32, memory: 256, gpu: 0, gen: 'v3' },
  { share: 0.02, cpu: 32, memory: 256, gpu: 8, gen: 'v3' },
] as const;
const ZONES = ['a', 'b', 'c'] as const;

/** Node groups of a production-like cell of `nodes` machines, in file order. */
export function productionCell(nodes: number): NodeGroup[] {
  if (!(Number.isInteger(nodes) && nodes >= 1)) throw new RangeError(`a cell needs a whole number of nodes >= 1, got ${nodes}`);
  const groups: NodeGroup[] = [];
  largestRemainder(nodes, MACHINES.map((m) => m.share)).forEach((count, i) => {
    const m = MACHINES[i]!;
    const shape = `${m.gen}-${m.cpu}c${m.memory}g${m.gpu > 0 ? `${m.gpu}gpu` : ''}`;
    largestRemainder(count, ZONES.map(() => 1)).forEach((inZone, z) => {
      if (inZone === 0) return;
      const zone = ZONES[z]!;
      groups.push({
        name: `${shape}-${zone}`, count: inZone, cpu: m.cpu, memory: m.memory, gpu: m.gpu,
        labels: { zone, gen: m.gen, ...(m.gpu > 0 && { 'gpu-model': 'A100' }) },
      });
    });
  });
  return groups;
}

/** Splits `total` in proportion to `weights`, in whole numbers that sum to total. */
function largestRemainder(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    counts[i]!++;
  }
  return counts;
}

// ---- The workload ----

const SHAPES = [
  { weight: 30, cpu: 0.25, memory: 0.5 },
  { weight: 28, cpu: 0.5, memory: 1 },
  { weight: 18, cpu: 1, memory: 2 },
  { weight: 10, cpu: 1, memory: 4 },
  { weight: 7, cpu: 2, memory: 8 },
  { weight: 4, cpu: 4, memory: 16 },
  { weight: 2, cpu: 1, memory: 16 },
  { weight: 1, cpu: 8, memory: 32 },
] as const;
const GPU_SHAPE = { weight: 1, cpu: 4, memory: 32 } as const;
const GPU_REQUESTS = [0.25, 0.5, 1, 2] as const;
const JITTER_SIGMA = 0.25;
const CPU_STEP = 50; // millicores
const MEMORY_STEP = 64; // MiB

const BANDS = [
  { weight: 0.25, priorities: [0, 1] },
  { weight: 0.6, priorities: [2, 3, 4, 5, 6, 7, 8] },
  { weight: 0.15, priorities: [9, 10, 11] },
] as const;
const PRODUCTION_BAND = 2;
const BATCH_MEDIAN = 240;
const BATCH_SIGMA = 1.4;
const BATCH_MAX = 3 * DAY_SECONDS;
const SERVICE_ALPHA = 1.2;
const SERVICE_MIN = 600;
const SERVICE_MAX = 2 * DAY_SECONDS;

const JOB_SIZES = [1, 2, 4, 8, 16, 32, 64] as const;
const JOB_SIZE_WEIGHTS = [0.55, 0.15, 0.12, 0.08, 0.05, 0.03, 0.02] as const;
const DAILY_AMPLITUDE = 0.25;
const USERS = 40;

export interface WorkloadOptions {
  readonly tasks: number;
  /** Offered load as a fraction of the cluster's capacity. */
  readonly load: number;
  readonly seed: number | string;
  /** The cluster the load is relative to. */
  readonly nodes: readonly NodeSpec[];
}

/** The production-like workload, in submit order. */
export function* productionWorkload(opts: WorkloadOptions): Generator<TaskRecord> {
  const model = new Model(opts);
  const arrivals = stream(opts.seed, 'workload/production/arrivals');
  let emitted = 0;
  let job = 0;
  // The cell is already running when the window opens: the expected number of tasks a steady
  // state holds (rate times mean duration), each with its remaining time.
  const warm = Math.min(opts.tasks, Math.round(model.taskRate * model.meanDuration));
  while (emitted < warm) {
    for (const task of model.job(job++, 0, warm - emitted, true, emitted)) {
      emitted++;
      yield task;
    }
  }
  // Thinning: candidate arrivals at the peak rate, kept in proportion to the rate at their time.
  const peak = model.jobRate * (1 + DAILY_AMPLITUDE);
  let t = 0;
  while (emitted < opts.tasks) {
    do t += exponential(arrivals, peak);
    while (arrivals() * peak > model.jobRate * (1 + DAILY_AMPLITUDE * Math.sin((2 * Math.PI * t) / DAY_SECONDS)));
    const submit = Math.max(1, Math.round(t * 64)) * TICK_MICROS;
    for (const task of model.job(job++, submit, opts.tasks - emitted, false, emitted)) {
      emitted++;
      yield task;
    }
  }
}

/** The distributions, and the rates that give the requested load. */
class Model {
  readonly taskRate: number;
  readonly jobRate: number;
  readonly meanDuration: number;
  private readonly shapes: readonly { weight: number; cpu: number; memory: number }[];
  private readonly shapeChoice: WeightedChoice;
  private readonly bandChoice = new WeightedChoice(BANDS.map((b) => b.weight));
  private readonly sizeChoice = new WeightedChoice(JOB_SIZE_WEIGHTS);
  private readonly userChoice = new WeightedChoice(Array.from({ length: USERS }, (_, i) => 1 / (i + 1)));
  private readonly jobs: Random;
  private readonly durations: Random;
  private readonly maxCpu: number;
  private readonly maxMemory: number;

  constructor({ load, seed, nodes }: WorkloadOptions) {
    const capacity = totals(nodes);
    this.maxCpu = capacity.maxCpu;
    this.maxMemory = capacity.maxMemory;
    this.shapes = capacity.gpu > 0 ? [...SHAPES, GPU_SHAPE] : [...SHAPES];
    this.shapeChoice = new WeightedChoice(this.shapes.map((s) => s.weight));
    this.jobs = stream(seed, 'workload/production/jobs');
    this.durations = stream(seed, 'workload/production/durations');
    // Offered load: λ · E[request] · E[duration] / capacity, for the scarcer resource.
    const jitterMean = Math.exp((JITTER_SIGMA * JITTER_SIGMA) / 2);
    const total = this.shapes.reduce((a, s) => a + s.weight, 0);
    const meanCpu = this.shapes.reduce((a, s) => a + (s.weight / total) * s.cpu, 0) * jitterMean * MILLI_PER_CORE;
    const meanMem = this.shapes.reduce((a, s) => a + (s.weight / total) * s.memory, 0) * jitterMean * MIB_PER_GIB;
    const batchMean = BATCH_MEDIAN * Math.exp((BATCH_SIGMA * BATCH_SIGMA) / 2);
    const serviceMean = boundedParetoMean(SERVICE_ALPHA, SERVICE_MIN, SERVICE_MAX);
    this.meanDuration = BANDS.reduce((a, b, i) => a + b.weight * (i === PRODUCTION_BAND ? serviceMean : batchMean), 0);
    const pressure = Math.max(meanCpu / capacity.cpu, meanMem / capacity.memory) * this.meanDuration;
    this.taskRate = load / pressure;
    this.jobRate = this.taskRate / JOB_SIZES.reduce((a, size, i) => a + size * JOB_SIZE_WEIGHTS[i]!, 0);
  }

  /**
   * The tasks of one job (at most `room`), numbered from `first`. Each record is one literal in
   * the field order the trace readers use: records of one shape keep the simulator's property
   * reads monomorphic (built by a spread, they made a whole run twice as slow).
   */
  *job(index: number, submit: number, room: number, running: boolean, first: number): Generator<TaskRecord> {
    const r = this.jobs;
    const shape = this.shapes[this.shapeChoice.pick(r)]!;
    const band = this.bandChoice.pick(r);
    const priorities = BANDS[band]!.priorities;
    const priority = priorities[Math.floor(r() * priorities.length)]!;
    const size = Math.min(JOB_SIZES[this.sizeChoice.pick(r)]!, room);
    const user = `u${this.userChoice.pick(r)}`;
    const cpu = clampStep(shape.cpu * MILLI_PER_CORE * logNormal(r, 1, JITTER_SIGMA), CPU_STEP, this.maxCpu);
    const memory = clampStep(shape.memory * MIB_PER_GIB * logNormal(r, 1, JITTER_SIGMA), MEMORY_STEP, this.maxMemory);
    const gpu = shape === GPU_SHAPE ? GPU_REQUESTS[Math.floor(r() * GPU_REQUESTS.length)]! * MILLI_PER_GPU : 0;
    for (let k = 0; k < size; k++) {
      const seconds = running ? this.remaining(band) : this.duration(band);
      const duration = Math.max(1, Math.round(seconds * 64)) * TICK_MICROS;
      yield { kind: 'task', id: `task-${first + k}`, submit, duration, cpu, memory, gpu, priority, job: `job-${index}`, user };
    }
  }

  private duration(band: number): number {
    return band === PRODUCTION_BAND
      ? boundedPareto(this.durations, SERVICE_ALPHA, SERVICE_MIN, SERVICE_MAX)
      : Math.min(BATCH_MAX, logNormal(this.durations, BATCH_MEDIAN, BATCH_SIGMA));
  }

  /**
   * Time left for a task found running in the steady state: a uniform share of a duration
   * drawn length-biased (long tasks are more likely to be running). The length-biased
   * log-normal is log-normal with the median times e^(σ²); the length-biased bounded Pareto is
   * bounded Pareto with shape α - 1.
   */
  private remaining(band: number): number {
    const d = this.durations;
    const total = band === PRODUCTION_BAND
      ? boundedPareto(d, SERVICE_ALPHA - 1, SERVICE_MIN, SERVICE_MAX)
      : Math.min(BATCH_MAX, logNormal(d, BATCH_MEDIAN * Math.exp(BATCH_SIGMA * BATCH_SIGMA), BATCH_SIGMA));
    return d() * total;
  }
}

function clampStep(value: number, step: number, max: number): number {
  const stepped = Math.max(step, Math.round(value / step) * step);
  return Math.min(stepped, Math.floor(max / step) * step);
}

function totals(nodes: readonly NodeSpec[]) {
  let cpu = 0, memory = 0, gpu = 0, maxCpu = 0, maxMemory = 0;
  for (const n of nodes) {
    cpu += n.cpu;
    memory += n.memory;
    gpu += n.gpu;
    maxCpu = Math.max(maxCpu, n.cpu);
    maxMemory = Math.max(maxMemory, n.memory);
  }
  return { cpu, memory, gpu, maxCpu, maxMemory };
}
