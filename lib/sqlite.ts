import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { describeSqliteFailure } from './sqlite-failures.js';

/** The better-sqlite3 connection type, named once so that every stage imports it from here. */
export type SqliteDatabase = Database.Database;

export interface OpenDatabaseOptions {
  /** Open an existing file read-only; the file must exist. */
  readonly?: boolean;
  /** How long a statement waits for another connection's write lock before failing (ms). */
  busyTimeoutMs?: number;
}

/** Raised when a database the user named cannot be opened; the message says what to do. */
export class DatabaseOpenError extends Error {
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DatabaseOpenError';
  }
}

/**
 * Opens a SQLite file the way every stage needs it: WAL (the listener writes while runs and the
 * docs read), a busy timeout, and foreign keys on. Creates the parent folder for a writable file.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  const { readonly = false, busyTimeoutMs = 5_000 } = options;
  let db: SqliteDatabase | undefined;
  try {
    if (!readonly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
    // Reading the schema is what finds a file that is not a database (or a damaged one) at once.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    if (!readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
  } catch (error) {
    db?.close();
    const reason = error instanceof Error ? error.message : String(error);
    const raw = (error as { code?: unknown }).code;
    // SQLite's codes are SQLITE_*; a failed mkdir is a plain errno (EACCES, EROFS...).
    const code =
      typeof raw === 'string' && raw.startsWith('SQLITE_')
        ? raw
        : typeof raw === 'string'
          ? 'SQLITE_CANTOPEN'
          : undefined;
    const { message } =
      typeof code === 'string'
        ? describeSqliteFailure(path, code, reason, !readonly)
        : { message: `Cannot open the database ${path} (${reason}).` };
    throw new DatabaseOpenError(
      path,
      readonly && code === undefined
        ? `Cannot open the database ${path} (${reason}). Start the listener (\`bambuzled listen\`) or pass --db with the path of an existing database.`
        : message,
      { cause: error },
    );
  }
  return db;
}

/** Changes how long `db` waits for another connection's write lock (ms); 0 never waits. */
export function setBusyTimeout(db: SqliteDatabase, ms: number): void {
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(ms))}`);
}
