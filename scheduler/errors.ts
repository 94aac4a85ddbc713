import type { LockHolder } from '../adapter/index.js';

/** The base of the scheduler's errors: each message says what is wrong and what to do. */
export class SchedulerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A setting the scheduler cannot work with (a bad cron expression, a bad port). */
export class SchedulerConfigError extends SchedulerError {}

/** A manual run waited for the run lock and another holder kept it. */
export class SchedulerBusyError extends SchedulerError {
  constructor(readonly holder: LockHolder) {
    super(
      `Another run is in progress (${describeHolder(holder)}). Wait for it to finish and try again; ` +
        'a holder that crashed loses the lock when its lease expires.',
    );
  }
}

/**
 * This scheduler's run lock lease ran out (its process stalled longer than the lease, or the database
 * refused every renewal) and another holder took it: the run is cancelled, statement and all.
 */
export class RunLockLostError extends SchedulerError {
  constructor(
    readonly holder: LockHolder | undefined,
    where: string,
  ) {
    super(
      `The run lock was lost ${where} (${holder ? `now: ${describeHolder(holder)}` : 'it is now free'}), so this run was cancelled to avoid overlapping another; actions that had ended stay committed. The next tick or a new run starts again.`,
    );
  }
}

/** The Dataform project does not compile, so a manual run cannot start. */
export class ProjectCompileError extends SchedulerError {
  constructor(
    readonly projectDir: string,
    detail: string,
  ) {
    super(`The Dataform project in ${projectDir} does not compile: ${detail}. Fix it and run again.`);
  }
}

/** "scheduler 1a2b on host h, pid 42, manual run, since 2026-…" — for skip reasons and errors. */
export function describeHolder(holder: LockHolder): string {
  return `${holder.purpose} by scheduler ${holder.owner.slice(0, 8)} (pid ${holder.pid} on ${holder.hostname}) since ${holder.acquiredAt}`;
}
