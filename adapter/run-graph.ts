/**
 * The runner: selected actions in dependency order, one at a time (SQLite has one writer), each in
 * its own transaction. Failures are recorded as data; dependants of a failure are skipped.
 */
import type { SqliteDatabase } from '../lib/sqlite.js';
import {
  opsMayRewriteRows,
  qualifiedStage,
  scopedParentSubquery,
  stageTableOf,
  type WrittenRows,
} from './assertion-scope.js';
import {
  assertionViewSql,
  buildTasks,
  type ExistingObject,
  incrementalSourceQuery,
  writesIncrementally,
} from './build-tasks.js';
import { declarationsByKey, type GraphAction, graphActions } from './graph-actions.js';
import { displayNameOf, type RefRewriter, refRewriterFor, sqliteNameOf, targetKey } from './names.js';
import { formatCompilationErrors, readableCompilationErrors } from './readable-errors.js';
import { lastActionOutcome, recordRun } from './run-history.js';
import { selectActions } from './select-actions.js';
import type { Row, SqlExecutor } from './sql-executor.js';
import { sqliteExecutor } from './sqlite-executor.js';
import type {
  ActionResult,
  CompiledGraph,
  FailingRows,
  GraphDeclaration,
  RunResult,
  Selection,
  Target,
} from './types.js';

/**
 * How to run a compiled graph. `runGraph` is synchronous (better-sqlite3): each action runs in its
 * own transaction; the run history and `recordWith` are written in one more at the end.
 */
export interface RunOptions {
  db: SqliteDatabase;
  /** Executes the SQL; defaults to SQLite on `db`. The run history is always written to `db`. */
  executor?: SqlExecutor;
  /** Which actions to run; everything when empty. */
  selection?: Selection;
  /** Rebuild incremental tables from scratch (except protected ones). */
  fullRefresh?: boolean;
  /** Run everything inside one transaction and roll it back: changes nothing, records nothing. */
  dryRun?: boolean;
  /** Who started the run: 'cli', 'sensor', 'manual' (the default), ... (stored in the history). */
  trigger?: string;
  /**
   * Called as each action ends, in order, for progress output. Throwing from it stops the run: the
   * error propagates, actions already finished stay committed, and the run is not recorded (the
   * scheduler uses this when it loses its run lock).
   */
  onActionEnd?: (result: ActionResult) => void;
  /**
   * Called inside the transaction that records the run, so that a caller can commit its own state
   * (the sensor's cursor) atomically with the run's record. Not called for a dry run or a run that
   * could not start. If it throws, nothing is recorded and runGraph rethrows.
   */
  recordWith?: (db: SqliteDatabase, result: RunResult) => void;
  /** What to tell a user whose declared source is missing (which service or command creates it). */
  missingSourceHint?: (target: Target) => string;
  /** The clock for timestamps and durations. */
  now?: () => Date;
}

/**
 * Runs the selected actions of a compiled graph against SQLite, in dependency order. Failures are
 * data: a failed action, and a run that could not start (graph errors, a selection that matches
 * nothing; `error` says why), come back as a FAILED result. Only a throwing `recordWith` throws.
 */
export function runGraph(graph: CompiledGraph, options: RunOptions): RunResult {
  const now = options.now ?? (() => new Date());
  const executor = options.executor ?? sqliteExecutor(options.db);
  const started = now();
  const selection = options.selection ?? {};
  const base = {
    runId: 0,
    trigger: options.trigger ?? 'manual',
    selection,
    fullRefresh: options.fullRefresh ?? false,
    dryRun: options.dryRun ?? false,
    startedAt: started.toISOString(),
  };
  const refuse = (error: string): RunResult => ({
    ...base,
    status: 'FAILED',
    endedAt: now().toISOString(),
    durationMs: now().getTime() - started.getTime(),
    actions: [],
    error,
  });

  const errors = graph.graphErrors?.compilationErrors ?? [];
  if (errors.length > 0) {
    const readable = formatCompilationErrors(readableCompilationErrors(errors, graph));
    return refuse(`The graph has compilation errors: ${readable.join('; ')}`);
  }
  const selected = selectActions(graphActions(graph), selection);
  if (!selected.ok) return refuse(selected.message);

  const context: ActionContext = {
    graph,
    executor,
    fullRefresh: base.fullRefresh,
    declarations: declarationsByKey(graph),
    rewrite: refRewriterFor(graph),
    missingSourceHint: options.missingSourceHint,
    now,
    written: new Map(),
    stages: new Set(),
    lastOutcome: (name) => lastActionOutcome(options.db, name),
  };
  const runAll = () => {
    const results = new Map<string, ActionResult>();
    const ordered: ActionResult[] = [];
    try {
      for (const action of selected.actions) {
        const result = runAction(action, results, context);
        results.set(action.key, result);
        ordered.push(result);
        options.onActionEnd?.(result);
      }
    } finally {
      dropStages(context);
    }
    return ordered;
  };
  const actions = base.dryRun ? executor.rolledBack(runAll) : runAll();

  const ended = now();
  const result: RunResult = {
    ...base,
    status: actions.every((a) => a.status === 'SUCCESSFUL' || a.status === 'DISABLED')
      ? 'SUCCESSFUL'
      : 'FAILED',
    endedAt: ended.toISOString(),
    durationMs: ended.getTime() - started.getTime(),
    actions,
  };
  if (base.dryRun) return result;
  return options.db
    .transaction(() => {
      result.runId = recordRun(options.db, result);
      options.recordWith?.(options.db, result);
      return result;
    })
    .immediate();
}

