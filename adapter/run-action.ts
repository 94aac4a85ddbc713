/**
 * Runs one action of a graph: checks its dependencies and declared sources, builds its tasks, runs them
 * in one transaction and returns its ActionResult. Failures come back as data in that result.
 */
import type { ActionContext } from './action-context.js';
import { opsMayRewriteRows, scopedParentSubquery, stageTableOf } from './assertion-scope.js';
import {
  assertionViewSql,
  buildTasks,
  type ExistingObject,
  incrementalSourceQuery,
  writesIncrementally,
} from './build-tasks.js';
import type { GraphAction } from './graph-actions.js';
import { displayNameOf, type RefRewriter, refRewriterFor, sqliteNameOf, targetKey } from './names.js';
import type { Row } from './sql-executor.js';
import type { ActionResult, FailingRows } from './types.js';

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
/**
 * Runs one action in its own transaction; `done` holds the results of the actions run before it, so
 * that dependants of a failure are skipped.
 */
export function runAction(
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
