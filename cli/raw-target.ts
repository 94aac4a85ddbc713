import { isServerUrl, withoutPassword } from '../adapter/index.js';
import {
  migrateRawSchema,
  PgRawStore,
  type RawStore,
  RawThreadOpenError,
  ThreadedRawStore,
} from '../ingestion/index.js';
import {
  DatabaseOpenError,
  type Logger,
  openDatabase,
  type SqliteDatabase,
  setBusyTimeout,
} from '../lib/index.js';
import { localFilesBase } from './db-path.js';

/** Where the listener writes, opened: what `listen` and `start` hand to startListener. */
export interface RawTarget {
  /** The listener's own SQLite connection: the certificate pins (on SQLite the raw file itself, its rows written by `store`). */
  db: SqliteDatabase;
  /** Where the raw rows go: a thread writing the SQLite file, or a PostgreSQL raw store. */
  store: RawStore;
  /** A local path the report archive and the health file are named after (the SQLite file, or one for the server). */
  localBase: string;
  /** The spec, printable (a server URL without its password). */
  shown: string;
  /** What a log line must never show (the URL's password). */
  secrets: string[];
  close(): Promise<void>;
}

export type RawTargetResult = { ok: true; target: RawTarget } | { ok: false; message: string };

/**
 * Opens the raw layer a database spec names, for the listener. A SQLite file is opened and migrated
 * (its busy timeout then set to `busyTimeoutMs`: the listener's own connection never waits for a
 * run's write lock), and its raw rows written from a thread (ThreadedRawStore). A
 * postgres:// URL opens a PostgreSQL raw store and migrates it: a wrong password, a missing database
 * or a permission error is a message (the caller exits non-zero); a server that cannot be reached is
 * only a warning, since the listener keeps the reports in memory (and in its archive) and retries.
 */
export async function openRawTarget(
  spec: string,
  options: { busyTimeoutMs: number; logger: Logger; localDir?: string },
): Promise<RawTargetResult> {
  if (!isServerUrl(spec)) {
    let db: SqliteDatabase;
    try {
      db = openDatabase(spec);
      // The migration may wait for a run's write lock; the reports that follow never do.
      migrateRawSchema(db);
      setBusyTimeout(db, options.busyTimeoutMs);
    } catch (error) {
      if (error instanceof DatabaseOpenError) return { ok: false, message: error.message };
      throw error;
    }
    // The raw rows are written from a thread of their own: a run's write lock, a checkpoint or an
    // fsync then holds up that thread, never the reports. `db` keeps the certificate pins.
    let store: ThreadedRawStore;
    try {
      store = await ThreadedRawStore.open(spec);
    } catch (error) {
      db.close();
      if (error instanceof RawThreadOpenError)
        return { ok: false, message: `Cannot write ${spec}: ${error.message}` };
      throw error;
    }
    return opened(db, store, { localBase: spec, shown: spec, secrets: [] });
  }
  const shown = withoutPassword(spec);
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    return {
      ok: false,
      message: `${shown} is not a valid PostgreSQL URL: write postgres://user:password@host:5432/database.`,
    };
  }
  const password = decodeURIComponent(url.password);
  const store = new PgRawStore({ url: spec });
  try {
    await store.migrate();
  } catch (error) {
    const refusal = store.refusal(error);
    if (refusal?.kind !== 'unavailable') {
      await store.close();
      const reason = refusal?.message ?? (error instanceof Error ? error.message : String(error));
      return {
        ok: false,
        message: `Cannot write the raw layer into ${store.location}: ${scrub(reason, password)}.`,
      };
    }
    options.logger.warn(
      `${scrub(refusal.message, password)}; listening anyway: the reports wait in memory (and in the report archive) and are written once the server answers.`,
    );
  }
  // The certificate pins (trust on first use) stay on this machine: a trust decision of this listener.
  const localBase = localFilesBase(spec, options.localDir);
  let db: SqliteDatabase;
  try {
    db = openDatabase(`${localBase}.pins.db`);
    migrateRawSchema(db);
  } catch (error) {
    await store.close();
    if (error instanceof DatabaseOpenError) return { ok: false, message: error.message };
    throw error;
  }
  return opened(db, store, { localBase, shown: store.location, secrets: password ? [password] : [] });
}

/** The target once both connections are open: closing it closes the store, then the pins' connection. */
function opened(
  db: SqliteDatabase,
  store: RawStore & { close(): Promise<void> },
  where: Pick<RawTarget, 'localBase' | 'shown' | 'secrets'>,
): RawTargetResult {
  const close = async () => {
    await store.close();
    db.close();
  };
  return { ok: true, target: { db, store, ...where, close } };
}

/** The password of a postgres:// URL, as a secret for the loggers (none for a file path). */
export function urlSecrets(spec: string): string[] {
  if (!isServerUrl(spec)) return [];
  try {
    const password = decodeURIComponent(new URL(spec).password);
    return password ? [password] : [];
  } catch {
    return [];
  }
}

function scrub(text: string, secret: string): string {
  return secret ? text.split(secret).join('***') : text;
}