interface ActionContext {
  graph: CompiledGraph;
  executor: SqlExecutor;
  fullRefresh: boolean;
  declarations: Map<string, GraphDeclaration>;
  rewrite: (sql: string) => string;
  missingSourceHint: ((target: Target) => string) | undefined;
  now: () => Date;
  /** The rows each incremental table merged in this run wrote, by target key. */
  written: Map<string, WrittenRows>;
  /** The TEMP staging tables this run's merges created (some may not be in `written`). */
  stages: Set<string>;
  /** An action's last recorded result (run history), for scoping assertions. */
  lastOutcome: (name: string) => { status: string; sql: string[] } | undefined;
}

/** The staging tables live in the connection's TEMP schema until the run ends; drop them then. */
function dropStages(context: ActionContext): void {
  for (const stage of context.stages) {
    try {
      context.executor.execute(`DROP TABLE IF EXISTS ${qualifiedStage(stage)}`);
    } catch {
      // A leftover TEMP table vanishes with the connection, and the next merge drops it first.
    }
  }
  context.stages.clear();
  context.written.clear();
}

/**
 * How a built-in assertion checks its parent in this run: only the rows the parent's merge wrote when
 * the parent was merged incrementally now and the same assertion (same view statement: an edited
 * condition must see the old rows too) passed last time (assertion-scope.ts says why that suffices),
 * else the whole table.
 */
function assertionScope(
  action: GraphAction,
  context: ActionContext,
): { scopedRewrite: RefRewriter; checkedRows: number } | undefined {
  if (action.kind !== 'assertion' || !action.assertion.parentAction) return undefined;
  const parentKey = targetKey(action.assertion.parentAction);
  const written = context.written.get(parentKey);
  if (!written) return undefined;
  const last = context.lastOutcome(action.name);
  if (last?.status !== 'SUCCESSFUL') return undefined;
  let view: string;
  try {
    view = assertionViewSql(action, context.rewrite);
  } catch {
    return undefined; // no query: the build fails the action and says why
  }
  if (!last.sql.includes(view)) return undefined;
  const subquery = scopedParentSubquery(action.assertion.query ?? '', written);
  if (!subquery) return undefined;
  return {
    scopedRewrite: refRewriterFor(context.graph, new Map([[parentKey, subquery]])),
    checkedRows: written.count,
  };
}

