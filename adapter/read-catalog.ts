import type { Dialect } from './engine/dialect.js';
import type { Statements } from './engine/executor.js';
import { sqliteDialect } from './engine/sqlite/sqlite-dialect.js';
import { graphActions } from './graph-actions.js';
import { displayNameOf } from './names.js';
import type { CatalogEntry, CompiledGraph } from './types.js';

/**
 * What the database holds for every dataset, declaration and operation with output of the graph:
 * table or view, columns with their declared types, and row counts. Missing objects are listed with
 * `exists: false`; a view that no longer works has a null row count. A column without a declared type
 * (an expression in a SQLite view) gets the type of its first non-NULL value, marked `inferred`.
 */
export async function readCatalog(
  db: Statements,
  graph: CompiledGraph,
  dialect: Dialect = sqliteDialect,
): Promise<CatalogEntry[]> {
  const targets = [
    ...graphActions(graph, dialect)
      .filter((a) => a.kind !== 'assertion' && (a.kind !== 'operations' || a.operation.hasOutput === true))
      .map((a) => a.target),
    ...(graph.declarations ?? []).map((d) => d.target),
  ];
  const entries: CatalogEntry[] = [];
  for (const target of targets) {
    const objectName = dialect.objectName(target, graph.projectConfig);
    const info = await db.describe(objectName);
    let rowCount: number | null = null;
    if (info) {
      try {
        const rows = await db.query(`SELECT count(*) AS n FROM ${dialect.quote(objectName)}`);
        rowCount = Number(rows[0]?.n);
      } catch {
        rowCount = null;
      }
    }
    const columns: CatalogEntry['columns'] = [];
    for (const column of info?.columns ?? []) {
      columns.push(column.type === '' ? await inferredColumn(db, dialect, objectName, column.name) : column);
    }
    entries.push({
      name: displayNameOf(target),
      sqliteName: objectName,
      exists: info !== undefined,
      objectType: info?.type ?? null,
      columns,
      rowCount,
    });
  }
  return entries;
}

/** One short query, which stops at the first non-NULL value; untyped when there is none. */
async function inferredColumn(
  db: Statements,
  dialect: Dialect,
  objectName: string,
  name: string,
): Promise<{ name: string; type: string; inferred?: boolean }> {
  if (!dialect.valueTypeSql) return { name, type: '' };
  try {
    const rows = await db.query(dialect.valueTypeSql(objectName, name));
    const type = rows[0] ? String(Object.values(rows[0])[0] ?? '') : '';
    return type ? { name, type, inferred: true } : { name, type: '' };
  } catch {
    return { name, type: '' };
  }
}
