/**
 * SQLite's result codes, turned into the engine's error kinds with messages that name the file and
 * say what to do. The message of a plain SQL error (a missing column, a syntax error) is SQLite's own:
 * the runner shows it beside the statement that failed.
 */
import { EngineError, type EngineErrorKind } from '../executor.js';

/** What the worker sends back for a failed request. */
export interface WorkerFailure {
  code: string;
  message: string;
}

export function kindOfSqliteCode(code: string): EngineErrorKind {
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) return 'corrupt';
  if (code.startsWith('SQLITE_READONLY')) return 'read-only';
  if (code === 'SQLITE_FULL') return 'disk-full';
  if (code.startsWith('SQLITE_CANTOPEN')) return 'cannot-open';
  return 'sql';
}

/** The error for a failed statement (or for a database that could not be opened, with `opening`). */
export function sqliteError(
  path: string,
  failure: WorkerFailure,
  sql?: string,
  opening = false,
): EngineError {
  const kind = kindOfSqliteCode(failure.code);
  const reason = failure.message;
  const options = sql === undefined ? {} : { sql };
  switch (kind) {
    case 'busy':
      return new EngineError(
        kind,
        `The database ${path} stayed locked by another connection (${reason}). Try again when the other process's write has finished.`,
        options,
      );
    case 'corrupt':
      return new EngineError(
        kind,
        `The file ${path} is not a SQLite database, or it is damaged (${reason}). If it is your database, restore it from a backup; otherwise pass --db with the right path (a path that does not exist yet gets a new database).`,
        options,
      );
    case 'read-only':
      return new EngineError(
        kind,
        `The database ${path} cannot be written (${reason}). Check the permissions of the file and of its folder (SQLite writes ${path}-wal and ${path}-shm beside it), or pass --db with a writable path.`,
        options,
      );
    case 'disk-full':
      return new EngineError(
        kind,
        `The disk holding ${path} is full (${reason}). Free some space and run again; nothing of the failed statement was kept.`,
        options,
      );
    case 'cannot-open':
      return new EngineError(
        kind,
        `Cannot open${opening ? ' or create' : ''} the database ${path} (${reason}). Check that its folder exists and is writable, or pass --db with another path.`,
        options,
      );
    default:
      return new EngineError(kind, reason, options);
  }
}
