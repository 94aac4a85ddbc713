import { randomUUID } from 'node:crypto';
import type { RunResult, Selection } from '../adapter/index.js';
import * as adapter from '../adapter/index.js';
import { jobsEndedSince, latestChangeSeq } from '../ingestion/raw-changes.js';
import type { SqliteDatabase } from '../lib/sqlite.js';
import { ChangeWatcher, realTimers, type Timers } from './change-watcher.js';
import {
  describeHolder,
  ProjectCompileError,
  RunLockLostError,
  SchedulerBusyError,
  SchedulerConfigError,
} from './errors.js';
import { RunLock } from './run-lock.js';
import {
  type Cron,
  type CronTask,
  nodeCronScheduler,
  type RunNowRequest,
  type Scheduler,
  type SchedulerAdapter,
  type SchedulerOptions,
  type SchedulerStatus,
} from './scheduler-types.js';
import { migrateSensorSchema } from './sensor-schema.js';
import { SensorStore, type TickDecision, type TickRecord } from './sensor-store.js';
import { describeEnded, failureOf, messageOf } from './tick-reasons.js';

export type * from './scheduler-types.js';
export { nodeCronScheduler } from './scheduler-types.js';

const MAX_BUSY_RETRIES = 5;
const DEFAULT_SELECTION: Selection = { tags: ['bronze'], includeDependents: true };
/**
 * The run lock's lease. runGraph is synchronous, so the lease is renewed only between actions (and
 * after compiling): it must outlast any plausible single action, or another scheduler takes the lock
 * over mid-action. A crashed holder on this host is still recovered at once (its pid is gone); only
 * one on another host waits out the lease. A lease lost anyway stops the run at the next boundary.
 */
const DEFAULT_LOCK_TTL_MS = 10 * 60_000;

/** Creates the sensor and run scheduler over one database (see DESIGN.md, "scheduler/"). */
export function createScheduler(options: SchedulerOptions): Scheduler {
  return new SensorScheduler(options);
}

class SensorScheduler implements Scheduler {
  private readonly db: SqliteDatabase;
  private readonly now: () => Date;
  private readonly schedule: string;
  private readonly selection: Selection;
  private readonly cron: Cron;
  private readonly timers: Timers;
  private readonly pollIntervalMs: number;
  private readonly adapter: SchedulerAdapter;
  private readonly store: SensorStore;
  private readonly lock: RunLock;
  private readonly watcher: ChangeWatcher;
  private cronTask: CronTask | undefined;
  private retryTimer: unknown;
  private running = false;
  private busy: string | null = null;
  private current: Promise<unknown> | null = null;
  private followUp: Promise<TickRecord> | null = null;
  private retryWhenUnlocked = false;
  private polledSeq = 0;
  private busyRetries = 0;

  constructor(private readonly options: SchedulerOptions) {
    this.db = options.db;
    this.now = options.now ?? (() => new Date());
    this.schedule = options.schedule ?? '*/30 * * * * *';
    this.selection = options.selection ?? DEFAULT_SELECTION;
    this.cron = options.cron ?? nodeCronScheduler;
    this.timers = options.timers ?? realTimers;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.adapter = options.adapter ?? adapter;
    if (!this.cron.validate(this.schedule)) {
      throw new SchedulerConfigError(
        `The schedule "${this.schedule}" is not a valid cron expression. Use five or six fields, e.g. "*/30 * * * * *" for every 30 seconds.`,
      );
    }
    migrateSensorSchema(this.db);
    const sensor = options.sensor ?? 'jobs_ended';
    this.store = new SensorStore(this.db, sensor, this.now);
    this.lock = new RunLock({
      db: this.db,
      name: 'graph-run',
      owner: randomUUID(),
      ttlMs: options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS,
      now: this.now,
    });
    this.watcher = new ChangeWatcher(this.db, this.pollIntervalMs, this.timers, () => this.onForeignCommit());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.store.setStatus('RUNNING');
    this.polledSeq = latestChangeSeq(this.db);
    this.cronTask = this.cron.schedule(this.schedule, () => {
      this.tick('cron').catch((error: unknown) => this.logError('cron tick', error));
    });
    this.watcher.start();
    this.options.logger?.info(
      `sensor ${this.store.sensor} started (${this.schedule}, cursor ${this.store.cursor()})`,
    );
    this.tick('start').catch((error: unknown) => this.logError('first tick', error));
  }

