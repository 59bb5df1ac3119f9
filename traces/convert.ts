// `berth trace convert`: any trace's tasks as a native CSV trace, the one every tool reads. The
// native format holds a task's id, submit, duration, sizes, priority, job and user, and its
// placement rules when the columns ask for them; what a trace says beyond the columns written
// is counted here so that the user is told.

import { DEFAULT_COLUMNS, writeNativeCsv } from './native.ts';
import type { Column } from './fields.ts';
import type { TaskRecord, TaskSource } from './record.ts';

export interface Conversion {
  readonly tasks: number;
  /** What was not written (not in the columns, or not in the native format), in tasks (or machine changes) that had it. */
  readonly notWritten: {
    readonly constraints: number;
    readonly dependencies: number;
    readonly estimates: number;
    readonly schedulingClasses: number;
    readonly machineChanges: number;
  };
}

export async function convertToNative(
  source: TaskSource, out: string, columns: readonly Column[] = DEFAULT_COLUMNS, onBatch?: (tasks: number) => void,
): Promise<Conversion> {
  const notWritten = { constraints: 0, dependencies: 0, estimates: 0, schedulingClasses: 0, machineChanges: 0 };
  const withConstraints = columns.includes('constraints');
  let seen = 0;
  async function* tasks(): AsyncGenerator<TaskRecord> {
    for await (const batch of source) {
      for (const r of batch) {
        if (r.kind === 'node') {
          notWritten.machineChanges++;
          continue;
        }
        if (!withConstraints && r.constraints && r.constraints.length > 0) notWritten.constraints++;
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
