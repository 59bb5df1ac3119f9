// A scheduler of your own: place each task on the node that runs the fewest tasks, ties to the
// lowest node index. Run it with
//
//   npx berth sim --scheduler ./examples/fewest-tasks.ts
//
// A module exports (as default) a factory that returns a Scheduler, so that every run gets a
// fresh one; `pipeline` builds the usual filter/score/limit/select stack for you.

import { pipeline, type Scorer } from 'berth';

const fewestTasks: Scorer = {
  name: 'fewest-tasks',
  // On 0-100, higher is better: 100 for an idle node, 50 with one task, 33 with two…
  score: (_task, node, cluster) => 100 / (1 + cluster.taskCount(node)),
};

export default () => pipeline({ name: 'fewest-tasks', scorers: [fewestTasks] });
