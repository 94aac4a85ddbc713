/**
 * The engine boundary's pure half: how an engine names things and the SQL it runs for each action.
 * Nothing here touches a database; the runner asks the dialect for statements and runs them through
 * the executor. A second engine is a second Dialect, never an `if` in the runner.
 */
import type { BuildTaskOptions, ExistingObject, SqlTask } from '../build-tasks.js';
import type { GraphAction } from '../graph-actions.js';
import type { RefRewriter } from '../names.js';
import type { CompiledGraph, ProjectConfig, Target } from '../types.js';
import type { WrittenRows } from '../written-rows.js';

export type { WrittenRows } from '../written-rows.js';

/** The compile var that names the engine a graph is compiled for. */
export const ENGINE_VAR = 'engine';

/**
 * The engine a project compiled without ENGINE_VAR is for: SQLite, so that a SQLite run compiles exactly
 * the stock CLI's graph (and shares its compile cache).
 */
export const DEFAULT_ENGINE_VAR = 'sqlite';

export interface Dialect {
  readonly name: string;
  /**
   * The value of the compile var ENGINE_VAR (`engine`) that tells a project its SQL is for this engine;
   * a project's includes read it (this project's includes/sql.js). compileVarsFor sets it where a graph is
   * compiled to run here, and runGraph refuses a graph compiled with another value.
   */
  readonly engineVar: string;
  /** The table or view name a Dataform target has on this engine (schema folded in, or not). */
  objectName(target: Target, config: ProjectConfig | undefined): string;
  /** Quotes an identifier. */
  quote(identifier: string): string;
  /** Rewrites the compiler's BigQuery identifiers of known targets (or substitutes) into this engine's. */
  refRewriter(graph: CompiledGraph, substitutes?: ReadonlyMap<string, string>): RefRewriter;
  /** Whether an incremental action merges into what exists (rather than rebuilding it). */
  writesIncrementally(
    action: GraphAction,
    existing: ExistingObject | undefined,
    fullRefresh: boolean,
  ): boolean;
  /** The query an incremental merge reads from (the incremental query, filtered by `where`). */
  incrementalSourceQuery(action: GraphAction, rewrite: RefRewriter): string;
  /** The ordered statements that build an action given what exists under its name. */
  buildTasks(action: GraphAction, existing: ExistingObject | undefined, options: BuildTaskOptions): SqlTask[];
  /** The statement that creates an assertion's view with its full query (also its identity). */
  assertionViewSql(action: GraphAction, rewrite: RefRewriter): string;
  /**
   * The subquery that stands for a parent table in a check of a built-in assertion scoped to
   * `written`, or undefined when this assertion cannot be scoped soundly.
   */
  scopedParent(assertionQuery: string, written: WrittenRows): string | undefined;
  /** The staging table an upsert of `objectName` uses, and the statement that drops it. */
  stageOf(objectName: string): string;
  dropStage(stage: string): string;
  /**
   * For engines whose columns can lack a declared type (SQLite views): a query whose one value is the
   * type name of the first non-NULL value of `column` (no row when there is none).
   */
  valueTypeSql?(objectName: string, column: string): string;
  /**
   * Why a statement cannot run inside a transaction on this engine (SQLite's VACUUM, ATTACH and
   * DETACH), or undefined when it can: an operation holding one runs without a transaction.
   */
  refusesTransaction?(sql: string): string | undefined;
  /** The column definition of a table's auto-numbered primary key (the run history's run_id). */
  autoIncrementKey: string;
  /** A query whose `name` column lists the user's tables and views, as objectName writes them. */
  listObjectsSql: string;
}
