import * as adapter from '../adapter/index.js';
import {
  type AsyncExecutor,
  type Engine,
  openRunHistory,
  type RunHistory,
  RunLock,
  type RunResult,
  type Selection,
} from '../adapter/index.js';
import { CHANGE_FEED_TARGET, changeFeed, jobsEndedSince, latestChangeSeq } from '../ingestion/index.js';
import { BusyRetry } from './busy-retry.js';
import { ChangeWatcher, realTimers, type Timers } from './change-watcher.js';
import { SchedulerConfigError } from './errors.js';
import { evaluateTick, type TickEvaluationContext } from './evaluate-tick.js';
import { type ManualRunContext, runManually } from './manual-run.js';
import type { GraphRunContext } from './run-context.js';
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
 * The run lock's lease. A run in flight renews it every third of it on a timer (the run's statements
 * go through their own connection, so a long action does not stop the renewals); a crashed holder on
 * this host is recovered at once (its pid is gone); only one on another host waits out the lease.
 */
const DEFAULT_LOCK_TTL_MS = 10 * 60_000;
/** The change feed's poll: job end → jobs_brz across processes within ~250 ms at p95. */
const DEFAULT_POLL_INTERVAL_MS = 100;

/** Creates the sensor and run scheduler over one database (README, "Architecture"). */
export function createScheduler(options: SchedulerOptions): Scheduler {
  return new SensorScheduler(options);
}

/** What open() sets up: the two connections and what lives on them. */
interface Parts {
  control: AsyncExecutor;
  runner: AsyncExecutor;
  store: SensorStore;
  lock: RunLock;
  controlHistory: RunHistory;
  watcher: ChangeWatcher;
  recorder: TickRecorder;
  evaluation: TickEvaluationContext;
  manualRun: ManualRunContext;
}

class SensorScheduler implements Scheduler {
  private readonly engine: Engine;
  private readonly now: () => Date;
  private readonly schedule: string;
  private readonly selection: Selection;
  private readonly cron: Cron;
  private readonly timers: Timers;
  private readonly pollIntervalMs: number;
  private readonly adapter: SchedulerAdapter;
  private readonly sensor: string;
  private readonly busyRetry: BusyRetry;
  private opening: Promise<Parts> | undefined;
  private cronTask: CronTask | undefined;
  private running = false;
  private busy: string | null = null;
  private current: Promise<unknown> | null = null;
  private followUp: Promise<TickRecord> | null = null;
  private retryWhenUnlocked = false;
  /** The controllers of runs in flight in this process (one at a time, but kept as a set). */
  private readonly inFlight = new Set<AbortController>();

  constructor(private readonly options: SchedulerOptions) {
    this.engine = options.engine;
    this.now = options.now ?? (() => new Date());
    this.schedule = options.schedule ?? '*/30 * * * * *';
    this.selection = options.selection ?? DEFAULT_SELECTION;
    this.cron = options.cron ?? nodeCronScheduler;
    this.timers = options.timers ?? realTimers;
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.adapter = options.adapter ?? adapter;
    this.sensor = options.sensor ?? 'jobs_ended';
    if (!this.cron.validate(this.schedule)) {
      throw new SchedulerConfigError(
        `The schedule "${this.schedule}" is not a valid cron expression. Use five or six fields, e.g. "*/30 * * * * *" for every 30 seconds.`,
      );
    }
    this.busyRetry = new BusyRetry(
      this.timers,
      this.pollIntervalMs,
      () => this.running,
      (reason) => this.wake(reason),
    );
  }

  open(): Promise<void> {
    return this.parts().then(() => undefined);
  }

  private parts(): Promise<Parts> {
    this.opening ??= this.openParts();
    return this.opening;
  }

