/**
 * Runs one action of a graph: checks its dependencies and declared sources, builds its statements
 * through the dialect, runs them in one transaction together with the action's record in the run
 * history (and what its merge wrote, or its check found), and returns its ActionResult. Failures come
 * back as data in that result. What only reads (what holds the target's name, an assertion's check when
 * its view is in place) runs before that transaction, so that the write lock is held for the writes.
 */
import { type ActionContext, cancelReason, throwIfCancelled } from './action-context.js';
import { opsMayRewriteRows } from './assertion-scope.js';
import { cleanQuery, type ExistingObject, type SqlTask, type TaskRole } from './build-tasks.js';
import type { WrittenRows } from './engine/dialect.js';
import {
  type BatchResult,
  type BatchStatement,
  EngineError,
  engineErrorKind,
  type Row,
  type Statements,
} from './engine/executor.js';
import type { GraphAction } from './graph-actions.js';
import { displayNameOf, type RefRewriter, targetKey } from './names.js';
import type { HistoryWrites } from './run-history.js';
import type { ActionResult, FailingRows } from './types.js';

/**
 * How a built-in assertion checks its parent in this run: only the rows written since it last passed
 * on the whole table, when the parent was merged now and nothing made those rows impossible to find
 * (the assertion state, committed with every merge and every check, says); else the whole table.
 */
async function assertionScope(
  action: GraphAction,
  tx: Statements,
  context: ActionContext,
): Promise<{ scopedRewrite: RefRewriter; checkedRows: number } | undefined> {
  if (action.kind !== 'assertion' || !action.assertion.parentAction) return undefined;
  const parentKey = targetKey(action.assertion.parentAction);
  const merged = context.written.get(parentKey);
  if (!merged) return undefined;
  const state = await context.history.assertionState(tx, action.name);
  if (!state?.verified || state.stale || state.pendingRowidAbove === null) return undefined;
  if (state.pendingUpdatesRun !== null && state.pendingUpdatesRun !== context.runId) return undefined;
  let view: string;
  try {
    view = context.dialect.assertionViewSql(action, context.rewrite);
  } catch {
    return undefined; // no query: the build fails the action and says why
  }
  if (state.viewSql !== view) return undefined; // an edited check must see the old rows too
  const written: WrittenRows = {
    table: merged.table,
    rowidAbove: state.pendingRowidAbove,
    ...(state.pendingUpdatesRun === context.runId && merged.stage ? { stage: merged.stage } : {}),
    count: merged.count,
  };
  const subquery = context.dialect.scopedParent(action.assertion.query ?? '', written);
  if (!subquery) return undefined;
  return {
    scopedRewrite: context.dialect.refRewriter(context.graph, new Map([[parentKey, subquery]])),
    checkedRows: merged.count,
  };
}

/**
 * Runs one action; `done` holds the results of the actions run before it, so that dependants of a
 * failure are skipped, and `seq` is its place in the run.
 */
