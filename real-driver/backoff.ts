// Restarts of containers that exit, owned by the controller (Docker's restart policy is "no"):
// exponential back-off per slot, as the kubelet's CrashLoopBackOff: initial, ×2 on every exit,
// capped; forgotten once the slot has run without exiting for `resetMs`.

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 10_000, maxMs: 300_000, resetMs: 600_000 };

interface Entry {
  /** Exits seen so far. */
  exits: number;
  /** When the pending restart is due, ms; undefined when none is pending. */
  dueAt: number | undefined;
  /** When the slot was last seen running since its last restart, ms. */
  runningSince: number | undefined;
}

export class RestartBackoff {
  private readonly slots = new Map<string, Entry>();

  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF) {}

  /** The delay before the restart that follows the n-th exit (n from 1). */
  delay(exits: number): number {
    return Math.min(this.options.maxMs, this.options.initialMs * 2 ** Math.max(0, exits - 1));
  }

  /**
   * The slot's container is stopped and wants a restart: returns when it is due (ms). The first
   * call after an exit counts the exit and schedules the restart.
   */
  dueAt(slot: string, now: number): number {
    const e = this.slots.get(slot) ?? { exits: 0, dueAt: undefined, runningSince: undefined };
    this.slots.set(slot, e);
    if (e.dueAt === undefined) {
      e.exits++;
      e.dueAt = now + this.delay(e.exits);
      e.runningSince = undefined;
    }
    return e.dueAt;
  }

  /** The restart was made. */
  restarted(slot: string): void {
    const e = this.slots.get(slot);
    if (e) e.dueAt = undefined;
  }

  /** The slot runs: after `resetMs` of it, its exits are forgotten. */
  running(slot: string, now: number): void {
    const e = this.slots.get(slot);
    if (!e || e.dueAt !== undefined) return;
    e.runningSince ??= now;
    if (now - e.runningSince >= this.options.resetMs) this.slots.delete(slot);
  }

  exits(slot: string): number {
    return this.slots.get(slot)?.exits ?? 0;
  }
}
