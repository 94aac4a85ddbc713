/**
 * Pure SQL generation: the ordered statements that build one action on SQLite, given what the
 * database holds now. Nothing here touches a database; run-action.ts executes what this returns.
 */
import { qualifiedStage, stageTableOf } from './assertion-scope.js';
import type { GraphAction } from './graph-actions.js';
import { fixRowConditionLiterals, quoteIdentifier as q, type RefRewriter } from './names.js';

/** What a statement is for, so that the executor knows what to read back. */
export type TaskRole =
  /** Run it; nothing to read. */
  | 'execute'
  /** A connection setting the engine needs around another statement: run it, do not show it. */
  | 'setting'
  /** Run it and count the rows it changed. */
  | 'write'
  /** A `SELECT count(*)` whose value is the action's row count. */
  | 'row-count'
  /** A `SELECT count(*)` over an assertion's view: any row fails the assertion. */
  | 'assertion-count'
  /** The first failing rows of an assertion. */
  | 'assertion-sample'
  /** `max(rowid)` of an incremental table before a merge: the rows it inserts lie above it. */
  | 'rowid-watermark';

export interface SqlTask {
  role: TaskRole;
  sql: string;
}

/** The object that currently holds an action's name in the database, if any. */
export interface ExistingObject {
  type: 'table' | 'view';
  /** Column names, in table order. */
  columns: string[];
  /** Unique indexes on the table, by name with their columns (omitted: none). */
  uniqueIndexes?: { name: string; columns: string[] }[];
  /** A view's CREATE VIEW statement, where the engine keeps it as written (TableInfo.definition). */
  definition?: string;
}

export interface BuildTaskOptions {
  fullRefresh: boolean;
  rewrite: RefRewriter;
  /** The columns the incremental source query returns (needed only for incremental merges). */
  queryColumns?: string[];
  /**
   * For a merge under onSchemaChange EXTEND or SYNCHRONIZE: the query's new columns to add to the
   * table first, and (SYNCHRONIZE) the table's columns the query no longer returns, to drop.
   */
  schemaChange?: { add: string[]; drop: string[] };
  /** How many failing rows an assertion fetches. */
  sampleSize?: number;
  /**
   * For a built-in assertion scoped to the rows its parent's merge wrote: the rewriter that puts the
   * scoped subquery where the parent's identifier was. The view keeps the full query; only the count
   * and the sample read the scoped one.
   */
  scopedRewrite?: RefRewriter;
}

/** Raised when an action cannot be built at all (its SQL is missing or has no usable columns). */
export class BuildTaskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildTaskError';
  }
}

/** A table, view or incremental action. */
type DatasetAction = Extract<GraphAction, { kind: 'table' | 'view' | 'incremental' }>;

/** The suffix of the table a rebuild writes before it replaces the old one. */
export const NEW_TABLE_SUFFIX = '__bambuzled_new';

/** Whether an incremental action merges into the existing table (rather than rebuilding it). */
export function writesIncrementally(
  action: GraphAction,
  existing: ExistingObject | undefined,
  fullRefresh: boolean,
): boolean {
  if (action.kind !== 'incremental') return false;
  return existing?.type === 'table' && (!fullRefresh || action.table.protected === true);
}

/** The query an incremental merge reads from: the incremental query, filtered by `where` if set. */
export function incrementalSourceQuery(action: GraphAction, rewrite: RefRewriter): string {
  if (action.kind !== 'incremental') throw new BuildTaskError(`${action.name} is not incremental.`);
  const query = cleanQuery(rewrite(action.table.incrementalQuery ?? action.table.query ?? ''));
  const where = action.table.where?.trim();
  return where ? `SELECT * FROM (\n${query}\n) AS subquery WHERE ${rewrite(where)}` : query;
}