export async function runAction(
  action: GraphAction,
  seq: number,
  done: Map<string, ActionResult>,
  context: ActionContext,
): Promise<ActionResult> {
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
  /** Records a result that wrote nothing, in a transaction of its own. */
  const recorded = async (result: ActionResult): Promise<ActionResult> => {
    if (context.runId > 0) {
      const writes = new QueuedWrites();
      await context.history.recordAction(writes, context.runId, seq, result);
      // No signal: a cancelled or skipped action is recorded as such, cancelled run or not.
      await context.db.transaction((tx) => writes.commitWith(tx, undefined));
    }
    return result;
  };

  if (action.disabled) return recorded(finish({ status: 'DISABLED' }));
  if (context.signal?.aborted) {
    return recorded(
      finish({ status: 'SKIPPED', error: `because the run was cancelled (${cancelReason(context.signal)})` }),
    );
  }
  const blocker = action.dependencies
    .map((d) => done.get(targetKey(d)))
    .find((r) => r && r.status !== 'SUCCESSFUL' && r.status !== 'DISABLED');
  if (blocker) {
    const cause =
      blocker.status === 'SKIPPED'
        ? (blocker.error ?? `because ${blocker.name} was skipped`)
        : `because ${blocker.name} ${blocker.status === 'CANCELLED' ? 'was cancelled' : 'failed'}`;
    return recorded(finish({ status: 'SKIPPED', error: cause }));
  }
  const missing = await missingSources(action, context);
  if (missing) return recorded(finish({ status: 'FAILED', error: missing }));

  let current: string | undefined;
  let merged = false;
  let scopeFields: Partial<ActionResult> = {};
  const isDataset = action.kind === 'table' || action.kind === 'view' || action.kind === 'incremental';
  const modeFields = (): Partial<ActionResult> => (isDataset ? { mode: merged ? 'merged' : 'created' } : {});
  const outside = outsideTransaction(action, context);
  if (outside && context.runId === 0) {
    // A dry run is one transaction that is rolled back: such a statement cannot run in it at all.
    return recorded(finish({ status: 'SUCCESSFUL', warnings: [`not run in a dry run: ${outside}`] }));
  }
  // Such an operation runs statement by statement, each on its own; what it did cannot be undone.
  const inTransaction = <T>(work: (tx: Statements) => Promise<T>): Promise<T> =>
    outside ? work(context.db) : context.db.transaction(work);
  const onFailed = (failed: string) => {
    current = failed;
  };
  try {
    // What holds the action's name, read before the write lock is taken: under the run lock only this
    // run changes a target, and nothing else of it runs in between.
    const info = await context.db.describe(action.sqliteName);
    const existing: ExistingObject | undefined = info && {
      type: info.type,
      columns: info.columns.map((c) => c.name),
      uniqueIndexes: info.uniqueIndexes,
      ...(info.definition === undefined ? {} : { definition: info.definition }),
    };
    const checked =
      action.kind === 'assertion'
        ? await checkBeforeLock(action, existing, context, sql, onFailed, (fields) => {
            scopeFields = fields;
          })
        : undefined;
    return await inTransaction(async (tx) => {
      let rowsAffected: number | null = null;
      let failingRows: FailingRows | undefined;
      let watermark: number | undefined;
      const warnings: string[] = outside ? [`ran outside a transaction: ${outside}`] : [];
      let schemaChange: { add: string[]; drop: string[] } | undefined;
      const keys = action.kind === 'incremental' ? (action.table.uniqueKey ?? []) : [];
      if (checked) {
        ({ rowsAffected, failingRows } = checked.ran);
        scopeFields = checked.scopeFields;
      } else {
        let queryColumns: string[] | undefined;
        let preOpsRan = false;
        if (context.dialect.writesIncrementally(action, existing, context.fullRefresh)) {
          merged = true;
          if (keys.length > 0) context.stages.add(context.dialect.stageOf(action.sqliteName));
          // The incremental pre-operations run first, as Dataform runs them before the query: the query
          // may read what they create (this project's watermark table), so its columns are read after.
          const preOps = (action.kind === 'incremental' ? (action.table.incrementalPreOps ?? []) : [])
            .map((op) => cleanQuery(context.rewrite(op)))
            .filter((op) => op !== '');
          const tasks = preOps.map((op): SqlTask => ({ role: 'execute', sql: op }));
          await runBatch(tx, tasks, { ran: sql, signal: context.signal }, onFailed);
          preOpsRan = true;
          current = context.dialect.incrementalSourceQuery(action, context.rewrite);
          queryColumns = await tx.queryColumns(current);
          current = undefined;
          const decided = schemaChangeOf(action, existing?.columns ?? [], queryColumns);
          if (decided.error) throw new SchemaChangeError(decided.error);
          if (decided.warning) warnings.push(decided.warning);
          schemaChange = decided.change;
        }
        const scope = await assertionScope(action, tx, context);
        if (action.kind === 'assertion') scopeFields = scopeFieldsOf(scope);
        const built =
          preOpsRan && action.kind === 'incremental'
            ? { ...action, table: { ...action.table, incrementalPreOps: [] } }
            : action;
        const tasks = context.dialect.buildTasks(built, existing, {
          fullRefresh: context.fullRefresh,
          rewrite: context.rewrite,
          queryColumns,
          ...(schemaChange ? { schemaChange } : {}),
          ...(scope ? { scopedRewrite: scope.scopedRewrite } : {}),
        });
        ({ rowsAffected, watermark, failingRows } = await runTasks(tx, tasks, context, sql, onFailed));
      }
      current = undefined;
      // The history's rows go in one batch at the end, not a request each while the lock is held.
      const writes = new QueuedWrites();
      if (schemaChange) {
        // The table changed shape: its assertions check every row again, old ones included.
        await context.history.noteRebuild(writes, action.sqliteName);
        warnings.push(describeChange(action.sqliteName, schemaChange));
      }
      await noteWrites(action, writes, context, {
        merged,
        watermark,
        rowsAffected,
        keys,
        failed: failingRows !== undefined,
      });
      const result = failingRows
        ? finish({
            status: 'FAILED',
            error: `Assertion failed: query returned ${failingRows.count} row(s).`,
            rowsAffected,
            failingRows,
            ...scopeFields,
          })
        : finish({
            status: 'SUCCESSFUL',
            rowsAffected,
            ...scopeFields,
            ...modeFields(),
            ...(warnings.length > 0 ? { warnings } : {}),
          });
      if (context.runId > 0) await context.history.recordAction(writes, context.runId, seq, result);
      await writes.commitWith(tx, context.signal);
      return result;
    });
  } catch (error) {
    const kind = engineErrorKind(error);
    const cancelled = kind === 'cancelled' || context.signal?.aborted === true;
    const message = cancelled && context.signal ? cancelReason(context.signal) : messageOf(error);
    return recorded(
      finish({
        status: cancelled ? 'CANCELLED' : 'FAILED',
        error: cancelled ? `${message}; the action was rolled back` : message,
        rowsAffected: null,
        ...(current && !cancelled ? { failedSql: current } : {}),
        ...(kind ? { errorKind: cancelled ? 'cancelled' : kind } : {}),
        ...scopeFields,
        ...modeFields(),
      }),
    );
  }
}

