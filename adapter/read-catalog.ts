import type { SqliteDatabase } from '../lib/sqlite.js';
import { graphActions } from './graph-actions.js';
import { displayNameOf, quoteIdentifier, sqliteNameOf } from './names.js';
import { sqliteExecutor } from './sqlite-executor.js';
import type { CatalogEntry, CompiledGraph } from './types.js';

/**
 * What the database holds for every dataset, declaration and operation with output of the graph:
 * table or view, columns with their declared types, and row counts. Missing objects are listed with
 * `exists: false`; a view that no longer works has a null row count. A column without a declared type
 * (an expression in a view, or in a CREATE TABLE AS without affinity) gets the storage class of its
 * first non-NULL value, marked `inferred`.
 */
export function readCatalog(db: SqliteDatabase, graph: CompiledGraph): CatalogEntry[] {
  const executor = sqliteExecutor(db);
  const targets = [
    ...graphActions(graph)
      .filter((a) => a.kind !== 'assertion' && (a.kind !== 'operations' || a.operation.hasOutput === true))
      .map((a) => a.target),
    ...(graph.declarations ?? []).map((d) => d.target),
  ];
  return targets.map((target) => {
    const sqliteName = sqliteNameOf(target, graph.projectConfig);
    const info = executor.tableInfo(sqliteName);
    let rowCount: number | null = null;
    if (info) {
      try {
        rowCount = Number(
          db
            .prepare(`SELECT count(*) FROM ${quoteIdentifier(sqliteName)}`)
            .pluck()
            .get(),
        );
      } catch {
        rowCount = null;
      }
    }
    return {
      name: displayNameOf(target),
      sqliteName,
      exists: info !== undefined,
      objectType: info?.type ?? null,
      columns: (info?.columns ?? []).map((column) =>
        column.type === '' ? inferredColumn(db, sqliteName, column.name) : column,
      ),
      rowCount,
    };
  });
}

const STORAGE_CLASSES: Record<string, string> = {
  integer: 'INTEGER',
  real: 'REAL',
  text: 'TEXT',
  blob: 'BLOB',
};

/**
 * The storage class of the first non-NULL value of an untyped column: one short query, which stops
 * at the first such row. Left untyped when the column holds only NULLs or the object cannot be read.
 */
function inferredColumn(
  db: SqliteDatabase,
  sqliteName: string,
  name: string,
): { name: string; type: string; inferred?: boolean } {
  const column = quoteIdentifier(name);
  try {
    const storage = db
      .prepare(
        `SELECT typeof(${column}) FROM ${quoteIdentifier(sqliteName)} WHERE ${column} IS NOT NULL LIMIT 1`,
      )
      .pluck()
      .get() as string | undefined;
    const type = storage === undefined ? undefined : STORAGE_CLASSES[storage];
    return type ? { name, type, inferred: true } : { name, type: '' };
  } catch {
    return { name, type: '' };
  }
}
