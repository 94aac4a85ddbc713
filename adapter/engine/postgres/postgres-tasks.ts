/**
 * Pure SQL generation for PostgreSQL: the ordered statements that build one action, given what the
 * database holds. A Dataform schema is a PostgreSQL schema of the same name (created when missing).
 * A rebuild builds beside the old table and swaps it in, re-creating the views that read it (PostgreSQL
 * binds a view to a table, not to its name); a merge upserts on a UNIQUE NULLS NOT DISTINCT index, from
 * staged rows that are de-duplicated on the key first.
 */
import {
  assertionViewSql,
  type BuildTaskOptions,
  cleanQuery,
  type ExistingObject,
  mergeColumns,
  requireQuery,
  type SqlTask,
} from '../../build-tasks.js';
import type { GraphAction } from '../../graph-actions.js';
import { fixRowConditionLiterals, type RefRewriter } from '../../names.js';

type DatasetAction = Extract<GraphAction, { kind: 'table' | 'view' | 'incremental' }>;

export const PG_NEW_SUFFIX = '__bambuzled_new';

/** `"schema"."name"` for `schema.name`; a name without a schema stays one quoted identifier. */
export function pgQuote(name: string): string {
  const dot = name.indexOf('.');
  const one = (part: string) => `"${part.replaceAll('"', '""')}"`;
  return dot === -1 ? one(name) : `${one(name.slice(0, dot))}.${one(name.slice(dot + 1))}`;
}

function split(objectName: string): { schema: string; name: string } {
  const dot = objectName.indexOf('.');
  return dot === -1
    ? { schema: 'public', name: objectName }
    : { schema: objectName.slice(0, dot), name: objectName.slice(dot + 1) };
}

const execute = (sql: string): SqlTask => ({ role: 'execute', sql });
const write = (sql: string): SqlTask => ({ role: 'write', sql });

export function pgBuildTasks(
  action: GraphAction,
  existing: ExistingObject | undefined,
  options: BuildTaskOptions,
): SqlTask[] {
  if (action.disabled) return [];
  const { rewrite } = options;
  const ops = (list: string[] | undefined): SqlTask[] =>
    (list ?? [])
      .map((sql) => cleanQuery(rewrite(sql)))
      .filter((sql) => sql.length > 0)
      .map(execute);
  const schema = execute(`CREATE SCHEMA IF NOT EXISTS ${pgQuote(split(action.sqliteName).schema)}`);
  switch (action.kind) {
    case 'table':
      return [
        schema,
        ...ops(action.table.preOps),
        ...rebuild(action, existing, rewrite),
        ...ops(action.table.postOps),
      ];
    case 'view':
      return [
        schema,
        ...ops(action.table.preOps),
        ...replaceWith(
          action.sqliteName,
          existing,
          `CREATE VIEW ${pgQuote(action.sqliteName)} AS\n${requireQuery(action, action.table.query, rewrite)}`,
        ),
        ...ops(action.table.postOps),
      ];
    case 'incremental': {
      const keys = action.table.uniqueKey ?? [];
      const merging = existing?.type === 'table' && (!options.fullRefresh || action.table.protected === true);
      if (!merging) {
        return [
          schema,
          ...ops(action.table.preOps),
          ...rebuild(action, existing, rewrite),
          ...uniqueIndex(action.sqliteName, keys),
          ...ops(action.table.postOps),
        ];
      }
      return [
        ...ops(action.table.incrementalPreOps),
        ...uniqueIndex(action.sqliteName, keys),
        ...merge(action, existing, options),
        ...ops(action.table.incrementalPostOps),
      ];
    }
    case 'operations': {
      const statements = (action.operation.queries ?? [])
        .map((sql) => cleanQuery(rewrite(sql)))
        .filter((sql) => sql.length > 0)
        .map(write);
      return action.operation.hasOutput ? [schema, ...statements] : statements;
    }
    case 'assertion': {
      const scoped = options.scopedRewrite
        ? `(\n${fixRowConditionLiterals(requireQuery(action, action.assertion.query, options.scopedRewrite))}\n) AS scoped_check`
        : pgQuote(action.sqliteName);
      return [
        schema,
        ...(existing
          ? [
              execute(
                `DROP ${existing.type === 'view' ? 'VIEW' : 'TABLE'} ${pgQuote(action.sqliteName)} CASCADE`,
              ),
            ]
          : []),
        execute(assertionViewSql(action, rewrite, pgQuote)),
        { role: 'assertion-count', sql: `SELECT count(*) AS row_count FROM ${scoped}` },
        { role: 'assertion-sample', sql: `SELECT * FROM ${scoped} LIMIT ${options.sampleSize ?? 5}` },
      ];
    }
  }
}

/** Build beside, then swap in: the new table takes the old one's name, its dependent views come back. */
function rebuild(
  action: DatasetAction,
  existing: ExistingObject | undefined,
  rewrite: RefRewriter,
): SqlTask[] {
  const { name } = split(action.sqliteName);
  const fresh = pgQuote(`${split(action.sqliteName).schema}.${name}${PG_NEW_SUFFIX}`);
  return [
    execute(`DROP TABLE IF EXISTS ${fresh}`),
    execute(`CREATE TABLE ${fresh} AS\n${requireQuery(action, action.table.query, rewrite)}`),
    { role: 'row-count', sql: `SELECT count(*) AS row_count FROM ${fresh}` },
    ...replaceWith(action.sqliteName, existing, `ALTER TABLE ${fresh} RENAME TO ${pgQuote(name)}`),
  ];
}