/** What an action's statements found: the rows it changed or counted, its watermark, failing rows. */
interface TasksRan {
  rowsAffected: number | null;
  watermark: number | undefined;
  failingRows: FailingRows | undefined;
}

/**
 * Runs an action's statements on `db`: all in one batch but an assertion's sample, which is read
 * only when the count found rows. `sql` gets the statements shown in the result.
 */
async function runTasks(
  db: Statements,
  tasks: readonly SqlTask[],
  context: ActionContext,
  sql: string[],
  onFailed: (sql: string) => void,
): Promise<TasksRan> {
  const ran: TasksRan = { rowsAffected: null, watermark: undefined, failingRows: undefined };
  const firstValue = (rows: Row[]) => Number(Object.values(rows[0] ?? {})[0] ?? 0);
  throwIfCancelled(context);
  const sample = tasks.find((task) => task.role === 'assertion-sample');
  const batched = tasks.filter((task) => task !== sample);
  const results = await runBatch(db, batched, { ran: sql, signal: context.signal }, onFailed);
  for (const [index, task] of batched.entries()) {
    const { rows, changes } = results[index] ?? { rows: [], changes: 0 };
    switch (task.role) {
      case 'write':
        ran.rowsAffected = (ran.rowsAffected ?? 0) + changes;
        break;
      case 'row-count':
      case 'assertion-count':
        ran.rowsAffected = firstValue(rows);
        break;
      case 'rowid-watermark':
        ran.watermark = firstValue(rows);
        break;
    }
  }
  const count = ran.rowsAffected ?? 0;
  if (sample && count > 0) {
    throwIfCancelled(context);
    onFailed(sample.sql);
    sql.push(sample.sql);
    ran.failingRows = { count, sample: (await db.query(sample.sql)).map(jsonSafe) };
  }
  return ran;
}

/**
 * An assertion's check, run before its transaction when its view is in place already: then it only
 * reads until it records what it found, and the write lock (which the listener waits on) is held for
 * the history's rows alone, not for the count. Sound because what a check reads of the run's own
 * tables cannot change meanwhile (the run lock keeps other runs out, and the assertion state is the
 * run's), and what it reads of the raw layer is a valid moment of it a little earlier: nothing in the
 * transaction after reads it again. Undefined when the view must be (re)made: all of it runs in the
 * transaction then, as the view's DDL needs the lock and the count must see the new view.
 */
