/**
 * Scoped built-in assertions: after an incremental merge, the built-in assertions of the merged table
 * (the compiler's uniqueKey_N and rowConditions ones, nonNull included) may check only the rows the
 * run wrote instead of the whole table, so that their cost follows the new rows and not the history.
 *
 * Why that is enough: if the assertion passed on the whole table before, and only the adapter's merges
 * have written the table since, every row that could fail now is one this run wrote (rowConditions),
 * or shares its key with one (uniqueKey). By induction the whole table still satisfies the assertion.
An assertion whose query changed since it last passed checks the whole table again (run-action.ts).
 * The limit: a table changed behind the adapter's back (by hand, by another tool, by an operation or
 * an incremental pre/post operation that updates rows) is not re-checked until an assertion fails, a
 * full refresh rebuilds it, or the table is created again. run-action.ts decides when scoping applies.
 *
 * Pure SQL generation: nothing here touches a database.
 */

import { quoteIdentifier as q } from './names.js';
import type { WrittenRows } from './written-rows.js';

export type { WrittenRows } from './written-rows.js';

/** The suffix of the TEMP table an upsert stages its rows in (dropped when the run ends). */
export const STAGE_TABLE_SUFFIX = '__bambuzled_stage';

/** The staging table of an incremental table, in the connection's TEMP schema. */
export function stageTableOf(sqliteName: string): string {
  return `${sqliteName}${STAGE_TABLE_SUFFIX}`;
}

/** `temp."name"`: the staging table, never a table of the main database with the same name. */
export function qualifiedStage(stage: string): string {
  return `temp.${q(stage)}`;
}

/**
 * The predicate that selects the written rows of `written.table`: inserted rows by rowid (cheap: a
 * rowid range), updated ones by their key among the staged keys (the UNIQUE index on the key).
 */
export function writtenRowsPredicate(written: WrittenRows): string {
  const inserted = `rowid > ${written.rowidAbove}`;
  if (!written.stage) return inserted;
  const keys = written.stage.keys.map(q).join(', ');
  return `${inserted} OR (${keys}) IN (SELECT ${keys} FROM ${qualifiedStage(written.stage.name)})`;
}

/** What the stock compiler's built-in assertion query checks, read from its shape. */
export type BuiltInAssertionShape =
  | { kind: 'row-conditions' }
  | { kind: 'unique-key'; columns: string[] }
  | { kind: 'unknown' };

