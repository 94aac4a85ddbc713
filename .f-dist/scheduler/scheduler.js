import { randomUUID } from 'node:crypto';
import * as adapter from '../adapter/index.js';
import { jobsEndedSince, latestChangeSeq } from '../ingestion/raw-changes.js';
import { ChangeWatcher, realTimers } from './change-watcher.js';
import { describeHolder, ProjectCompileError, SchedulerBusyError, SchedulerConfigError } from './errors.js';
import { RunLock } from './run-lock.js';
import { nodeCronScheduler, } from './scheduler-types.js';
import { migrateSensorSchema } from './sensor-schema.js';
import { SensorStore } from './sensor-store.js';
import { describeEnded, failureOf, messageOf } from './tick-reasons.js';
export { nodeCronScheduler } from './scheduler-types.js';
const MAX_BUSY_RETRIES = 5;
const DEFAULT_SELECTION = { tags: ['bronze'], includeDependents: true };
/** Creates the sensor and run scheduler over one database (see DESIGN.md, "scheduler/"). */
export function createScheduler(options) {
    return new SensorScheduler(options);
}
class SensorScheduler {
    options;
    db;
    now;
    schedule;
    selection;
    cron;
    timers;
    pollIntervalMs;
    adapter;
    store;
    lock;
    watcher;
    cronTask;
    running = false;
    busy = null;
    current = null;
    followUp = null;
    retryWhenUnlocked = false;
    polledSeq = 0;
    busyRetries = 0;
    constructor(options) {
        this.options = options;
        this.db = options.db;
        this.now = options.now ?? (() => new Date());
        this.schedule = options.schedule ?? '*/30 * * * * *';
        this.selection = options.selection ?? DEFAULT_SELECTION;
        this.cron = options.cron ?? nodeCronScheduler;
        this.timers = options.timers ?? realTimers;
        this.pollIntervalMs = options.pollIntervalMs ?? 1000;
        this.adapter = options.adapter ?? adapter;
        if (!this.cron.validate(this.schedule)) {
            throw new SchedulerConfigError(`The schedule "${this.schedule}" is not a valid cron expression. Use five or six fields, e.g. "*/30 * * * * *" for every 30 seconds.`);
        }
        migrateSensorSchema(this.db);
        const sensor = options.sensor ?? 'jobs_ended';
        this.store = new SensorStore(this.db, sensor, this.now);
        this.lock = new RunLock({
            db: this.db,
            name: 'graph-run',
            owner: randomUUID(),
            ttlMs: options.lockTtlMs ?? 120_000,
            now: this.now,
        });
        this.watcher = new ChangeWatcher(this.db, this.pollIntervalMs, this.timers, () => this.onForeignCommit());
    }
    start() {
        if (this.running)
            return;
        this.running = true;
        this.store.setStatus('RUNNING');
        this.polledSeq = latestChangeSeq(this.db);
        this.cronTask = this.cron.schedule(this.schedule, () => {
            this.tick('cron').catch((error) => this.logError('cron tick', error));
        });
        this.watcher.start();
        this.options.logger?.info(`sensor ${this.store.sensor} started (${this.schedule}, cursor ${this.store.cursor()})`);
        this.tick('start').catch((error) => this.logError('first tick', error));
    }
    async stop() {
        if (this.running) {
            this.running = false;
            this.watcher.stop();
            await this.cronTask?.stop();
            this.cronTask = undefined;
        }
        await this.idle();
        if (this.db.open)
            this.store.setStatus('STOPPED');
    }
    wake(reason = 'wake') {
        if (!this.running)
            return;
        void this.tick(`wake (${reason})`).catch((error) => this.logError('wake', error));
    }
    async tick(wokenBy = 'manual tick') {
        if (this.current) {
            // A schedule tick during a run is a skip worth recording; a wake-up means "something new
            // happened", so it must not be lost: evaluate once more when the current work ends.
            if (wokenBy === 'cron') {
                const cursor = this.store.cursor();
                return this.record(wokenBy, this.now(), cursor, cursor, 'SKIPPED', `${this.busy} is in progress`, null);
            }
            this.followUp ??= this.settled().then(() => {
                this.followUp = null;
                return this.tick(wokenBy);
            });
            return this.followUp;
        }
        return this.exclusive('a sensor run', () => this.evaluate(wokenBy));
    }
    async runNow(request = {}) {
        return this.exclusive('a manual run', async () => {
            await this.acquireWaiting('manual run');
            try {
                const compiled = await this.adapter.compileProject({ projectDir: this.options.projectDir });
                if (!compiled.ok)
                    throw new ProjectCompileError(this.options.projectDir, compiled.message);
                this.lock.heartbeat();
                const selection = {
                    ...(request.tags?.length ? { tags: request.tags } : {}),
                    ...(request.actions?.length ? { actions: request.actions } : {}),
                    includeDeps: request.includeDeps ?? false,
                    includeDependents: request.includeDependents ?? false,
                };
                const result = this.adapter.runGraph(compiled.graph, {
                    db: this.db,
                    selection,
                    fullRefresh: request.fullRefresh ?? false,
                    trigger: 'manual',
                    now: this.now,
                    onActionEnd: () => this.lock.heartbeat(),
                });
                this.prune();
                this.options.logger?.info(`manual run ${result.runId}: ${result.status}`);
                return result;
            }
            finally {
                this.lock.release();
            }
        });
    }
    resetCursor(to = 0) {
        const before = this.store.cursor();
        this.store.setCursor(to);
        this.polledSeq = Math.min(this.polledSeq, to);
        this.options.logger?.info(`sensor ${this.store.sensor}: cursor reset from ${before} to ${to}`);
        this.wake('cursor reset');
        return { before, after: to };
    }
    status() {
        const state = this.store.state();
        const latest = latestChangeSeq(this.db);
        const nextRun = this.running ? (this.cronTask?.getNextRun?.() ?? null) : null;
        return {
            sensor: state.sensor,
            state: state.status,
            busy: this.busy,
            cursor: state.cursor,
            latestChangeSeq: latest,
            pendingEndedJobs: jobsEndedSince(this.db, state.cursor).length,
            lastTick: this.store.ticks(1)[0] ?? null,
            nextTickAt: nextRun ? nextRun.toISOString() : null,
            schedule: this.schedule,
            selection: this.selection,
            projectDir: this.options.projectDir,
            lock: this.lock.holder() ?? null,
            pollIntervalMs: this.pollIntervalMs,
        };
    }
    ticks(limit = 50) {
        return this.store.ticks(limit);
    }
    async idle() {
        while (this.current || this.followUp) {
            await this.settled();
            if (this.followUp)
                await this.followUp.catch(() => undefined);
        }
    }
    /** The evaluation: decide from the change cursor, run, and commit the cursor with the run. */
    async evaluate(wokenBy) {
        const at = this.now();
        const cursorBefore = this.store.cursor();
        const acquired = this.lock.tryAcquire(`sensor run (${wokenBy})`);
        if (!acquired.acquired) {
            // Come back when the other holder commits its release, rather than on the next cron tick.
            this.retryWhenUnlocked = true;
            const reason = `a run is in progress: ${describeHolder(acquired.holder)}`;
            return this.record(wokenBy, at, cursorBefore, cursorBefore, 'SKIPPED', reason, null);
        }
        if (acquired.tookOverFrom) {
            this.options.logger?.warn(`took over a stale run lock: ${describeHolder(acquired.tookOverFrom)}`);
        }
        try {
            // Read the high-water mark first: every event at or below it is already committed, so
            // everything it covers is handled by this run and nothing later is skipped.
            const upTo = latestChangeSeq(this.db);
            const ended = jobsEndedSince(this.db, cursorBefore).filter((job) => job.seq <= upTo);
            if (ended.length === 0) {
                const after = Math.max(cursorBefore, upTo);
                if (after !== cursorBefore)
                    this.store.setCursor(after);
                const reason = `no job ended since change ${cursorBefore} (latest change ${upTo})`;
                return this.record(wokenBy, at, cursorBefore, after, 'SKIPPED', reason, null);
            }
            const what = describeEnded(ended);
            const compiled = await this.adapter.compileProject({ projectDir: this.options.projectDir });
            if (!compiled.ok) {
                const reason = `${what}; the project does not compile: ${compiled.message}`;
                return this.record(wokenBy, at, cursorBefore, cursorBefore, 'FAILED', reason, null);
            }
            this.lock.heartbeat();
            let result;
            try {
                result = this.adapter.runGraph(compiled.graph, {
                    db: this.db,
                    selection: this.selection,
                    trigger: 'sensor',
                    now: this.now,
                    onActionEnd: () => this.lock.heartbeat(),
                    // Inside the run's recording transaction: the cursor moves with the run, or not at all.
                    recordWith: (_db, run) => {
                        if (run.status === 'SUCCESSFUL')
                            this.store.setCursor(upTo, run.runId > 0 ? run.runId : undefined);
                    },
                });
            }
            catch (error) {
                const reason = `${what}; the run was not recorded (${messageOf(error)}), so the next tick runs again`;
                return this.record(wokenBy, at, cursorBefore, cursorBefore, 'FAILED', reason, null);
            }
            this.prune();
            if (result.status === 'SUCCESSFUL') {
                const done = `run ${result.runId} SUCCESSFUL: ${result.actions.length} actions in ${result.durationMs} ms`;
                return this.record(wokenBy, at, cursorBefore, upTo, 'REQUESTED', `${what}; ${done}`, result.runId);
            }
            const reason = result.runId > 0
                ? `${what}; run ${result.runId} failed: ${failureOf(result)}; the next tick retries`
                : `${what}; the run could not start: ${result.error ?? failureOf(result)}; the next tick retries`;
            return this.record(wokenBy, at, cursorBefore, cursorBefore, 'FAILED', reason, result.runId);
        }
        finally {
            this.lock.release();
        }
    }
    record(wokenBy, at, cursorBefore, cursorAfter, decision, reason, runId) {
        const tick = this.store.addTick({
            sensor: this.store.sensor,
            at: at.toISOString(),
            wokenBy,
            cursorBefore,
            cursorAfter,
            decision,
            reason,
            runId,
            durationMs: Math.max(0, this.now().getTime() - at.getTime()),
        });
        this.store.pruneTicks(this.options.keepTicks ?? 5000);
        const line = `tick ${tick.tickId} (${wokenBy}): ${decision}, cursor ${cursorBefore} -> ${cursorAfter}: ${reason}`;
        if (decision === 'FAILED')
            this.options.logger?.error(line);
        else if (decision === 'REQUESTED')
            this.options.logger?.info(line);
        this.options.onTick?.(tick);
        this.retryIfBusy(tick);
        return tick;
    }
    /**
     * A run that lost a race for SQLite's write lock (the listener writing) is not a broken model:
     * try again shortly instead of waiting for the next cron tick, a few times in a row at most.
     */
    retryIfBusy(tick) {
        if (tick.decision !== 'FAILED' || !/database is locked|SQLITE_BUSY/i.test(tick.reason)) {
            if (tick.decision !== 'SKIPPED')
                this.busyRetries = 0;
            return;
        }
        if (!this.running || this.busyRetries >= MAX_BUSY_RETRIES)
            return;
        this.busyRetries++;
        this.timers.setTimeout(() => this.wake('retry after a busy database'), this.pollIntervalMs || 1000);
    }
    prune() {
        const keepRuns = this.options.keepRuns ?? 1000;
        try {
            this.adapter.pruneRunHistory(this.db, { keepRuns });
        }
        catch (error) {
            this.logError('pruning the run history', error);
        }
    }
    /** One piece of work at a time in this process (the run lock covers other processes). */
    async exclusive(label, work) {
        while (this.current)
            await this.settled();
        this.busy = label;
        const promise = work();
        this.current = promise;
        try {
            return await promise;
        }
        finally {
            this.current = null;
            this.busy = null;
        }
    }
    async settled() {
        await this.current?.catch(() => undefined);
    }
    /** Waits (up to lockWaitMs) for another process's run to end; a manual run is not skipped. */
    async acquireWaiting(purpose) {
        const deadline = this.now().getTime() + (this.options.lockWaitMs ?? 120_000);
        for (;;) {
            const outcome = this.lock.tryAcquire(purpose);
            if (outcome.acquired)
                return;
            if (this.now().getTime() >= deadline)
                throw new SchedulerBusyError(outcome.holder);
            await new Promise((resolve) => this.timers.setTimeout(resolve, this.pollIntervalMs || 250));
        }
    }
    /** The cross-process fast path: another connection committed; did a job end? */
    onForeignCommit() {
        if (!this.running)
            return;
        if (this.retryWhenUnlocked) {
            if (this.lock.heldByOther())
                return;
            this.retryWhenUnlocked = false;
            this.wake('run lock released');
            return;
        }
        const latest = latestChangeSeq(this.db);
        if (latest <= this.polledSeq)
            return;
        this.polledSeq = latest;
        if (jobsEndedSince(this.db, this.store.cursor(), 1).length > 0)
            this.wake('poll');
    }
    logError(what, error) {
        this.options.logger?.error(`${what}: ${messageOf(error)}`);
    }
}
//# sourceMappingURL=scheduler.js.map