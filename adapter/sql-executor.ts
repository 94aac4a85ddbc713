/**
 * The small interface the runner executes SQL through (Dataform's IDbAdapter, cut down). Engine
 * differences live in implementations, never as `if (sqlite)` in the runner.
 */

export interface ColumnInfo {
  name: string;
  /** The declared type ('' when the engine does not know it, as for most view columns). */
  type: string;
}

export interface TableInfo {
  type: 'table' | 'view';
  columns: ColumnInfo[];
  /** The table's unique indexes (primary keys included), each with its columns in order. */
  uniqueIndexes: { name: string; columns: string[] }[];
}

export type Row = Record<string, unknown>;

export interface SqlExecutor {
  /** Runs one or more statements; returns how many rows they inserted, updated or deleted. */
  execute(sql: string): { changes: number };
  /** Runs one query and returns its rows. */
  query(sql: string, params?: readonly unknown[]): Row[];
  /** The columns a query would return, without running it (prepares it, which also checks it). */
  queryColumns(sql: string): string[];
  /** What holds `name` in the database: a table or a view and its columns, or undefined. */
  tableInfo(name: string): TableInfo | undefined;
  /** Runs `fn` atomically; nested calls become savepoints. A throw rolls back and rethrows. */
  transaction<T>(fn: () => T): T;
  /** Runs `fn` inside a transaction that is always rolled back, so nothing it does remains. */
  rolledBack<T>(fn: () => T): T;
}