/**
 * Puts `create` where `objectName` is. With nothing there, just that; else one statement that keeps
 * the definitions of every view reading the old object (views on those views too, in order), drops
 * the old object with them, runs `create`, and creates the views again, so that they read the new one.
 */
function replaceWith(objectName: string, existing: ExistingObject | undefined, create: string): SqlTask[] {
  if (!existing) return [execute(create)];
  const kind = existing.type === 'view' ? 'VIEW' : 'TABLE';
  const quoted = pgQuote(objectName);
  const literal = quoted.replaceAll("'", "''");
  return [
    execute(`DO $bambuzled$
DECLARE
  definition text;
  definitions text[] := ARRAY[]::text[];
BEGIN
  FOR definition IN
    WITH RECURSIVE dependents(oid, depth) AS (
      SELECT DISTINCT r.ev_class, 1
        FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
       WHERE d.refobjid = '${literal}'::regclass AND r.ev_class <> d.refobjid
      UNION
      SELECT DISTINCT r.ev_class, dep.depth + 1
        FROM dependents dep JOIN pg_depend d ON d.refobjid = dep.oid JOIN pg_rewrite r ON r.oid = d.objid
       WHERE r.ev_class <> d.refobjid
    )
    SELECT format('CREATE VIEW %s AS %s', c.oid::regclass, pg_get_viewdef(c.oid))
      FROM (SELECT oid, max(depth) AS depth FROM dependents GROUP BY oid) AS x
      JOIN pg_class c ON c.oid = x.oid
     WHERE c.relkind = 'v'
     ORDER BY x.depth
  LOOP
    definitions := definitions || definition;
  END LOOP;
  DROP ${kind} ${quoted} CASCADE;
  EXECUTE ${dollarQuoted(create)};
  FOREACH definition IN ARRAY definitions LOOP
    EXECUTE definition;
  END LOOP;
END
$bambuzled$`),
  ];
}

/** A PL/pgSQL string literal holding `sql` (dollar quoting with a tag the text does not contain). */
function dollarQuoted(sql: string): string {
  let tag = 'q';
  while (sql.includes(`$${tag}$`)) tag += 'q';
  return `$${tag}$${sql}$${tag}$`;
}

export function pgUniqueIndexName(objectName: string): string {
  return `${split(objectName).name}__unique_key`;
}

/** NULLS NOT DISTINCT: a NULL key matches a NULL key, as uniqueKey means (PostgreSQL 15+). */
function uniqueIndex(objectName: string, keys: string[]): SqlTask[] {
  if (keys.length === 0) return [];
  return [
    execute(
      `CREATE UNIQUE INDEX IF NOT EXISTS ${pgQuote(pgUniqueIndexName(objectName))} ON ${pgQuote(objectName)} (${keys.map((k) => pgQuote(k)).join(', ')}) NULLS NOT DISTINCT`,
    ),
  ];
}

function merge(
  action: DatasetAction,
  existing: ExistingObject | undefined,
  options: BuildTaskOptions,
): SqlTask[] {
  const change = options.schemaChange ?? { add: [], drop: [] };
  const columns = mergeColumns(action, existing, options);
  const table = pgQuote(action.sqliteName);
  const alter: SqlTask[] = [
    // A column added for EXTEND takes text: PostgreSQL needs a type, and the query's is not known here.
    ...change.add.map((c) => execute(`ALTER TABLE ${table} ADD COLUMN ${pgQuote(c)} text`)),
    ...change.drop.map((c) => execute(`ALTER TABLE ${table} DROP COLUMN ${pgQuote(c)}`)),
  ];
  const list = columns.map((c) => pgQuote(c)).join(', ');
  const source = cleanQuery(options.rewrite(action.table.incrementalQuery ?? action.table.query ?? ''));
  const where = action.table.where?.trim();
  const filtered = where
    ? `SELECT * FROM (\n${source}\n) AS subquery WHERE ${options.rewrite(where)}`
    : source;
  const keys = action.table.uniqueKey ?? [];
  if (keys.length === 0)
    return [
      ...alter,
      write(`INSERT INTO ${table} (${list})\nSELECT ${list} FROM (\n${filtered}\n) AS incoming`),
    ];
  const stage = pgQuote(`${split(action.sqliteName).name}__bambuzled_stage`);
  const keyList = keys.map((k) => pgQuote(k)).join(', ');
  const updates = columns
    .filter((c) => !keys.includes(c))
    .map((c) => `${pgQuote(c)} = excluded.${pgQuote(c)}`);
  return [
    ...alter,
    // No rowid here: the position is a placeholder that records the merge in the assertion state; the
    // stage below is what finds the written rows (postgres-dialect.ts scopedParent).
    { role: 'rowid-watermark', sql: 'SELECT 0 AS watermark' },
    execute(`DROP TABLE IF EXISTS pg_temp.${stage}`),
    // One row per key: an upsert may not touch a row twice, so a key the query returns twice keeps its first row.
    execute(
      `CREATE TEMP TABLE ${stage} AS\nSELECT DISTINCT ON (${keyList}) ${list} FROM (\n${filtered}\n) AS incoming ORDER BY ${keyList}`,
    ),
    // Statistics for the planner: without them a lookup by the staged keys may scan the whole table.
    execute(`ANALYZE pg_temp.${stage}`),
    write(
      `INSERT INTO ${table} (${list})\nSELECT ${list} FROM pg_temp.${stage}\nON CONFLICT (${keyList}) DO ${updates.length > 0 ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`,
    ),
  ];
}