function runAction(
  action: GraphAction,
  done: Map<string, ActionResult>,
  context: ActionContext,
): ActionResult {
  const started = context.now();
  const sql: string[] = [];
  const finish = (fields: Pick<ActionResult, 'status'> & Partial<ActionResult>): ActionResult => {
    const ended = context.now();
    return {
      name: action.name,
      target: action.target,
      sqliteName: action.sqliteName,
      kind: action.kind,
      tags: action.tags,
      startedAt: started.toISOString(),
      endedAt: ended.toISOString(),
      durationMs: ended.getTime() - started.getTime(),
      rowsAffected: null,
      sql,
      ...fields,
    };
  };

  if (action.disabled) return finish({ status: 'DISABLED' });
  const blocker = action.dependencies
    .map((d) => done.get(targetKey(d)))
    .find((r) => r && r.status !== 'SUCCESSFUL' && r.status !== 'DISABLED');
  if (blocker) {
    const cause =
      blocker.status === 'SKIPPED'
        ? (blocker.error ?? `because ${blocker.name} was skipped`)
        : `because ${blocker.name} failed`;
    return finish({ status: 'SKIPPED', error: cause });
  }
  const missing = missingSources(action, context);
  if (missing) return finish({ status: 'FAILED', error: missing });

  let rowsAffected: number | null = null;
  let failingRows: FailingRows | undefined;
  let current: string | undefined;
  let watermark: number | undefined;
  let merged = false;
  const warnings: string[] = [];
  const scope = assertionScope(action, context);
  const scopeFields: Partial<ActionResult> =
    action.kind !== 'assertion'
      ? {}
      : scope
        ? { scope: 'written-rows', checkedRows: scope.checkedRows }
        : { scope: 'table' };
  const isDataset = action.kind === 'table' || action.kind === 'view' || action.kind === 'incremental';
  // Read after the transaction ran: `merged` is set inside it.
  const modeFields = (): Partial<ActionResult> => (isDataset ? { mode: merged ? 'merged' : 'created' } : {});
  try {
    context.executor.transaction(() => {
      const info = context.executor.tableInfo(action.sqliteName);
      const existing: ExistingObject | undefined = info && {
        type: info.type,
        columns: info.columns.map((c) => c.name),
        uniqueIndexes: info.uniqueIndexes,
      };
      let queryColumns: string[] | undefined;
      if (writesIncrementally(action, existing, context.fullRefresh)) {
        merged = true;
        if (action.kind === 'incremental' && (action.table.uniqueKey ?? []).length > 0) {
          context.stages.add(stageTableOf(action.sqliteName));
        }
        current = incrementalSourceQuery(action, context.rewrite);
        queryColumns = context.executor.queryColumns(current);
        current = undefined;
        // As Dataform does without onSchemaChange, new query columns are not written: say so, not silently.
        const have = new Set(existing?.columns ?? []);
        const added = queryColumns.filter((column) => !have.has(column));
        if (added.length > 0) {
          warnings.push(
            `the incremental query returns column(s) ${added.join(', ')} that ${action.sqliteName} does not have; they are not written. Run with --full-refresh to rebuild the table with them.`,
          );
        }
      }
      const tasks = buildTasks(action, existing, {
        fullRefresh: context.fullRefresh,
        rewrite: context.rewrite,
        queryColumns,
        ...(scope ? { scopedRewrite: scope.scopedRewrite } : {}),
      });
      for (const task of tasks) {
        current = task.sql;
        if (!task.sql.startsWith('PRAGMA')) sql.push(task.sql);
        switch (task.role) {
          case 'execute':
            context.executor.execute(task.sql);
            break;
          case 'write':
            rowsAffected = (rowsAffected ?? 0) + context.executor.execute(task.sql).changes;
            break;
          case 'row-count':
          case 'assertion-count':
            rowsAffected = Number(Object.values(context.executor.query(task.sql)[0] ?? {})[0] ?? 0);
            break;
          case 'rowid-watermark':
            watermark = Number(Object.values(context.executor.query(task.sql)[0] ?? {})[0] ?? 0);
            break;
          case 'assertion-sample':
            if ((rowsAffected ?? 0) > 0) {
              failingRows = {
                count: rowsAffected ?? 0,
                sample: context.executor.query(task.sql).map(jsonSafe),
              };
            }
            break;
        }
      }
      current = undefined;
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return finish({
      status: 'FAILED',
      error: message,
      rowsAffected: null,
      ...(current ? { failedSql: current } : {}),
      ...scopeFields,
      ...modeFields(),
    });
  }
  if (merged && watermark !== undefined) rememberWritten(action, watermark, rowsAffected ?? 0, context);
  if (failingRows) {
    return finish({
      status: 'FAILED',
      error: `Assertion failed: query returned ${failingRows.count} row(s).`,
      rowsAffected,
      failingRows,
      ...scopeFields,
    });
  }
  return finish({
    status: 'SUCCESSFUL',
    rowsAffected,
    ...scopeFields,
    ...modeFields(),
    ...(warnings.length > 0 ? { warnings } : {}),
  });
}

/** Remembers the rows a successful incremental merge wrote, unless its operations may rewrite others. */
function rememberWritten(
  action: GraphAction,
  rowidAbove: number,
  count: number,
  context: ActionContext,
): void {
  if (action.kind !== 'incremental') return;
  const { table } = action;
  if (opsMayRewriteRows(table.incrementalPreOps) || opsMayRewriteRows(table.incrementalPostOps)) return;
  const keys = table.uniqueKey ?? [];
  context.written.set(action.key, {
    table: action.sqliteName,
    rowidAbove,
    count,
    ...(keys.length > 0 ? { stage: { name: stageTableOf(action.sqliteName), keys } } : {}),
  });
}

/** Declared sources are never built here; an action that reads a missing one fails and says why. */
function missingSources(action: GraphAction, context: ActionContext): string | undefined {
  for (const dep of action.dependencies) {
    const declaration = context.declarations.get(targetKey(dep));
    if (!declaration) continue;
    const name = sqliteNameOf(declaration.target, context.graph.projectConfig);
    if (context.executor.tableInfo(name)) continue;
    const hint =
      context.missingSourceHint?.(declaration.target) ??
      'Create it in the database before running, or run against a database that has it.';
    return `The declared source ${displayNameOf(declaration.target)} (SQLite table "${name}", declared in ${declaration.fileName ?? 'an unknown file'}) does not exist. ${hint}`;
  }
  return undefined;
}

/** Makes a failing row storable as JSON: BigInts become numbers or strings, blobs become hex. */
function jsonSafe(row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (typeof value === 'bigint')
      out[key] = Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    else if (value instanceof Uint8Array) out[key] = `x'${Buffer.from(value).toString('hex')}'`;
    else out[key] = value;
  }
  return out;
}