  private async openParts(): Promise<Parts> {
    const control = await this.engine.connect();
    let runner: AsyncExecutor | undefined;
    try {
      runner = await this.engine.connect();
      const { dialect } = this.engine;
      await migrateSensorSchema(control, dialect.autoIncrementKey);
      const store = new SensorStore(control, this.sensor, this.now);
      await store.ensureRow();
      // Opening the history also marks the runs of processes that died as INTERRUPTED.
      const controlHistory = await openRunHistory(control, { now: this.now, dialect });
      const runHistory = await openRunHistory(runner, { now: this.now, dialect });
      const ttlMs = this.options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
      const lock = new RunLock({ executor: control, ttlMs, now: this.now });
      // The raw layer's change feed as this engine names it (PostgreSQL: in the raw schema).
      const changes = changeFeed(
        (sql, params) => control.query(sql, params),
        dialect.quote(dialect.objectName(CHANGE_FEED_TARGET, { defaultSchema: CHANGE_FEED_TARGET.schema })),
      );
      const watcher = new ChangeWatcher(
        changes,
        this.pollIntervalMs,
        this.timers,
        (latest) => this.onChange(latest),
        (error) => this.logError('reading the change feed', error),
        () => this.retryIfUnlocked(),
      );
      const recorder = new TickRecorder({
        store,
        now: this.now,
        keepTicks: this.options.keepTicks,
        logger: this.options.logger,
        onTick: this.options.onTick,
        afterRecord: (tick, busy) => this.busyRetry.retryIfBusy(tick, busy),
      });
      const graphRun: GraphRunContext = {
        control,
        runner,
        runHistory,
        controlHistory,
        dialect,
        adapter: this.adapter,
        projectDir: this.options.projectDir,
        lock,
        now: this.now,
        timers: this.timers,
        leaseRenewMs: ttlMs / 3,
        logger: this.options.logger,
        track: (controller) => {
          this.inFlight.add(controller);
          return () => this.inFlight.delete(controller);
        },
        prune: () => this.prune(controlHistory),
        logError: (what, error) => this.logError(what, error),
      };
      return {
        control,
        runner,
        store,
        lock,
        controlHistory,
        watcher,
        recorder,
        evaluation: {
          ...graphRun,
          store,
          selection: this.selection,
          recorder,
          changes,
          onLockBusy: () => {
            this.retryWhenUnlocked = true;
          },
        },
        manualRun: {
          ...graphRun,
          pollIntervalMs: this.pollIntervalMs,
          lockWaitMs: this.options.lockWaitMs,
        },
      };
    } catch (error) {
      // Nothing half-open is left behind: a later call tries again from the start.
      this.opening = undefined;
      await runner?.close().catch(() => undefined);
      await control.close().catch(() => undefined);
      throw error;
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.cronTask = this.cron.schedule(this.schedule, () => {
      this.tick('cron').catch((error: unknown) => this.logError('cron tick', error));
    });
    // Set up and catch up in one piece of work, so that idle() covers both.
    this.exclusive('a sensor run', async () => {
      const parts = await this.parts();
      await parts.store.setStatus('RUNNING');
      parts.watcher.start(await latestChangeSeq(parts.evaluation.changes));
      this.options.logger?.info(
        `sensor ${parts.store.sensor} started (${this.schedule}, cursor ${await parts.store.cursor()})`,
      );
      return evaluateTick(parts.evaluation, 'start');
    }).catch((error: unknown) => this.logError('first tick', error));
  }

  async stop(options: { cancelRun?: boolean } = {}): Promise<void> {
    if (this.running) {
      this.running = false;
      const task = this.cronTask;
      this.cronTask = undefined;
      // stop() would leave the task, and this scheduler in its closure, in node-cron's registry.
      if (task) await (task.destroy ? task.destroy() : task.stop());
      this.busyRetry.cancelRetry();
      if (this.opening) (await this.opening.catch(() => undefined))?.watcher.stop();
    }
    if (options.cancelRun !== false) this.abortRuns('the scheduler is stopping');
    await this.idle();
    const parts = await this.opening?.catch(() => undefined);
    if (parts)
      await parts.store.setStatus('STOPPED').catch((error: unknown) => this.logError('stopping', error));
  }

  async close(): Promise<void> {
    await this.stop();
    const parts = await this.opening?.catch(() => undefined);
    this.opening = undefined;
    if (!parts) return;
    // A look at the change feed in flight must not meet a closed connection.
    await parts.watcher.settled();
    await Promise.all([parts.control.close(), parts.runner.close()]);
  }

  async cancel(reason = 'cancelled on request'): Promise<boolean> {
    if (this.inFlight.size === 0) return false;
    this.abortRuns(reason);
    await this.settled();
    return true;
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
        const { store, recorder } = await this.parts();
        const cursor = await store.cursor();
        const reason = `${this.busy} is in progress`;
        return recorder.record({
          wokenBy,
          at: this.now(),
          cursorBefore: cursor,
          cursorAfter: cursor,
          decision: 'SKIPPED',
          reason,
          runId: null,
        });
      }
      this.followUp ??= this.settled().then(() => {
        this.followUp = null;
        return this.tick(wokenBy);
      });
      return this.followUp;
    }
    return this.exclusive('a sensor run', async () => evaluateTick((await this.parts()).evaluation, wokenBy));
  }

  async runNow(request: RunNowRequest = {}): Promise<RunResult> {
    return this.exclusive('a manual run', async () => runManually((await this.parts()).manualRun, request));
  }

  async resetCursor(to = 0): Promise<{ before: number; after: number }> {
    const { store, watcher } = await this.parts();
    const before = await store.cursor();
    await store.setCursor(to);
    watcher.rewind(to);
    this.options.logger?.info(`sensor ${store.sensor}: cursor reset from ${before} to ${to}`);
    this.wake('cursor reset');
    return { before, after: to };
  }

  async status(): Promise<SchedulerStatus> {
    const { store, lock, evaluation } = await this.parts();
    const state = await store.state();
    const latest = await latestChangeSeq(evaluation.changes);
    const pending = await jobsEndedSince(evaluation.changes, state.cursor);
    const nextRun = this.running ? (this.cronTask?.getNextRun?.() ?? null) : null;
    return {
      sensor: state.sensor,
      state: this.running ? 'RUNNING' : 'STOPPED',
      busy: this.busy,
      cancellable: this.inFlight.size > 0,
      cursor: state.cursor,
      latestChangeSeq: latest,
      pendingEndedJobs: pending.length,
      lastTick: (await store.ticks(1))[0] ?? null,
      nextTickAt: nextRun ? nextRun.toISOString() : null,
      schedule: this.schedule,
      selection: this.selection,
      projectDir: this.options.projectDir,
      lock: (await lock.holder()) ?? null,
      pollIntervalMs: this.pollIntervalMs,
    };
  }

  get places(): { projectDir: string; database: string } {
    return { projectDir: this.options.projectDir, database: this.engine.location };
  }

  async ticks(limit = 50): Promise<TickRecord[]> {
    return (await this.parts()).store.ticks(limit);
  }

  async control(): Promise<AsyncExecutor> {
    return (await this.parts()).control;
  }

  async history(): Promise<RunHistory> {
    return (await this.parts()).controlHistory;
  }

  async idle(): Promise<void> {
    while (this.current || this.followUp) {
      await this.settled();
      if (this.followUp) await this.followUp.catch(() => undefined);
    }
  }

  private abortRuns(reason: string): void {
    for (const controller of this.inFlight) controller.abort(reason);
  }

  private async prune(history: RunHistory): Promise<void> {
    const keepRuns = this.options.keepRuns ?? 1000;
    try {
      await history.prune({ keepRuns });
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

  /** After a skip for another holder's lock: wake as soon as it is free (the feed does not show that). */
  private async retryIfUnlocked(): Promise<void> {
    if (!this.running || !this.retryWhenUnlocked) return;
    const { lock } = await this.parts();
    if (await lock.heldByOther()) return;
    this.retryWhenUnlocked = false;
    this.wake('run lock released');
  }

  /** The cross-process fast path: the change feed moved; did a job end past the cursor? */
  private async onChange(_latest: number): Promise<void> {
    if (!this.running) return;
    const { store, evaluation } = await this.parts();
    if ((await jobsEndedSince(evaluation.changes, await store.cursor(), 1)).length > 0) this.wake('poll');
  }

  private logError(what: string, error: unknown): void {
    this.options.logger?.error(`${what}: ${messageOf(error)}`);
  }
}
