import type { QueryRows } from '../../lib/query-rows.js';
import type { SqliteDatabase } from '../../lib/sqlite.js';
import type { PageReader } from '../../scheduler/print-history.js';

/**
 * The read functions the scheduler's pages and the change feed take, over a synchronous test
 * connection: the same SQL reaches the same SQLite file, without a connection process per test.
 */
export function queryRowsOf(db: SqliteDatabase): QueryRows {
  return async (sql, params = []) => db.prepare(sql).all(...params) as Record<string, unknown>[];
}

export function pageReaderOf(db: SqliteDatabase): PageReader {
  return {
    query: queryRowsOf(db),
    columns: async (name) => {
      const rows = db.prepare('SELECT name FROM pragma_table_info(?)').all(name) as { name: string }[];
      return rows.length > 0 ? rows.map((row) => row.name) : undefined;
    },
  };
}
