/**
 * The adapter's public interface: compile a Dataform project with the stock compiler, run its graph
 * against SQLite, and read back run history and the catalog. Other stages import only from here.
 */
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
export { type RunOptions, runGraph } from './run-graph.js';
export {
  ACTION_RUNS_TABLE,
  getRun,
  lastActionOutcome,
  latestActionResults,
  listRuns,
  pruneRunHistory,
  RUNS_TABLE,
} from './run-history.js';
export { selectActions } from './select-actions.js';
export type { ColumnInfo, SqlExecutor, TableInfo } from './sql-executor.js';
export { sqliteExecutor } from './sqlite-executor.js';
export type * from './types.js';
