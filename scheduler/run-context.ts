import type { Logger } from '../lib/logger.js';
import type { SqliteDatabase } from '../lib/sqlite.js';
import type { RunLock } from './run-lock.js';
import type { SchedulerAdapter } from './scheduler-types.js';

/** What a graph run (a sensor tick's or a manual one) needs from the scheduler that starts it. */
export interface GraphRunContext {
  db: SqliteDatabase;
  adapter: SchedulerAdapter;
  /** The Dataform project to compile and run. */
  projectDir: string;
  lock: RunLock;
  now: () => Date;
  logger?: Logger | undefined;
  /** Renews the run lock's lease between actions; throws RunLockLostError when it is no longer ours. */
  keepLock(where: string): void;
  /** Prunes the run history after a run; never throws. */
  prune(): void;
}