/** The ordered statements that build `action` given the `existing` object under its name. */
export function buildTasks(
  action: GraphAction,
  existing: ExistingObject | undefined,
  options: BuildTaskOptions,
): SqlTask[] {
  if (action.disabled) return [];
  const { rewrite } = options;
  const ops = (list: string[] | undefined): SqlTask[] =>
    (list ?? [])
      .map((sql) => cleanQuery(rewrite(sql)))
      .filter(isPresent)
      .map(execute);
  const name = q(action.sqliteName);

  switch (action.kind) {
    case 'table':
      return [
        ...ops(action.table.preOps),
        ...rebuildTable(action, existing, rewrite),
        ...ops(action.table.postOps),
      ];
    case 'view':
      return [
        ...ops(action.table.preOps),
        ...replaceView(
          name,
          `CREATE VIEW ${name} AS\n${requireQuery(action, action.table.query, rewrite)}`,
          existing,
        ),
        ...ops(action.table.postOps),
      ];
    case 'incremental': {
      const uniqueKey = action.table.uniqueKey ?? [];
      if (!writesIncrementally(action, existing, options.fullRefresh)) {
        return [
          ...ops(action.table.preOps),
          ...rebuildTable(action, existing, rewrite),
          ...uniqueIndex(action.sqliteName, uniqueKey),
          ...ops(action.table.postOps),
        ];
      }
      return [
        ...ops(action.table.incrementalPreOps),
        ...ensureUniqueIndex(action.sqliteName, uniqueKey, existing),
        ...merge(action, existing, options),
        ...ops(action.table.incrementalPostOps),
      ];
    }
    case 'operations':
      return (action.operation.queries ?? [])
        .map((sql) => cleanQuery(rewrite(sql)))
        .filter(isPresent)
        .map(write);
    case 'assertion': {
      const scoped = options.scopedRewrite
        ? `(\n${fixRowConditionLiterals(requireQuery(action, action.assertion.query, options.scopedRewrite))}\n)`
        : name;
      return [
        ...replaceView(name, assertionViewSql(action, rewrite), existing),
        { role: 'assertion-count', sql: `SELECT count(*) AS row_count FROM ${scoped}` },
        { role: 'assertion-sample', sql: `SELECT * FROM ${scoped} LIMIT ${options.sampleSize ?? 5}` },
      ];
    }
  }
}

/**
 * The statement that creates an assertion's view, with its full query: also how a run recognizes,
 * in the run history, that an assertion is the same as the one that last passed.
 */
export function assertionViewSql(
  action: GraphAction,
  rewrite: RefRewriter,
  quote: (name: string) => string = q,
): string {
  if (action.kind !== 'assertion') throw new BuildTaskError(`${action.name} is not an assertion.`);
  const written = requireQuery(action, action.assertion.query, rewrite);
  // Only built-in assertions (those with a parent) carry the compiler's BigQuery-escaped literal;
  // a hand-written assertion is the engine's SQL already, where a backslash is an ordinary character.
  const query = action.assertion.parentAction ? fixRowConditionLiterals(written) : written;
  return `CREATE VIEW ${quote(action.sqliteName)} AS\n${query}`;
}

/**
 * Builds the new version beside the old one and swaps it in, all inside the caller's transaction,
 * so that a failure leaves the previous version in place. The rename runs with legacy_alter_table:
 * otherwise SQLite re-checks every view while the old table is gone and fails on views that read it.
 */
function rebuildTable(
  action: DatasetAction,
  existing: ExistingObject | undefined,
  rewrite: RefRewriter,
): SqlTask[] {
  const name = q(action.sqliteName);
  const fresh = q(`${action.sqliteName}${NEW_TABLE_SUFFIX}`);
  return [
    execute(`DROP TABLE IF EXISTS ${fresh}`),
    execute(`CREATE TABLE ${fresh} AS\n${requireQuery(action, action.table.query, rewrite)}`),
    { role: 'row-count', sql: `SELECT count(*) AS row_count FROM ${fresh}` },
    ...dropExisting(name, existing),
    { role: 'setting', sql: 'PRAGMA legacy_alter_table = ON' },
    execute(`ALTER TABLE ${fresh} RENAME TO ${name}`),
    { role: 'setting', sql: 'PRAGMA legacy_alter_table = OFF' },
  ];
}

/**
 * SQLite has no MERGE: an upsert on the unique key (which needs a UNIQUE index), else an append.
 * Either way the rowid watermark is read first, and an upsert stages its rows in a TEMP table and
 * merges from there, so that the rows the merge wrote can be found again (assertion-scope.ts).
 */
function merge(
  action: DatasetAction,
  existing: ExistingObject | undefined,
  options: BuildTaskOptions,
): SqlTask[] {
  const change = options.schemaChange ?? { add: [], drop: [] };
  const columns = mergeColumns(action, existing, options);
  // SQLite adds a column with no declared type (the values keep theirs) and drops one in place.
  const alter: SqlTask[] = [
    ...change.add.map((c) => execute(`ALTER TABLE ${q(action.sqliteName)} ADD COLUMN ${q(c)}`)),
    ...change.drop.map((c) => execute(`ALTER TABLE ${q(action.sqliteName)} DROP COLUMN ${q(c)}`)),
  ];
  const list = columns.map(q).join(', ');
  const source = incrementalSourceQuery(action, options.rewrite);
  const watermark: SqlTask = {
    role: 'rowid-watermark',
    sql: `SELECT coalesce(max(rowid), 0) AS watermark FROM ${q(action.sqliteName)}`,
  };
  const insertInto = `INSERT INTO ${q(action.sqliteName)} (${list})`;
  const keys = action.table.uniqueKey ?? [];
  if (keys.length === 0) {
    return [...alter, watermark, write(`${insertInto}\nSELECT ${list} FROM (\n${source}\n) WHERE true`)];
  }
  const stage = qualifiedStage(stageTableOf(action.sqliteName));
  const updates = columns.filter((c) => !keys.includes(c)).map((c) => `${q(c)} = excluded.${q(c)}`);
  const onConflict = `ON CONFLICT (${keys.map(q).join(', ')}) DO ${updates.length > 0 ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`;
  return [
    ...alter,
    execute(`DROP TABLE IF EXISTS ${stage}`),
    execute(
      `CREATE TEMP TABLE ${q(stageTableOf(action.sqliteName))} AS\nSELECT ${list} FROM (\n${source}\n)`,
    ),
    watermark,
    // WHERE true: without it SQLite would read ON CONFLICT as a join constraint of the SELECT.
    write(`${insertInto}\nSELECT ${list} FROM ${stage} WHERE true\n${onConflict}`),
  ];
}

