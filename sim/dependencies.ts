// Dependencies between groups of tasks within a job (Alibaba's DAGs): a task that names groups
// in `after` becomes pending only once every task of those groups has finished.
//
// State is kept per live job and dropped when every group seen so far has finished and nothing
// waits. A group a task depends on that is not (or no longer) known counts as finished: in a
// trace sorted by time a group starts before the groups that depend on it, so an unknown group
// is one that finished and was forgotten.

interface Group {
  readonly size: number;
  finished: number;
}

interface Blocked {
  readonly slot: number;
  readonly waitingFor: Set<string>;
}

interface Job {
  readonly groups: Map<string, Group>;
  blocked: Blocked[];
}

export class Dependencies {
  private readonly jobs = new Map<string, Job>();

  /** Tasks waiting for their dependencies now. */
  blockedCount = 0;

  /**
   * A task arrives. Returns true when it may become pending now, false when it waits (it is
   * handed back by finished() later).
   */
  arrive(slot: number, job: string, group: string | undefined, groupSize: number | undefined, after: readonly string[] | undefined): boolean {
    this.join(job, group, groupSize);
    const state = this.jobs.get(job);
    if (!after || after.length === 0 || !state) return true;
    const waitingFor = new Set<string>();
    for (const dep of after) {
      const g = state.groups.get(dep);
      if (g && g.finished < g.size) waitingFor.add(dep);
    }
    if (waitingFor.size === 0) return true;
    state.blocked.push({ slot, waitingFor });
    this.blockedCount++;
    return false;
  }

  /**
   * Makes a task's group known without the task (one that will never run: its group never
   * finishes, and what depends on it stays blocked).
   */
  join(job: string, group: string | undefined, groupSize: number | undefined): void {
    if (group === undefined) return;
    const state = this.jobs.get(job) ?? this.newJob(job);
    if (!state.groups.has(group)) state.groups.set(group, { size: Math.max(1, groupSize ?? 1), finished: 0 });
  }

  /** A task of `group` finished; returns the tasks that may now become pending. */
  finished(job: string, group: string | undefined): readonly number[] {
    if (group === undefined) return NONE; // the common case, without a lookup
    const state = this.jobs.get(job);
    const g = state?.groups.get(group);
    if (!state || !g) return NONE;
    g.finished++;
    const released: number[] = [];
    if (g.finished >= g.size) {
      state.blocked = state.blocked.filter((b) => {
        b.waitingFor.delete(group);
        if (b.waitingFor.size > 0) return true;
        released.push(b.slot);
        return false;
      });
      this.blockedCount -= released.length;
    }
    if (state.blocked.length === 0 && [...state.groups.values()].every((x) => x.finished >= x.size)) this.jobs.delete(job);
    return released;
  }

  private newJob(job: string): Job {
    const state: Job = { groups: new Map(), blocked: [] };
    this.jobs.set(job, state);
    return state;
  }
}

const NONE: readonly number[] = [];
