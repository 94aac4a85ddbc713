import { isServerUrl, withoutPassword } from '../adapter/index.js';
import { migrateRawSchema, PgRawStore, type RawStore } from '../ingestion/index.js';
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
  /** The listener's SQLite connection: the raw rows on SQLite; only the certificate pins on PostgreSQL. */
  db: SqliteDatabase;
  /** The PostgreSQL raw store, when the spec is a server URL. */
  store: RawStore | undefined;
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
 * Opens the raw layer a database spec names, for the listener. A SQLite file is opened, migrated, and
 * its busy timeout set to `busyTimeoutMs` (the listener never waits for a run's write lock). A
 * postgres:// URL opens a PostgreSQL raw store and migrates it: a wrong password, a missing database
 * or a permission error is a message (the caller exits non-zero); a server that cannot be reached is
 * only a warning, since the listener keeps the reports in memory (and in its archive) and retries.
 */
export async function openRawTarget(
  spec: string,
  options: { busyTimeoutMs: number; logger: Logger; localDir?: string },
): Promise<RawTargetResult> {
  if (!isServerUrl(spec)) {
    try {
      const db = openDatabase(spec);
      // The migration may wait for a run's write lock; the reports that follow never do.
      migrateRawSchema(db);
      setBusyTimeout(db, options.busyTimeoutMs);
      return {
        ok: true,
        target: {
          db,
          store: undefined,
          localBase: spec,
          shown: spec,
          secrets: [],
          close: async () => {
            db.close();
          },
        },
      };
    } catch (error) {
      if (error instanceof DatabaseOpenError) return { ok: false, message: error.message };
      throw error;
    }
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
  return {
    ok: true,
    target: {
      db,
      store,
      localBase,
      shown: store.location,
      secrets: password ? [password] : [],
      close: async () => {
        await store.close();
        db.close();
      },
    },
  };
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