/**
 * The columns a merge writes: the table's (less those a schema change drops, plus those it adds) that
 * the incremental query returns. None is an error that says to rebuild.
 */
export function mergeColumns(
  action: GraphAction,
  existing: ExistingObject | undefined,
  options: BuildTaskOptions,
): string[] {
  const returned = new Set(options.queryColumns ?? []);
  const change = options.schemaChange ?? { add: [], drop: [] };
  const kept = (existing?.columns ?? []).filter((c) => !change.drop.includes(c));
  const columns = [...kept, ...change.add].filter((c) => returned.has(c));
  if (columns.length === 0) {
    throw new BuildTaskError(
      `The incremental query of ${action.name} returns none of the columns of the existing table ${action.sqliteName}. Run with --full-refresh to rebuild it.`,
    );
  }
  return columns;
}

/** The name of the UNIQUE index the adapter keeps on an incremental table's uniqueKey. */
export function uniqueIndexName(sqliteName: string): string {
  return `${sqliteName}__unique_key`;
}

function uniqueIndex(sqliteName: string, keys: string[]): SqlTask[] {
  if (keys.length === 0) return [];
  return [
    execute(
      `CREATE UNIQUE INDEX IF NOT EXISTS ${q(uniqueIndexName(sqliteName))} ON ${q(sqliteName)} (${keys.map(q).join(', ')})`,
    ),
  ];
}

/**
 * ON CONFLICT needs a UNIQUE index on exactly the key columns. Keep one that already matches; if the
 * uniqueKey changed since the index was made, replace the adapter's index rather than fail the merge.
 */
function ensureUniqueIndex(
  sqliteName: string,
  keys: string[],
  existing: ExistingObject | undefined,
): SqlTask[] {
  if (keys.length === 0) return [];
  const indexes = existing?.uniqueIndexes ?? [];
  const sameColumns = (columns: string[]) =>
    columns.length === keys.length && keys.every((k) => columns.includes(k));
  if (indexes.some((index) => sameColumns(index.columns))) return [];
  const stale = indexes.some((index) => index.name === uniqueIndexName(sqliteName));
  return [
    ...(stale ? [execute(`DROP INDEX ${q(uniqueIndexName(sqliteName))}`)] : []),
    ...uniqueIndex(sqliteName, keys),
  ];
}

/**
 * Creates the view with `create`, dropping what holds its name first; nothing when the view is there
 * with this very statement. Re-creating it would change nothing but the schema: a write on every run
 * under the write lock, after which every other connection (the listener's) reads the schema again.
 */
function replaceView(name: string, create: string, existing: ExistingObject | undefined): SqlTask[] {
  if (existing?.type === 'view' && existing.definition === create) return [];
  return [...dropExisting(name, existing), execute(create)];
}

function dropExisting(name: string, existing: ExistingObject | undefined): SqlTask[] {
  if (!existing) return [];
  return [execute(`DROP ${existing.type === 'view' ? 'VIEW' : 'TABLE'} ${name}`)];
}

/** An action's query with its refs rewritten, or an error naming the action and its file. */
export function requireQuery(action: GraphAction, query: string | undefined, rewrite: RefRewriter): string {
  const sql = cleanQuery(rewrite(query ?? ''));
  if (!sql) throw new BuildTaskError(`${action.name} (${action.fileName ?? 'no file'}) has no query.`);
  return sql;
}

/**
 * Trims a query and its trailing semicolons, since it gets wrapped (`CREATE ... AS`, a subquery).
 * A query ending in a line comment still works: wrappers put the closing parenthesis on a new line.
 */
export function cleanQuery(sql: string): string {
  return sql
    .trim()
    .replace(/;+\s*$/, '')
    .trim();
}

function isPresent(sql: string): boolean {
  return sql.length > 0;
}

function execute(sql: string): SqlTask {
  return { role: 'execute', sql };
}

function write(sql: string): SqlTask {
  return { role: 'write', sql };
}
