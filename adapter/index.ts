/**
 * The adapter's public interface: compile a Dataform project with the stock compiler, run its graph
 * against SQLite, and read back run history and the catalog. Other stages import only from here.
 */
import type { SqliteDatabase } from '../lib/sqlite.js';
import type { ActionResult, RunResult, Selection, Target } from './types.js';

export { type BuildTaskOptions, buildTasks, type ExistingObject, type SqlTask } from './build-tasks.js';
export {
  COMPILE_CACHE_DIR,
  type CompileOptions,
  type CompileOutcome,
  compileProject,
} from './compile-project.js';
export { type GraphAction, graphActions } from './graph-actions.js';
export { displayNameOf, quoteIdentifier, refRewriterFor, sqliteNameOf } from './names.js';
export { readCatalog } from './read-catalog.js';
export { type RunGraphOptions, runGraph } from './run-graph.js';
export {
  ACTION_RUNS_TABLE,
  getRun,
  latestActionResults,
  listRuns,
  pruneRunHistory,
  RUNS_TABLE,
} from './run-history.js';
export { selectActions } from './select-actions.js';
export type { ColumnInfo, SqlExecutor, TableInfo } from './sql-executor.js';
export { sqliteExecutor } from './sqlite-executor.js';
export type * from './types.js';

/**
 * How to run a compiled graph. `runGraph` is synchronous (better-sqlite3): each action runs in its
 * own transaction; the run history and `recordWith` are written in one more at the end.
 */
export interface RunOptions {
  db: SqliteDatabase;
  selection?: Selection;
  fullRefresh?: boolean;
  /** Run everything inside one transaction and roll it back: changes nothing, records nothing. */
  dryRun?: boolean;
  /** Who started the run: 'cli', 'sensor', 'manual', ... (stored in the history). */
  trigger?: string;
  /** Called as each action ends, in order, for progress output. */
  onActionEnd?: (result: ActionResult) => void;
  /**
   * Called inside the transaction that records the run, so that a caller can commit its own state
   * (the sensor's cursor) atomically with the run's record. Not called for a dry run.
   */
  recordWith?: (db: SqliteDatabase, result: RunResult) => void;
  /** What to tell a user whose declared source is missing (which service or command creates it). */
  missingSourceHint?: (target: Target) => string;
  now?: () => Date;
}
