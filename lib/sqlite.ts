import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

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
  if (!readonly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let db: SqliteDatabase;
  try {
    db = new Database(path, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseOpenError(
      path,
      readonly
        ? `Cannot open the database ${path} (${reason}). Start the listener (\`bambuzled listen\`) or pass --db with the path of an existing database.`
        : `Cannot open or create the database ${path} (${reason}). Check that the folder is writable, or pass --db with another path.`,
      { cause: error },
    );
  }
  if (!readonly) db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  return db;
}
