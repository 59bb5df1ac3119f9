// berth's public API, for policies of your own and for scripts. Everything else is internal.

export type {
  ClusterView, DecideContext, Decision, NodeId, NodeStatus, Objective, PendingTask, Reason, Resource, Resources,
  Scheduler, SchedulerFactory, SchedulerOptions, TaskId,
} from './schedulers/contract.ts';
export { REASONS, RESOURCES, nodeId, taskId } from './schedulers/contract.ts';
export { pipeline, type Filter, type Limit, type PipelineSpec, type Scorer, type TieBreak } from './schedulers/pipeline.ts';
export { leastAllocated, mostAllocated } from './schedulers/scorers.ts';
export { SCORE_EPSILON, beats, fraction, leastAllocatedScore, mostAllocatedScore } from './schedulers/scores.ts';
export { builtinSchedulers, createScheduler } from './schedulers/registry.ts';
export { runSimulation, type RunSpec, type RunOptions } from './sim/run.ts';
export type { Summary, RunRecord } from './sim/summary.ts';
export { cores, gib, gpus, seconds } from './sim/units.ts';
