import type { SqliteDatabase } from '../lib/sqlite.js';
import { quoteIdentifier } from './names.js';
import type { Row, SqlExecutor, TableInfo } from './sql-executor.js';

/** Rolls back the outer transaction of `rolledBack` once its function has returned. */
class RollbackSignal extends Error {
  constructor(readonly value: unknown) {
    super('rolled back on purpose');
  }
}

/** The SQL executor over a better-sqlite3 connection (synchronous, so transactions never await). */
export function sqliteExecutor(db: SqliteDatabase): SqlExecutor {
  const totalChanges = db.prepare('SELECT total_changes() AS n').pluck();
  const objectType = db
    .prepare("SELECT type FROM sqlite_master WHERE name = ? AND type IN ('table', 'view')")
    .pluck();

  return {
    execute(sql) {
      // exec() runs several statements; total_changes() counts across all of them, and unlike
      // changes() it is not left over from an earlier INSERT when the statements are DDL.
      const before = totalChanges.get() as number;
      db.exec(sql);
      return { changes: (totalChanges.get() as number) - before };
    },
    query(sql, params = []) {
      return db.prepare(sql).all(...params) as Row[];
    },
    queryColumns(sql) {
      return db
        .prepare(sql)
        .columns()
        .map((c) => c.name);
    },
    tableInfo(name): TableInfo | undefined {
      const type = objectType.get(name) as string | undefined;
      if (type !== 'table' && type !== 'view') return undefined;
      let columns: { name: string; type: string }[] = [];
      try {
        columns = db.prepare(`PRAGMA table_info(${quoteIdentifier(name)})`).all() as typeof columns;
      } catch {
        // A view whose sources are gone cannot list its columns; it still exists and can be replaced.
      }
      return {
        type,
        columns: columns.map((c) => ({ name: c.name, type: c.type })),
        uniqueIndexes: type === 'table' ? uniqueIndexes(db, name) : [],
      };
    },
    // IMMEDIATE: take the write lock up front. A deferred transaction that reads (table info) and
    // then writes fails with SQLITE_BUSY at once if the listener committed in between, busy timeout
    // or not; waiting for the lock at BEGIN is what the busy timeout can help with.
    transaction(fn) {
      return db.transaction(fn).immediate();
    },
    rolledBack(fn) {
      try {
        db.transaction(() => {
          throw new RollbackSignal(fn());
        }).immediate();
      } catch (error) {
        if (error instanceof RollbackSignal) return error.value as ReturnType<typeof fn>;
        throw error;
      }
      throw new Error('unreachable: the rollback signal was not thrown');
    },
  };
}

function uniqueIndexes(db: SqliteDatabase, table: string): { name: string; columns: string[] }[] {
  const indexes = db.prepare(`PRAGMA index_list(${quoteIdentifier(table)})`).all() as {
    name: string;
    unique: number;
  }[];
  return indexes
    .filter((index) => index.unique === 1)
    .map((index) => ({
      name: index.name,
      columns: (
        db.prepare(`PRAGMA index_info(${quoteIdentifier(index.name)})`).all() as { name: string | null }[]
      ).map((c) => c.name ?? ''),
    }));
}
