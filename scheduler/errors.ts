import type { LockHolder } from './run-lock.js';

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
