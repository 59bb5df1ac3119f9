// The lifecycle of Google's tasks, shared by the 2011 and 2019 readers: events (submit,
// schedule, evict, fail, finish, kill, lost, update) in order of time are joined per task into
// the records berth replays. A task's record can be written only once its attempt ends, so the
// join holds the tasks in flight (memory grows with the trace's live tasks) and writes records
// as attempts end; sort.ts then puts them back in order of submit time.
//
// reschedule (berth's scheduler places every task):
// - a task arrives at its first submit; its duration is the run time of the attempt that ends it
//   (schedule to finish, fail or kill): what the task itself did;
// - attempts ended by evict or lost are the trace scheduler's and machines' doing: they are not
//   replayed, and the task's next attempt keeps the first submit time;
// - a task submitted again after a fail or kill arrives again, as a new task;
// - tasks running at the start of the window (its time-0 snapshot) arrive at time 0;
// - tasks still running at the end of the trace run to its end (the last time it records);
// - tasks killed or failed before they ever ran, or never scheduled, are left out and counted.
// trace (the trace's own placement): every attempt, evicted and lost ones included, arrives at
// its own submit, starts on its machine at its schedule time and runs to its end.

import type { Constraint, TaskRecord } from '../record.ts';
import { leaveOut, type ReadStats } from './common.ts';
import type { ReplayMode } from '../../sim/simulation.ts';

export type LifecycleEvent = 'submit' | 'schedule' | 'evict' | 'fail' | 'finish' | 'kill' | 'lost' | 'update' | 'other';

/** One task event, normalised (times µs; amounts in base units, when the row gives them). */
export interface TaskEvent {
  readonly time: number;
  readonly job: string;
  readonly index: string;
  readonly event: LifecycleEvent;
  readonly machine?: string | undefined;
  readonly cpu?: number | undefined;
  readonly memory?: number | undefined;
  readonly priority?: number | undefined;
  readonly schedulingClass?: number | undefined;
  readonly user?: string | undefined;
  readonly constraints?: readonly Constraint[] | undefined;
}

interface InFlight {
  readonly job: string;
  /** The first submit, and the latest (they differ after an eviction). */
  submit: number;
  resubmit: number;
  schedule?: number;
  machine?: string;
  cpu: number;
  memory: number;
  priority: number;
  schedulingClass?: number;
  user?: string;
  constraints?: Constraint[];
}

export class TaskJoin {
  private readonly tasks = new Map<string, InFlight>();
  /** The latest time seen: the end of the trace for tasks still running. */
  private last = 0;

  constructor(private readonly mode: ReplayMode, private readonly stats: ReadStats) {}

  /** Applies an event; returns the record it completes, if any. */
  apply(e: TaskEvent): TaskRecord | undefined {
    this.last = Math.max(this.last, e.time);
    const key = `${e.job}-${e.index}`;
    let t = this.tasks.get(key);
    if (!t) {
      if (e.event !== 'submit' && e.event !== 'schedule' && e.event !== 'update') return undefined;
      t = { job: e.job, submit: e.time, resubmit: e.time, cpu: 0, memory: 0, priority: 0 };
      this.tasks.set(key, t);
    }
    if (e.cpu !== undefined) t.cpu = e.cpu;
    if (e.memory !== undefined) t.memory = e.memory;
    if (e.priority !== undefined) t.priority = e.priority;
    if (e.schedulingClass !== undefined) t.schedulingClass = e.schedulingClass;
    if (e.user !== undefined) t.user = e.user;
    if (e.constraints !== undefined) t.constraints = [...(t.constraints ?? []), ...e.constraints];
    switch (e.event) {
      case 'submit':
        t.resubmit = e.time;
        return undefined;
      case 'schedule':
        t.schedule = e.time;
        if (e.machine !== undefined) t.machine = e.machine;
        return undefined;
      case 'evict':
      case 'lost': {
        const attempt = this.mode === 'trace' ? this.record(key, t, e.time) : undefined;
        delete t.schedule;
        return attempt;
      }
      case 'fail':
      case 'kill':
      case 'finish': {
        this.tasks.delete(key);
        if (t.schedule === undefined) {
          leaveOut(this.stats, `${e.event === 'finish' ? 'finished' : e.event === 'fail' ? 'failed' : 'killed'} before it ever ran`);
          return undefined;
        }
        return this.record(key, t, e.time);
      }
      default:
        return undefined;
    }
  }

  /** The tasks still in flight at the end: those running run to the end of the trace. */
  *finish(): Generator<TaskRecord> {
    for (const [key, t] of this.tasks) {
      if (t.schedule === undefined) leaveOut(this.stats, 'submitted but never scheduled in the trace');
      else yield this.record(key, t, this.last);
    }
    this.tasks.clear();
  }

  private record(key: string, t: InFlight, end: number): TaskRecord {
    const start = t.schedule!;
    return {
      kind: 'task', id: key, submit: this.mode === 'trace' ? Math.min(t.resubmit, start) : t.submit,
      duration: Math.max(0, end - start), cpu: t.cpu, memory: t.memory, gpu: 0, priority: t.priority,
      job: t.job,
      ...(t.schedulingClass !== undefined && { schedulingClass: t.schedulingClass }),
      ...(t.user !== undefined && { user: t.user }),
      ...(t.constraints && { constraints: t.constraints }),
      ...(this.mode === 'trace' && t.machine !== undefined && { placed: { node: t.machine, start } }),
    };
  }
}