  async stop(): Promise<void> {
    if (this.running) {
      this.running = false;
      this.watcher.stop();
      const task = this.cronTask;
      this.cronTask = undefined;
      // stop() would leave the task, and this scheduler in its closure, in node-cron's registry.
      if (task) await (task.destroy ? task.destroy() : task.stop());
      this.cancelRetry();
    }
    await this.idle();
    if (this.db.open) this.store.setStatus('STOPPED');
  }

  wake(reason = 'wake'): void {
    if (!this.running) return;
    void this.tick(`wake (${reason})`).catch((error: unknown) => this.logError('wake', error));
  }

  async tick(wokenBy = 'manual tick'): Promise<TickRecord> {
    if (this.current) {
      // A schedule tick during a run is a skip worth recording; a wake-up means "something new
      // happened", so it must not be lost: evaluate once more when the current work ends.
      if (wokenBy === 'cron') {
        const cursor = this.store.cursor();
        return this.record(
          wokenBy,
          this.now(),
          cursor,
          cursor,
          'SKIPPED',
          `${this.busy} is in progress`,
          null,
        );
      }
      this.followUp ??= this.settled().then(() => {
        this.followUp = null;
        return this.tick(wokenBy);
      });
      return this.followUp;
    }
    return this.exclusive('a sensor run', () => this.evaluate(wokenBy));
  }

