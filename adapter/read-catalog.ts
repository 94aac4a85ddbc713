import type { SqliteDatabase } from '../lib/sqlite.js';
import { graphActions } from './graph-actions.js';
import { displayNameOf, quoteIdentifier, sqliteNameOf } from './names.js';
import { sqliteExecutor } from './sqlite-executor.js';
import type { CatalogEntry, CompiledGraph } from './types.js';

/**
 * What the database holds for every dataset, declaration and operation with output of the graph:
 * table or view, columns with their declared types, and row counts. Missing objects are listed with
 * `exists: false`; a view that no longer works has a null row count.
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
      columns: info?.columns ?? [],
      rowCount,
    };
  });
}
