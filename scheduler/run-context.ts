import type { AsyncExecutor, Dialect, RunHistory, RunLock } from '../adapter/index.js';
import type { Logger } from '../lib/index.js';
import type { Timers } from './change-watcher.js';
import { LeaseKeeper } from './lock-heartbeat.js';
import type { SchedulerAdapter } from './scheduler-types.js';

/** What a graph run (a sensor tick's or a manual one) needs from the scheduler that starts it. */
export interface GraphRunContext {
  /** The control connection: the lock, the sensor state, the change feed. */
  control: AsyncExecutor;
  /** The run connection: the runs' statements, cancellable. */
  runner: AsyncExecutor;
  /** The run history as the runs write it (on the run connection). */
  runHistory: RunHistory;
  /** The run history on the control connection (pruning, marking interrupted runs). */
  controlHistory: RunHistory;
  /** The engine's SQL, for the runs. */
  dialect: Dialect;
  adapter: SchedulerAdapter;
  /** The Dataform project to compile and run. */
  projectDir: string;
  lock: RunLock;
  now: () => Date;
  timers: Timers;
  /** How often a run in flight renews the run lock's lease. */
  leaseRenewMs: number;
  logger?: Logger | undefined;
  /** Registers the controller of the run in flight, so that cancel() can abort it; returns the undo. */
  track(controller: AbortController): () => void;
  /** Prunes the run history after a run; never throws. */
  prune(): Promise<void>;
  logError(what: string, error: unknown): void;
}

/**
 * Runs `work` with the lock's lease renewed on a timer and a signal that cancel() or a lost lease
 * aborts. The lock must be held already.
 */
export async function underLease<T>(
  context: GraphRunContext,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const keeper = new LeaseKeeper(
    context.lock,
    controller,
    context.timers,
    context.leaseRenewMs,
    context.logError,
  ).start();
  const untrack = context.track(controller);
  try {
    return await work(controller.signal);
  } finally {
    untrack();
    await keeper.stop();
  }
}
