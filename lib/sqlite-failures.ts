/**
 * SQLite's result codes in words a user can act on: what is wrong with which file, and what to do.
 * Shared by the listener's connection (lib/sqlite.ts) and the adapter's executor, so that a bad
 * database reads the same whichever command meets it. A plain SQL error keeps SQLite's own message.
 */
export type SqliteFailureKind = 'busy' | 'corrupt' | 'read-only' | 'disk-full' | 'cannot-open' | 'sql';

export function kindOfSqliteCode(code: string): SqliteFailureKind {
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) return 'corrupt';
  if (code.startsWith('SQLITE_READONLY')) return 'read-only';
  if (code === 'SQLITE_FULL') return 'disk-full';
  if (code.startsWith('SQLITE_CANTOPEN')) return 'cannot-open';
  return 'sql';
}

/** The kind and the message for a failure of `path` with SQLite's `code` and `reason`. */
export function describeSqliteFailure(
  path: string,
  code: string,
  reason: string,
  opening = false,
): { kind: SqliteFailureKind; message: string } {
  const kind = kindOfSqliteCode(code);
  switch (kind) {
    case 'busy':
      return {
        kind,
        message: `The database ${path} stayed locked by another connection (${reason}). Try again when the other process's write has finished.`,
      };
    case 'corrupt':
      return {
        kind,
        message: `The file ${path} is not a SQLite database, or it is damaged (${reason}). If it is your database, restore it from a backup; otherwise pass --db with the right path (a path that does not exist yet gets a new database).`,
      };
    case 'read-only':
      return {
        kind,
        message: `The database ${path} cannot be written (${reason}). Check the permissions of the file and of its folder (SQLite writes ${path}-wal and ${path}-shm beside it), or pass --db with a writable path.`,
      };
    case 'disk-full':
      return {
        kind,
        message: `The disk holding ${path} is full (${reason}). Free some space and run again; nothing of the failed statement was kept.`,
      };
    case 'cannot-open':
      return {
        kind,
        message: `Cannot open${opening ? ' or create' : ''} the database ${path} (${reason}). Check that its folder exists and is writable, or pass --db with another path.`,
      };
    default:
      return { kind, message: reason };
  }
}
