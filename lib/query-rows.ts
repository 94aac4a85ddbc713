/**
 * The one thing a read-only stage needs from a database: run a query, get rows. Ingestion and the
 * pages take this instead of the adapter's executor, so that they do not depend on the adapter (an
 * `AsyncExecutor`'s `query`, bound, is one).
 */
export type QueryRows = (sql: string, params?: readonly unknown[]) => Promise<Record<string, unknown>[]>;

/** Whether a failed query failed because the table it reads does not exist (yet), on any engine. */
export function isMissingTable(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  // SQLite: "no such table: x"; PostgreSQL: 'relation "x" does not exist'.
  return /no such table|relation .* does not exist/i.test(message);
}
