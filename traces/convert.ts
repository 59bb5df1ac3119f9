// `berth trace convert`: any trace's tasks as a native CSV trace, the one every tool reads. The
// native format holds a task's id, submit, duration, sizes, priority, job and user; what a
// trace says beyond that is not written, and counted here so that the user is told.

import { writeNativeCsv } from './native.ts';
import type { Column } from './fields.ts';
import type { TaskRecord, TaskSource } from './record.ts';

export interface Conversion {
  readonly tasks: number;
  /** What the native format cannot hold, in tasks (or machine changes) that had it. */
  readonly notWritten: {
    readonly constraints: number;
    readonly dependencies: number;
    readonly estimates: number;
    readonly schedulingClasses: number;
    readonly machineChanges: number;
  };
}

export async function convertToNative(source: TaskSource, out: string, columns?: readonly Column[], onBatch?: (tasks: number) => void): Promise<Conversion> {
  const notWritten = { constraints: 0, dependencies: 0, estimates: 0, schedulingClasses: 0, machineChanges: 0 };
  let seen = 0;
  async function* tasks(): AsyncGenerator<TaskRecord> {
    for await (const batch of source) {
      for (const r of batch) {
        if (r.kind === 'node') {
          notWritten.machineChanges++;
          continue;
        }
        if (r.constraints && r.constraints.length > 0) notWritten.constraints++;
        if (r.after && r.after.length > 0) notWritten.dependencies++;
        if (r.estimate !== undefined) notWritten.estimates++;
        if (r.schedulingClass !== undefined) notWritten.schedulingClasses++;
        seen++;
        yield r;
      }
      onBatch?.(seen);
    }
  }
  const written = await writeNativeCsv(tasks(), out, columns);
  return { tasks: written, notWritten };
}
