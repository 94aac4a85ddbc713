/**
 * The adapter's public types: the slice of Dataform's compiled graph that the adapter reads, and the
 * results of a run. Other stages (scheduler, docs, CLI) depend on these names; change them with care.
 */

/** A Dataform target: `database.schema.name` in BigQuery terms. */
export interface Target {
  database?: string;
  schema?: string;
  name: string;
}

export interface ColumnDescriptor {
  path: string[];
  description?: string;
  tags?: string[];
}

export interface ActionDescriptor {
  description?: string;
  columns?: ColumnDescriptor[];
}

interface GraphActionBase {
  target: Target;
  canonicalTarget?: Target;
  fileName?: string;
  tags?: string[];
  disabled?: boolean;
  dependencyTargets?: Target[];
  actionDescriptor?: ActionDescriptor;
}

/** A table, view or incremental table (`tables[]` in the compiled graph). */
export interface GraphTable extends GraphActionBase {
  enumType?: 'TABLE' | 'VIEW' | 'INCREMENTAL';
  type?: string;
  query?: string;
  incrementalQuery?: string;
  where?: string;
  preOps?: string[];
  postOps?: string[];
  incrementalPreOps?: string[];
  incrementalPostOps?: string[];
  protected?: boolean;
  uniqueKey?: string[];
  /** What an incremental merge does when the query's columns differ from the table's (Dataform's four). */
  onSchemaChange?: 'IGNORE' | 'FAIL' | 'EXTEND' | 'SYNCHRONIZE';
}

export interface GraphOperation extends GraphActionBase {
  queries?: string[];
  hasOutput?: boolean;
}

export interface GraphAssertion extends GraphActionBase {
  query?: string;
  parentAction?: Target;
}

export interface GraphDeclaration {
  target: Target;
  canonicalTarget?: Target;
  fileName?: string;
  tags?: string[];
  actionDescriptor?: ActionDescriptor;
}

export interface CompilationError {
  fileName?: string;
  actionName?: string;
  message: string;
  /** The compiler's own wording, where the adapter made `message` easier to read. */
  detail?: string;
}

export interface ProjectConfig {
  defaultDatabase?: string;
  defaultSchema?: string;
  assertionSchema?: string;
  /** `--schema-suffix` / `--table-prefix` (or workflow_settings.yaml's): a separate environment. */
  schemaSuffix?: string;
  tablePrefix?: string;
  vars?: Record<string, string>;
}

/** `dataform compile --json`, as much of it as the adapter reads. */
export interface CompiledGraph {
  tables?: GraphTable[];
  operations?: GraphOperation[];
  assertions?: GraphAssertion[];
  declarations?: GraphDeclaration[];
  projectConfig?: ProjectConfig;
  graphErrors?: { compilationErrors?: CompilationError[] };
  dataformCoreVersion?: string;
}

/** What kind of thing an action builds, as the run output and the docs show it. */
export type ActionKind = 'table' | 'view' | 'incremental' | 'operations' | 'assertion' | 'declaration';

/** CANCELLED: the action was stopped mid-way by a cancel or the execution timeout, and rolled back. */
export type ActionStatus = 'SUCCESSFUL' | 'FAILED' | 'SKIPPED' | 'DISABLED' | 'CANCELLED';
/**
 * RUNNING while it runs (as the history shows it); CANCELLED when stopped by a signal, the status
 * page or --execution-timeout; INTERRUPTED when its process died before it ended.
 */
export type RunStatus = 'SUCCESSFUL' | 'FAILED' | 'CANCELLED' | 'INTERRUPTED' | 'RUNNING';

/** Which actions a run covers; mirrors `dataform run`'s flags. */
export interface Selection {
  tags?: string[];
  /** Names (`name`) or qualified names (`schema.name`), `*` globs allowed. */
  actions?: string[];
  includeDeps?: boolean;
  includeDependents?: boolean;
}

export interface FailingRows {
  /** How many rows the assertion returned. */
  count: number;
  /** The first few of them. */
  sample: Record<string, unknown>[];
}

export interface ActionResult {
  /** `schema.name`, as Dataform prints it. */
  name: string;
  target: Target;
  /** The SQLite table or view the action builds. */
  sqliteName: string;
  kind: ActionKind;
  tags: string[];
  status: ActionStatus;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  /** Rows written (tables, incrementals, operations) or returned (assertions); null when not known. */
  rowsAffected: number | null;
  /** Why it failed or was skipped. */
  error?: string;
  /**
   * What kind of failure the engine reported ('busy', 'disk-full', 'cancelled', 'sql', ...), when it
   * was one: a 'busy' database is worth retrying, a broken model is not.
   */
  errorKind?: import('./engine/executor.js').EngineErrorKind;
  /** For assertions that ran: how many rows failed, and the first few. */
  failingRows?: FailingRows;
  /** Things the user should know about a successful action (e.g. query columns an incremental table lacks). */
  warnings?: string[];
  /** The SQL statements executed (or, for a dry run, checked), in order. */
  sql: string[];
  /** For a failed action: the statement that failed (also the last of `sql`). */
  failedSql?: string;
  /**
   * For an assertion that ran: what it checked. 'written-rows' when it is a built-in assertion of an
   * incremental table merged in this run and it passed last time (only the rows the merge wrote, and
   * for uniqueKey those sharing their key, can newly fail); 'table' otherwise.
   */
  scope?: 'written-rows' | 'table';
  /** With scope 'written-rows': how many rows the parent's merge wrote, i.e. were checked. */
  checkedRows?: number;
  /**
   * For a table, view or incremental that got as far as building: 'merged' when new rows were merged
   * into the existing incremental table, 'created' when it was (re)built from its full query.
   */
  mode?: 'created' | 'merged';
}

export interface RunResult {
  /** Row id in the run history; 0 for a dry run, which records nothing. */
  runId: number;
  status: RunStatus;
  trigger: string;
  selection: Selection;
  fullRefresh: boolean;
  dryRun: boolean;
  startedAt: string;
  /** null while the run is RUNNING (or was INTERRUPTED before it ended). */
  endedAt: string | null;
  durationMs: number | null;
  actions: ActionResult[];
  /** Why the run could not start or did not finish (a selection that matches nothing, a cancel). */
  error?: string;
}

/** One row of the run history, without its actions. */
export interface RunSummary {
  runId: number;
  status: RunStatus;
  trigger: string;
  selection: Selection;
  fullRefresh: boolean;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  error?: string;
  counts: Record<ActionStatus, number>;
}

/** What the SQLite file holds for one action or declaration (for the docs' catalog). */
export interface CatalogEntry {
  name: string;
  sqliteName: string;
  exists: boolean;
  objectType: 'table' | 'view' | null;
  /**
   * Columns with their types: the declared type, or where none is declared (an expression column of
   * a view) the storage class of a stored value (INTEGER, REAL, TEXT, BLOB) with `inferred: true`;
   * '' when nothing tells (no declared type and only NULLs).
   */
  columns: { name: string; type: string; inferred?: boolean }[];
  rowCount: number | null;
}