async function checkBeforeLock(
  action: GraphAction,
  existing: ExistingObject | undefined,
  context: ActionContext,
  sql: string[],
  onFailed: (sql: string) => void,
  onScope: (fields: Partial<ActionResult>) => void,
): Promise<{ ran: TasksRan; scopeFields: Partial<ActionResult> } | undefined> {
  const scope = await assertionScope(action, context.db, context);
  const tasks = context.dialect.buildTasks(action, existing, {
    fullRefresh: context.fullRefresh,
    rewrite: context.rewrite,
    ...(scope ? { scopedRewrite: scope.scopedRewrite } : {}),
  });
  if (tasks.some((task) => task.role !== 'assertion-count' && task.role !== 'assertion-sample')) {
    return undefined;
  }
  // Known before the check runs, so that a check that fails with an error says how it was scoped too.
  const scopeFields = scopeFieldsOf(scope);
  onScope(scopeFields);
  return { ran: await runTasks(context.db, tasks, context, sql, onFailed), scopeFields };
}

function scopeFieldsOf(scope: { checkedRows: number } | undefined): Partial<ActionResult> {
  return scope ? { scope: 'written-rows', checkedRows: scope.checkedRows } : { scope: 'table' };
}

/**
 * The run history's writes of one action, queued in its transaction and sent in one batch at its
 * end, with the transaction's COMMIT. The history never reads what they changed, so each resolves at
 * once with no count.
 */
class QueuedWrites implements HistoryWrites {
  private readonly queued: BatchStatement[] = [];

  async execute(sql: string, params?: readonly unknown[]): Promise<{ changes: number }> {
    this.queued.push(params === undefined ? { sql } : { sql, params });
    return { changes: 0 };
  }

  /** The queued writes as `tx`'s last statements: its COMMIT goes with them (one request). */
  async commitWith(tx: Statements, signal: AbortSignal | undefined): Promise<void> {
    if (this.queued.length > 0) await tx.batch(this.queued, { signal, endsTransaction: true });
  }
}

/** The roles whose statements return rows to read. */
const READS = new Set<TaskRole>(['row-count', 'assertion-count', 'rowid-watermark', 'assertion-sample']);

/**
 * Runs an action's statements as one batch (one request to the engine while the transaction holds
 * the write lock, not one each). `ran` gets the statements shown in the result, up to the one that
 * failed, as if they had run one by one; `failed` hears which one failed.
 */
async function runBatch(
  tx: Statements,
  tasks: readonly SqlTask[],
  { ran, signal }: { ran: string[]; signal: AbortSignal | undefined },
  failed: (sql: string) => void,
): Promise<BatchResult[]> {
  if (tasks.length === 0) return [];
  const shown = (upTo: number) => {
    for (const task of tasks.slice(0, upTo)) if (task.role !== 'setting') ran.push(task.sql);
  };
  try {
    const statements = tasks.map((task) => ({ sql: task.sql, read: READS.has(task.role) }));
    const results = await tx.batch(statements, { signal });
    shown(tasks.length);
    return results;
  } catch (error) {
    const at = error instanceof EngineError ? error.batchIndex : undefined;
    shown(at === undefined ? tasks.length : at + 1);
    failed(tasks[at ?? tasks.length - 1]?.sql ?? '');
    throw error;
  }
}

/**
 * Keeps the assertion state in step with what the action did, in the action's own transaction: a
 * merge leaves its rows pending for the table's built-in assertions, a rebuild leaves nothing
 * verified, and a built-in assertion's check records whether the table now passes it.
 */
async function noteWrites(
  action: GraphAction,
  tx: HistoryWrites,
  context: ActionContext,
  what: {
    merged: boolean;
    watermark: number | undefined;
    rowsAffected: number | null;
    keys: string[];
    failed: boolean;
  },
): Promise<void> {
  const { history } = context;
  if (action.kind === 'table' || action.kind === 'incremental') {
    if (!what.merged) {
      await history.noteRebuild(tx, action.sqliteName);
      return;
    }
    if (action.kind !== 'incremental' || what.watermark === undefined) return;
    const { table } = action;
    const unscopable =
      opsMayRewriteRows(table.incrementalPreOps, action.target.name) ||
      opsMayRewriteRows(table.incrementalPostOps, action.target.name);
    await history.noteMerge(tx, {
      table: action.sqliteName,
      assertions: context.builtInAssertions.get(action.key) ?? [],
      rowidAbove: what.watermark,
      upsertRun: what.keys.length > 0 ? context.runId : null,
      unscopable,
    });
    context.written.set(action.key, {
      table: action.sqliteName,
      rowidAbove: what.watermark,
      count: what.rowsAffected ?? 0,
      ...(what.keys.length > 0
        ? { stage: { name: context.dialect.stageOf(action.sqliteName), keys: what.keys } }
        : {}),
    });
    return;
  }
  if (action.kind === 'assertion' && action.assertion.parentAction) {
    await history.noteCheck(tx, {
      assertion: action.name,
      table: context.dialect.objectName(action.assertion.parentAction, context.graph.projectConfig),
      viewSql: context.dialect.assertionViewSql(action, context.rewrite),
      passed: !what.failed,
    });
  }
}