const UNIQUE_KEY =
  /COUNT\(1\) AS index_row_count\s+FROM\s+`[^`]+`\s+GROUP BY ([^\n]+?)\s*\)\s*AS data\s+WHERE index_row_count > 1\s*$/;
const PLAIN_COLUMN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Recognizes the two query shapes the stock compiler generates for built-in assertions. */
export function builtInAssertionShape(query: string): BuiltInAssertionShape {
  const unique = UNIQUE_KEY.exec(query.trim());
  if (unique) {
    const columns = (unique[1] ?? '').split(',').map((c) => c.trim());
    return columns.every((c) => PLAIN_COLUMN.test(c)) ? { kind: 'unique-key', columns } : { kind: 'unknown' };
  }
  if (/\bAS failing_row_condition\b/.test(query)) return { kind: 'row-conditions' };
  return { kind: 'unknown' };
}

/**
 * The subquery that stands for the parent table in a scoped check of a built-in assertion whose
 * compiled query is `query`, or undefined when the shape is not one this module can scope soundly.
 *  - rowConditions (and nonNull): only the written rows can newly fail a row condition.
 *  - uniqueKey(columns): a new duplicate has the key of a written row, so every row whose key equals
 *    a written row's is checked, equal as GROUP BY sees it (`IS`: NULL matches NULL). The written
 *    rows drive (CROSS JOIN: SQLite loops over them) and each key is looked up in the key's index;
 *    `rowid IN` takes each such row once however many written rows share its key. The check costs
 *    what was written: the earlier `(key) IN (...) OR key IS NULL` made SQLite scan the table, and a
 *    DISTINCT over the written keys made it scan the key's covering index.
 */
export function scopedParentSubquery(query: string, written: WrittenRows): string | undefined {
  const shape = builtInAssertionShape(query);
  const table = q(written.table);
  const rows = writtenRowsPredicate(written);
  switch (shape.kind) {
    case 'row-conditions':
      return `(SELECT * FROM ${table} WHERE ${rows})`;
    case 'unique-key': {
      const columns = shape.columns.map(q);
      const same = columns.map((c) => `scoped_rows.${c} IS written_rows.${c}`).join(' AND ');
      const writtenRows = `SELECT ${columns.join(', ')} FROM ${table} WHERE ${rows}`;
      return `(SELECT * FROM ${table} WHERE rowid IN (SELECT scoped_rows.rowid FROM (${writtenRows}) AS written_rows CROSS JOIN ${table} AS scoped_rows WHERE ${same}))`;
    }
    case 'unknown':
      return undefined;
  }
}

/**
 * The same scoped parent on PostgreSQL, which has no rowid: the rows an upsert wrote, inserted or
 * updated, are the keys in its stage (pg_temp). Rows with a NULL key column come along as on SQLite
 * (`IN` never matches NULL), in a branch of their own: an `OR` beside the `IN` would make PostgreSQL
 * scan the whole table, where each branch alone is an index lookup. An append without a key cannot
 * be found: undefined, the whole table is checked.
 */
export function stagedParentSubquery(
  query: string,
  written: WrittenRows,
  quote: (identifier: string) => string,
): string | undefined {
  if (!written.stage) return undefined;
  const shape = builtInAssertionShape(query);
  const table = quote(written.table);
  const stage = `pg_temp.${quote(written.stage.name)}`;
  const anyNull = (columns: string[]) => columns.map((c) => `${c} IS NULL`).join(' OR ');
  const keys = written.stage.keys.map(quote);
  const keyList = keys.join(', ');
  const writtenRows = `SELECT * FROM ${table} WHERE (${keyList}) IN (SELECT ${keyList} FROM ${stage})
    UNION ALL SELECT * FROM ${table} WHERE ${anyNull(keys)}`;
  switch (shape.kind) {
    case 'row-conditions':
      return `(${writtenRows}) AS scoped_parent`;
    case 'unique-key': {
      const columns = shape.columns.map(quote);
      const list = columns.join(', ');
      return `(SELECT * FROM ${table} WHERE (${list}) IN (SELECT ${list} FROM (${writtenRows}) AS written_rows)
    UNION ALL SELECT * FROM ${table} WHERE ${anyNull(columns)}) AS scoped_parent`;
    }
    case 'unknown':
      return undefined;
  }
}

/** A statement that writes rows, and the table it names (`project.schema.name`, "name", name ...). */
const ROW_WRITE =
  /\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?)\s+([`"[\]\w.-]+)/gi;

/** The last part of a written table's name, unquoted, lower case: `shop.main.orders` is orders. */
function writtenTable(identifier: string): string {
  return (
    identifier
      .replace(/[`"[\]]/g, '')
      .split('.')
      .at(-1) ?? ''
  ).toLowerCase();
}

/**
 * Whether incremental pre/post operations may write rows of the table itself (INSERT, UPDATE, REPLACE
 * naming it) that the written-rows predicate would not see (a pre-operation's INSERT lands below the
 * rowid watermark, which is read after it): then the table's assertions check the whole table. A write
 * into another table (a watermark, a log) leaves this one's rows alone. Conservative: a same-named table
 * of another schema counts, and so does a write whose target cannot be read.
 */
export function opsMayRewriteRows(ops: readonly string[] | undefined, tableName: string): boolean {
  const own = writtenTable(tableName);
  return (ops ?? []).some((sql) => {
    if (!/\b(INSERT|UPDATE|REPLACE)\b/i.test(sql)) return false;
    const targets = [...sql.matchAll(ROW_WRITE)].map((m) => writtenTable(m[1] ?? ''));
    // `ON CONFLICT ... DO UPDATE SET` names no table: it updates the row its INSERT named.
    const tables = targets.filter((t) => t !== 'set');
    return tables.length === 0 || tables.includes(own);
  });
}
