import { randomUUID } from 'node:crypto';
import type { RunResult, Selection } from '../adapter/index.js';
import * as adapter from '../adapter/index.js';
import { jobsEndedSince, latestChangeSeq } from '../ingestion/raw-changes.js';
import type { SqliteDatabase } from '../lib/sqlite.js';
import { BusyRetry } from './busy-retry.js';
import { ChangeWatcher, realTimers, type Timers } from './change-watcher.js';
import { SchedulerConfigError } from './errors.js';
import { evaluateTick, type TickEvaluationContext } from './evaluate-tick.js';
import { keepLock } from './lock-heartbeat.js';
import { type ManualRunContext, runManually } from './manual-run.js';
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
import { SensorStore, type TickRecord } from './sensor-store.js';
import { messageOf } from './tick-reasons.js';
import { TickRecorder } from './tick-recorder.js';

export type * from './scheduler-types.js';
export { nodeCronScheduler } from './scheduler-types.js';

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
  private readonly busyRetry: BusyRetry;
  private readonly recorder: TickRecorder;
  private readonly evaluation: TickEvaluationContext;
  private readonly manualRun: ManualRunContext;
  private cronTask: CronTask | undefined;
  private running = false;
  private busy: string | null = null;
  private current: Promise<unknown> | null = null;
  private followUp: Promise<TickRecord> | null = null;
  private retryWhenUnlocked = false;
  private polledSeq = 0;

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
    this.busyRetry = new BusyRetry(
      this.timers,
      this.pollIntervalMs,
      () => this.running,
      (reason) => this.wake(reason),
    );
    this.recorder = new TickRecorder({
      store: this.store,
      now: this.now,
      keepTicks: options.keepTicks,
      logger: options.logger,
      onTick: options.onTick,
      afterRecord: (tick) => this.busyRetry.retryIfBusy(tick),
    });
    const graphRun = {
      db: this.db,
      adapter: this.adapter,
      projectDir: options.projectDir,
      lock: this.lock,
      now: this.now,
      logger: options.logger,
      keepLock: (where: string) => keepLock(this.lock, where, (what, error) => this.logError(what, error)),
      prune: () => this.prune(),
    };
    this.evaluation = {
      ...graphRun,
      store: this.store,
      selection: this.selection,
      recorder: this.recorder,
      onLockBusy: () => {
        this.retryWhenUnlocked = true;
      },
    };
    this.manualRun = {
      ...graphRun,
      timers: this.timers,
      pollIntervalMs: this.pollIntervalMs,
      lockWaitMs: options.lockWaitMs,
    };
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
      this.busyRetry.cancelRetry();
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
        return this.recorder.record(
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
    return this.exclusive('a sensor run', () => evaluateTick(this.evaluation, wokenBy));
  }

  async runNow(request: RunNowRequest = {}): Promise<RunResult> {
    return this.exclusive('a manual run', () => runManually(this.manualRun, request));
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
