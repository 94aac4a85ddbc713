/**
 * The adapter's public interface: compile a Dataform project with the stock compiler, run its graph
 * on an engine (SQLite today) through the dialect, the async executor and the run-history store, and
 * read back run history and the catalog. Other stages import only from here.
 */
export { type BuildTaskOptions, buildTasks, type ExistingObject, type SqlTask } from './build-tasks.js';
export {
  COMPILE_CACHE_DIR,
  type CompileOptions,
  type CompileOutcome,
  type CompileOverrides,
  compileProject,
} from './compile-project.js';
export { DEFAULT_ENGINE_VAR, type Dialect, ENGINE_VAR, type WrittenRows } from './engine/dialect.js';
export {
  type AsyncExecutor,
  type BatchOptions,
  type BatchResult,
  type BatchStatement,
  type ColumnInfo,
  EngineError,
  type EngineErrorKind,
  engineErrorKind,
  type Row,
  type Statements,
  type TableInfo,
} from './engine/executor.js';
export { type Engine, isServerUrl, openEngine, withoutPassword } from './engine/open-engine.js';
export { postgresDialect } from './engine/postgres/postgres-dialect.js';
export { openPostgresExecutor } from './engine/postgres/postgres-executor.js';
export { sqliteDialect } from './engine/sqlite/sqlite-dialect.js';
export { openSqliteExecutor, type SqliteExecutorOptions } from './engine/sqlite/sqlite-executor.js';
export { type GraphAction, graphActions } from './graph-actions.js';
export { displayNameOf, quoteIdentifier, refRewriterFor, sqliteNameOf } from './names.js';
export { readCatalog } from './read-catalog.js';
export { compileVarsFor, type RunOptions, runGraph } from './run-graph.js';
export {
  ACTION_RUNS_TABLE,
  type AssertionState,
  openRunHistory,
  RUNS_TABLE,
  RunHistory,
} from './run-history.js';
export { type AcquireOutcome, type LockHolder, processIsAlive, RUN_LOCK_NAME, RunLock } from './run-lock.js';
export { selectActions } from './select-actions.js';
export type * from './types.js';
export {
  type CellDifference,
  type GraphTest,
  graphTests,
  runUnitTests,
  type TestResult,
} from './unit-tests.js';
