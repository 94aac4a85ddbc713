import nodeCron from 'node-cron';
import type {
  AsyncExecutor,
  CompiledGraph,
  CompileOptions,
  CompileOutcome,
  Engine,
  LockHolder,
  RunHistory,
  RunOptions,
  RunResult,
  Selection,
} from '../adapter/index.js';
import type { Logger } from '../lib/index.js';
import type { Timers } from './change-watcher.js';
import type { TickRecord } from './sensor-store.js';

/** The scheduler's contract: its options, what it reports, and what it can be asked to do. */
/** A started cron job, as much of node-cron's ScheduledTask as the scheduler uses. */
export interface CronTask {
  stop(): void | Promise<void>;
  /** Stops the task and forgets it (node-cron keeps a stopped task in its global registry). */
  destroy?(): void | Promise<void>;
  getNextRun?(): Date | null;
}

/** What wakes the sensor on a schedule; node-cron by default, a hand-driven fake in tests. */
export interface Cron {
  schedule(expression: string, onTick: () => void): CronTask;
  validate(expression: string): boolean;
}

export const nodeCronScheduler: Cron = {
  schedule: (expression, onTick) => nodeCron.schedule(expression, onTick, { name: 'bambuzled-sensor' }),
  validate: (expression) => nodeCron.validate(expression),
};

/** The adapter functions the scheduler calls; the real adapter unless a test or another engine says. */
export interface SchedulerAdapter {
  compileProject(options: CompileOptions): Promise<CompileOutcome>;
  runGraph(graph: CompiledGraph, options: RunOptions): Promise<RunResult>;
}

export interface SchedulerOptions {
  /**
   * Where the raw layer and the graph live (from `openEngine`). The scheduler opens two connections
   * of its own: a control connection (sensor state, ticks, the run lock, the change feed, the status
   * page's reads) and a run connection (the runs; kept across runs, cancellable mid-statement).
   */
  engine: Engine;
  /** The Dataform project to compile and run. */
  projectDir: string;
  /** A six-field node-cron expression; a *minimum* interval, as Dagster's 30 s default. */
  schedule?: string;
  /** What a sensor run covers: by default the bronze models and everything downstream of them. */
  selection?: Selection;
  /** The sensor's name in the state and tick tables (one cursor per name). */
  sensor?: string;
  now?: () => Date;
  cron?: Cron;
  timers?: Timers;
  /**
   * How often to read the change feed for jobs ended by other processes (the cross-process fast
   * path; default 100 ms); 0 turns it off.
   */
  pollIntervalMs?: number;
  logger?: Logger;
  /** Runs kept in the history (older ones are pruned after each run). */
  keepRuns?: number;
  /** Ticks kept per sensor. */
  keepTicks?: number;
  /**
   * A lock holder that has not beaten for this long is presumed dead (default 10 minutes; a run in
   * flight renews its lease every third of it; a dead holder on the same host is recovered at once).
   */
  lockTtlMs?: number;
  /** How long a manual run waits for another process's run to finish. */
  lockWaitMs?: number;
  /** Called after every evaluation, e.g. to alert on FAILED ticks. */
  onTick?: (tick: TickRecord) => void;
  adapter?: SchedulerAdapter;
}

/** A manual run: `bambuzled run`'s selection flags. Nothing selected means the whole graph. */
export interface RunNowRequest {
  tags?: string[];
  actions?: string[];
  includeDeps?: boolean;
  includeDependents?: boolean;
  fullRefresh?: boolean;
}

/** What the status page shows about the sensor. */
export interface SchedulerStatus {
  sensor: string;
  state: 'RUNNING' | 'STOPPED';
  /** What this process is doing now ('a sensor run', 'a manual run'), or null when idle. */
  busy: string | null;
  /** Whether this process has a run in flight that cancel() (the page's "Cancel run") can stop. */
  cancellable: boolean;
  cursor: number;
  latestChangeSeq: number;
  /** Ended jobs after the cursor that no successful run has handled yet. */
  pendingEndedJobs: number;
  lastTick: TickRecord | null;
  nextTickAt: string | null;
  schedule: string;
  selection: Selection;
  projectDir: string;
  lock: LockHolder | null;
  pollIntervalMs: number;
}

export interface Scheduler {
  /** Marks the sensor RUNNING, starts cron and the poll, and evaluates once to catch up. */
  start(): void;
  /**
   * Opens the scheduler's connections and tables (start() and every other call do it when needed);
   * rejects with the engine's error (a corrupt or unreadable database) naming the file.
   */
  open(): Promise<void>;
  /**
   * Stops waking the sensor and resolves once nothing is in flight. A run in flight is cancelled
   * (its statement stopped, its action rolled back) unless `cancelRun` is false, when it finishes.
   */
  stop(options?: { cancelRun?: boolean }): Promise<void>;
  /** stop(), then closes the scheduler's connections. */
  close(): Promise<void>;
  /**
   * Cancels the run in flight in this process (a sensor run or a manual one), if any: it ends
   * CANCELLED, and a sensor run's cursor stays, so the next tick runs again. Resolves with whether
   * there was a run to cancel, once it has ended.
   */
  cancel(reason?: string): Promise<boolean>;
  /** The fast path: evaluate now (coalesced with one in flight). Ignored while stopped. */
  wake(reason?: string): void;
  /** One evaluation, as a cron tick does it; resolves with its tick record. */
  tick(wokenBy?: string): Promise<TickRecord>;
  /** A manual run of a selection; does not move the cursor. */
  runNow(request?: RunNowRequest): Promise<RunResult>;
  /** Sets the cursor (default 0: every ended job is handled again by the next evaluation). */
  resetCursor(to?: number): Promise<{ before: number; after: number }>;
  status(): Promise<SchedulerStatus>;
  /**
   * Where this scheduler's project and database live, as given (a SQLite path, or a server URL
   * without its password): the status page hides them behind their names.
   */
  readonly places: { projectDir: string; database: string };
  ticks(limit?: number): Promise<TickRecord[]>;
  /** The control connection (the status page reads through it). */
  control(): Promise<AsyncExecutor>;
  /** The run history, read through the control connection. */
  history(): Promise<RunHistory>;
  /** Resolves when nothing is in flight in this process. */
  idle(): Promise<void>;
}
