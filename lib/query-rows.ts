import type { SqliteDatabase } from './sqlite.js';

/**
 * The one way new read queries reach a database: `?` placeholders, rows as plain objects, async so
 * that an engine in a worker thread or over the network (PostgreSQL) fits behind it unchanged.
 */
export type QueryRows = (sql: string, params?: readonly unknown[]) => Promise<Record<string, unknown>[]>;

/** QueryRows over a better-sqlite3 connection in this thread (until the engine boundary replaces it). */
export function sqliteQueryRows(db: SqliteDatabase): QueryRows {
  return async (sql, params = []) => db.prepare(sql).all(...params) as Record<string, unknown>[];
}
