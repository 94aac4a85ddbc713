import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
/** Raised when a database the user named cannot be opened; the message says what to do. */
export class DatabaseOpenError extends Error {
    path;
    constructor(path, message, options) {
        super(message, options);
        this.path = path;
        this.name = 'DatabaseOpenError';
    }
}
/**
 * Opens a SQLite file the way every stage needs it: WAL (the listener writes while runs and the
 * docs read), a busy timeout, and foreign keys on. Creates the parent folder for a writable file.
 */
export function openDatabase(path, options = {}) {
    const { readonly = false, busyTimeoutMs = 5_000 } = options;
    if (!readonly && path !== ':memory:')
        mkdirSync(dirname(path), { recursive: true });
    let db;
    try {
        db = new Database(path, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
    }
    catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new DatabaseOpenError(path, readonly
            ? `Cannot open the database ${path} (${reason}). Start the listener (\`bambuzled listen\`) or pass --db with the path of an existing database.`
            : `Cannot open or create the database ${path} (${reason}). Check that the folder is writable, or pass --db with another path.`, { cause: error });
    }
    if (!readonly)
        db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    return db;
}
//# sourceMappingURL=sqlite.js.map