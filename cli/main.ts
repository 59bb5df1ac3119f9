// The command line: dispatch to commands, and the one place where errors become exit codes.
//   0 success · 1 bad input (a file, a line, a field) · 2 wrong usage · 70 a bug in berth
//   (bench-ci exits 1 on a regression, too)

import { InputError } from '../sim/errors.ts';
import { VERSION } from '../sim/version.ts';
import { builtinSchedulers } from '../schedulers/registry.ts';
import { UsageError } from './args.ts';
import { CLUSTER_GENERATE_HELP, TRACE_GENERATE_HELP, clusterGenerate, traceGenerate } from './generate.ts';
import { simCommand } from './sim.ts';
import { compareCommand } from './compare.ts';
import { TRACE_CONVERT_HELP, TRACE_FETCH_HELP, TRACE_INSPECT_HELP, traceConvert, traceFetch, traceInspect } from './trace.ts';

const HELP = `berth ${VERSION}: a discrete-event cluster simulator and scheduler benchmarking lab

usage: berth <command> [options]

commands:
  sim                 run one simulation and print its summary (berth sim --help)
  compare             compare schedulers side by side over seeds: table, report.html
  sweep               run a sweep's grid of runs in parallel, resumable, or one shard of it
  merge               join a sweep's shards into one results.json and report.html
  bench-ci            compare a sweep's policy metrics with a baseline; fail on a regression
  trace inspect       characterise a trace: tasks, arrivals, sizes, durations, priorities
  trace convert       write any trace's tasks as a native CSV trace
  trace fetch         download a public trace set (Google, Alibaba, Azure, SWF logs)
  trace generate      write a synthetic workload as a native CSV trace
  cluster generate    write a workload preset's cell as a cluster file
  schedulers          list the built-in schedulers
  deploy              place an app's replicas on real hosts (Docker Engines) and keep them right
  status              the hosts: up or down, capacity and allocation, containers
  drain               move an app's replicas off a host, one at a time
  down                remove every container an app owns

Run 'berth <command> --help' for a command's options.`;

export async function main(argv: string[]): Promise<number> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0); // the reader went away (berth … | head)
    throw err;
  });
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'sim':
        await simCommand(rest);
        return 0;
      case 'compare':
        await compareCommand(rest);
        return 0;
      // Loaded only by the commands that use them (the sweep's report loads vega).
      case 'sweep':
        await (await import('./sweep.ts')).sweepCommand(rest);
        return 0;
      case 'merge':
        await (await import('./merge.ts')).mergeCommand(rest);
        return 0;
      case 'bench-ci':
        return await (await import('./bench-ci.ts')).benchCiCommand(rest);
      case 'trace':
        return await subcommand('trace', rest, { inspect: traceInspect, convert: traceConvert, fetch: traceFetch, generate: traceGenerate },
          [TRACE_INSPECT_HELP, TRACE_CONVERT_HELP, TRACE_FETCH_HELP, TRACE_GENERATE_HELP]);
      case 'cluster':
        return await subcommand('cluster', rest, { generate: clusterGenerate }, [CLUSTER_GENERATE_HELP]);
      case 'deploy':
      case 'status':
      case 'drain':
      case 'down': {
        // The real driver (and its HTTP client) is loaded only by the commands that use it.
        const driver = await import('./deploy.ts');
        const run = { deploy: driver.deployCommand, status: driver.statusCommand, drain: driver.drainCommand, down: driver.downCommand }[command];
        await run(rest);
        return 0;
      }
      case 'schedulers':
        for (const s of builtinSchedulers()) process.stdout.write(`${s.name.padEnd(19)} ${s.summary}\n`);
        process.stdout.write('\nor a path to your own module: --scheduler ./my-policy.ts\n');
        return 0;
      case '--version':
      case '-V':
        process.stdout.write(VERSION + '\n');
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP + '\n');
        return 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    return report(err);
  }
}

async function subcommand(
  name: string, args: string[], commands: Record<string, (args: string[]) => Promise<void>>, helps: string[],
): Promise<number> {
  const help = helps.map((h) => h.split('\n')[0]).join('\n') + `\n\nRun 'berth ${name} <command> --help' for a command's options.`;
  const [sub, ...rest] = args;
  const run = sub === undefined ? undefined : commands[sub];
  if (!run) {
    if (sub === undefined || sub === '--help' || sub === '-h') {
      process.stdout.write(help + '\n');
      return sub === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command 'berth ${name} ${sub}'; expected ${Object.keys(commands).map((c) => `'berth ${name} ${c}'`).join(', ')}`);
  }
  await run(rest);
  return 0;
}

function report(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`berth: ${err.message}\nRun 'berth --help' for usage.\n`);
    return 2;
  }
  if (err instanceof InputError) {
    process.stderr.write(`berth: ${err.message}\n`);
    return 1;
  }
  process.stderr.write(`berth: internal error, please report it:\n${err instanceof Error ? err.stack : String(err)}\n`);
  return 70;
}