/** Why an operation must run outside a transaction on this engine, if one of its statements must. */
function outsideTransaction(action: GraphAction, context: ActionContext): string | undefined {
  if (action.kind !== 'operations' || !context.dialect.refusesTransaction) return undefined;
  for (const sql of action.operation.queries ?? []) {
    const reason = context.dialect.refusesTransaction(sql);
    if (reason) return reason;
  }
  return undefined;
}

/** A merge refused by onSchemaChange FAIL: a failure of the action, not of the engine. */
class SchemaChangeError extends Error {}

/**
 * What onSchemaChange says to do when the incremental query's columns differ from the table's:
 * IGNORE (the default) merges the shared columns and warns; FAIL fails the action naming the
 * columns; EXTEND adds the new ones; SYNCHRONIZE adds the new ones and drops the missing ones.
 */
function schemaChangeOf(
  action: GraphAction,
  tableColumns: string[],
  queryColumns: string[],
): { change?: { add: string[]; drop: string[] }; warning?: string; error?: string } {
  const have = new Set(tableColumns);
  const returned = new Set(queryColumns);
  const added = queryColumns.filter((c) => !have.has(c));
  const missing = tableColumns.filter((c) => !returned.has(c));
  if (added.length === 0 && missing.length === 0) return {};
  const mode = action.kind === 'incremental' ? (action.table.onSchemaChange ?? 'IGNORE') : 'IGNORE';
  const what = [
    ...(added.length > 0 ? [`returns new column(s) ${added.join(', ')}`] : []),
    ...(missing.length > 0 ? [`no longer returns column(s) ${missing.join(', ')}`] : []),
  ].join(' and ');
  switch (mode) {
    case 'FAIL':
      return {
        error: `onSchemaChange is FAIL and the incremental query of ${action.name} ${what} of ${action.sqliteName}. Run with --full-refresh to rebuild the table, or set onSchemaChange to EXTEND or SYNCHRONIZE.`,
      };
    case 'EXTEND':
      return added.length > 0 ? { change: { add: added, drop: [] } } : {};
    case 'SYNCHRONIZE':
      return { change: { add: added, drop: missing } };
    default:
      // As Dataform does without onSchemaChange, new query columns are not written: say so, not silently.
      return added.length > 0
        ? {
            warning: `the incremental query returns column(s) ${added.join(', ')} that ${action.sqliteName} does not have; they are not written. Run with --full-refresh to rebuild the table with them, or set onSchemaChange: "EXTEND".`,
          }
        : {};
  }
}

function describeChange(table: string, change: { add: string[]; drop: string[] }): string {
  const parts = [
    ...(change.add.length > 0 ? [`added column(s) ${change.add.join(', ')}`] : []),
    ...(change.drop.length > 0 ? [`dropped column(s) ${change.drop.join(', ')}`] : []),
  ];
  return `${table}: ${parts.join(', ')} (onSchemaChange); its assertions check every row this time.`;
}

/** Declared sources are never built here; an action that reads a missing one fails and says why. */
async function missingSources(action: GraphAction, context: ActionContext): Promise<string | undefined> {
  for (const dep of action.dependencies) {
    const declaration = context.declarations.get(targetKey(dep));
    if (!declaration) continue;
    const name = context.dialect.objectName(declaration.target, context.graph.projectConfig);
    if (context.presentSources.has(name)) continue;
    if (await context.db.describe(name)) {
      context.presentSources.add(name);
      continue;
    }
    const hint =
      context.missingSourceHint?.(declaration.target) ??
      'Create it in the database before running, or run against a database that has it.';
    return `The declared source ${displayNameOf(declaration.target)} (table "${name}", declared in ${declaration.fileName ?? 'an unknown file'}) does not exist. ${hint}`;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
