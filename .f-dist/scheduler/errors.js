/** The base of the scheduler's errors: each message says what is wrong and what to do. */
export class SchedulerError extends Error {
    constructor(message, options) {
        super(message, options);
        this.name = new.target.name;
    }
}
/** A setting the scheduler cannot work with (a bad cron expression, a bad port). */
export class SchedulerConfigError extends SchedulerError {
}
/** A manual run waited for the run lock and another holder kept it. */
export class SchedulerBusyError extends SchedulerError {
    holder;
    constructor(holder) {
        super(`Another run is in progress (${describeHolder(holder)}). Wait for it to finish and try again; ` +
            'a holder that crashed loses the lock when its lease expires.');
        this.holder = holder;
    }
}
/** The Dataform project does not compile, so a manual run cannot start. */
export class ProjectCompileError extends SchedulerError {
    projectDir;
    constructor(projectDir, detail) {
        super(`The Dataform project in ${projectDir} does not compile: ${detail}. Fix it and run again.`);
        this.projectDir = projectDir;
    }
}
/** "scheduler 1a2b on host h, pid 42, manual run, since 2026-…" — for skip reasons and errors. */
export function describeHolder(holder) {
    return `${holder.purpose} by scheduler ${holder.owner.slice(0, 8)} (pid ${holder.pid} on ${holder.hostname}) since ${holder.acquiredAt}`;
}
//# sourceMappingURL=errors.js.map