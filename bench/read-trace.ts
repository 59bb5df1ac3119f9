// One whole read of a trace, timed: bundled by readers.bench.ts and run as the command line runs
// (an esbuild bundle, not the sources through tsx, whose name-keeping wrappers cost a reader
// that makes a closure per row about a third of its speed).

import { openTrace, type TraceFormat } from '../traces/formats/index.ts';

export async function timeRead(format: TraceFormat, files: string[]): Promise<{ seconds: number; tasks: number }> {
  const start = process.hrtime.bigint();
  const trace = openTrace(format, files, { replay: 'reschedule', skipBadRows: false });
  let tasks = 0;
  for await (const batch of trace.source) for (const r of batch) if (r.kind === 'task') tasks++;
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, tasks };
}