  async runNow(request: RunNowRequest = {}): Promise<RunResult> {
    return this.exclusive('a manual run', async () => {
      await this.acquireWaiting('manual run');
      try {
        const compiled = await this.adapter.compileProject({ projectDir: this.options.projectDir });
        if (!compiled.ok) throw new ProjectCompileError(this.options.projectDir, compiled.message);
        this.keepLock('while compiling');
        const selection: Selection = {
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
          onActionEnd: (action) => this.keepLock(`after action ${action.name}`),
        });
        this.prune();
        this.options.logger?.info(`manual run ${result.runId}: ${result.status}`);
        return result;
      } finally {
        this.lock.release();
      }
    });
  }

  resetCursor(to = 0): { before: number; after: number } {
    const before = this.store.cursor();
    this.store.setCursor(to);
    this.polledSeq = Math.min(this.polledSeq, to);
    this.options.logger?.info(`sensor ${this.store.sensor}: cursor reset from ${before} to ${to}`);
    this.wake('cursor reset');
    return { before, after: to };
  }

  status(): SchedulerStatus {
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

  ticks(limit = 50): TickRecord[] {
    return this.store.ticks(limit);
  }

  async idle(): Promise<void> {
    while (this.current || this.followUp) {
      await this.settled();
      if (this.followUp) await this.followUp.catch(() => undefined);
    }
  }

  /** The evaluation: decide from the change cursor, run, and commit the cursor with the run. */
  private async evaluate(wokenBy: string): Promise<TickRecord> {
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
        if (after !== cursorBefore) this.store.setCursor(after);
        const reason = `no job ended since change ${cursorBefore} (latest change ${upTo})`;
        return this.record(wokenBy, at, cursorBefore, after, 'SKIPPED', reason, null);
      }
      const what = describeEnded(ended);
      const compiled = await this.adapter.compileProject({ projectDir: this.options.projectDir });
      if (!compiled.ok) {
        const reason = `${what}; the project does not compile: ${compiled.message}`;
        return this.record(wokenBy, at, cursorBefore, cursorBefore, 'FAILED', reason, null);
      }
      if (!this.lock.heartbeat()) {
        const reason = `${what}; ${new RunLockLostError(this.lock.holder(), 'while compiling').message}`;
        return this.record(wokenBy, at, cursorBefore, cursorBefore, 'FAILED', reason, null);
      }
      let result: RunResult;
      try {
        result = this.adapter.runGraph(compiled.graph, {
          db: this.db,
          selection: this.selection,
          trigger: 'sensor',
          now: this.now,
          onActionEnd: (action) => this.keepLock(`after action ${action.name}`),
          // Inside the run's recording transaction: the cursor moves with the run, or not at all.
          recordWith: (_db, run) => {
            if (run.status === 'SUCCESSFUL')
              this.store.setCursor(upTo, run.runId > 0 ? run.runId : undefined);
          },
        });
      } catch (error) {
        const reason = `${what}; the run was not recorded (${messageOf(error)}), so the next tick runs again`;
        return this.record(wokenBy, at, cursorBefore, cursorBefore, 'FAILED', reason, null);
      }
      this.prune();
      if (result.status === 'SUCCESSFUL') {
        const done = `run ${result.runId} SUCCESSFUL: ${result.actions.length} actions in ${result.durationMs} ms`;
        return this.record(wokenBy, at, cursorBefore, upTo, 'REQUESTED', `${what}; ${done}`, result.runId);
      }
      const reason =
        result.runId > 0
          ? `${what}; run ${result.runId} failed: ${failureOf(result)}; the next tick retries`
          : `${what}; the run could not start: ${result.error ?? failureOf(result)}; the next tick retries`;
      return this.record(wokenBy, at, cursorBefore, cursorBefore, 'FAILED', reason, result.runId);
    } finally {
      this.lock.release();
    }
  }

  /**
   * Renews the run lock's lease; when it is no longer ours, stops the run. Thrown from onActionEnd,
   * the error leaves runGraph after the action that just ended (the adapter drops its staging tables
   * and records nothing), so no further action runs alongside the new holder's.
   */
  private keepLock(where: string): void {
    if (this.lock.heartbeat()) return;
    const lost = new RunLockLostError(this.lock.holder(), where);
    this.logError('run lock', lost);
    throw lost;
  }

  private record(
    wokenBy: string,
    at: Date,
    cursorBefore: number,
    cursorAfter: number,
    decision: TickDecision,
    reason: string,
    runId: number | null,
  ): TickRecord {
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
    if (decision === 'FAILED') this.options.logger?.error(line);
    else if (decision === 'REQUESTED') this.options.logger?.info(line);
    this.options.onTick?.(tick);
    this.retryIfBusy(tick);
    return tick;
  }

  /**
   * A run that lost a race for SQLite's write lock (the listener writing) is not a broken model:
   * try again shortly instead of waiting for the next cron tick, a few times in a row at most.
   */
  private retryIfBusy(tick: TickRecord): void {
    if (tick.decision !== 'FAILED' || !/database is locked|SQLITE_BUSY/i.test(tick.reason)) {
      if (tick.decision !== 'SKIPPED') this.busyRetries = 0;
      return;
    }
    if (!this.running || this.busyRetries >= MAX_BUSY_RETRIES) return;
    this.busyRetries++;
    this.cancelRetry();
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      this.wake('retry after a busy database');
    }, this.pollIntervalMs || 1000);
  }

  private cancelRetry(): void {
    if (this.retryTimer === undefined) return;
    this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private prune(): void {
    const keepRuns = this.options.keepRuns ?? 1000;
    try {
      this.adapter.pruneRunHistory(this.db, { keepRuns });
    } catch (error) {
      this.logError('pruning the run history', error);
    }
  }

  /** One piece of work at a time in this process (the run lock covers other processes). */
  private async exclusive<T>(label: string, work: () => Promise<T>): Promise<T> {
    while (this.current) await this.settled();
    this.busy = label;
    const promise = work();
    this.current = promise;
    try {
      return await promise;
    } finally {
      this.current = null;
      this.busy = null;
    }
  }

  private async settled(): Promise<void> {
    await this.current?.catch(() => undefined);
  }

  /** Waits (up to lockWaitMs) for another process's run to end; a manual run is not skipped. */
  private async acquireWaiting(purpose: string): Promise<void> {
    const deadline = this.now().getTime() + (this.options.lockWaitMs ?? 120_000);
    for (;;) {
      const outcome = this.lock.tryAcquire(purpose);
      if (outcome.acquired) return;
      if (this.now().getTime() >= deadline) throw new SchedulerBusyError(outcome.holder);
      await new Promise<void>((resolve) => this.timers.setTimeout(resolve, this.pollIntervalMs || 250));
    }
  }

  /** The cross-process fast path: another connection committed; did a job end? */
  private onForeignCommit(): void {
    if (!this.running) return;
    if (this.retryWhenUnlocked) {
      if (this.lock.heldByOther()) return;
      this.retryWhenUnlocked = false;
      this.wake('run lock released');
      return;
    }
    const latest = latestChangeSeq(this.db);
    if (latest <= this.polledSeq) return;
    this.polledSeq = latest;
    if (jobsEndedSince(this.db, this.store.cursor(), 1).length > 0) this.wake('poll');
  }

  private logError(what: string, error: unknown): void {
    this.options.logger?.error(`${what}: ${messageOf(error)}`);
  }
}
