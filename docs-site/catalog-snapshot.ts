import { existsSync } from 'node:fs';
import {
  type ActionResult,
  type AsyncExecutor,
  type CatalogEntry,
  type CompiledGraph,
  isServerUrl,
  openEngine,
  type Statements,
} from '../adapter/index.js';
import { hideMachinePaths } from '../lib/index.js';
import { databaseShownAs, docsPathReplacements } from './machine-paths.js';

/** What the database holds for one action: the catalog half of the docs' data. */
export interface DocsCatalogEntry {
  sqliteName: string;
  exists: boolean;
  objectType: 'table' | 'view' | null;
  /** `inferred`: no declared type, so the type of the stored values is shown. */
  columns: { name: string; type: string; inferred?: boolean }[];
  rowCount: number | null;
}

/** The last recorded result of one action (assertions included) from the run history. */
export interface DocsRunResult {
  status: ActionResult['status'];
  startedAt: string;
  endedAt: string;
  durationMs: number;
  rowsAffected: number | null;
  error?: string;
  failingRowCount?: number;
  /** The statements the last run executed (SQLite SQL, after the adapter rewrote refs). */
  sql: string[];
}

/** The last time the raw layer was rebuilt from the report archive (`bambuzled restate`), and why. */
export interface DocsRestatement {
  restatedAt: string;
  reason: string;
  printers: string[];
  since: string | null;
  reports: number;
  skipped: number;
}

/**
 * The live half of the site: `ready` with entries, `no-database` when the file does not exist yet,
 * `error` when it cannot be read. Keyed by action id (`schema.name`).
 */
export interface DocsCatalog {
  status: 'ready' | 'no-database' | 'error';
  /** Where the catalog came from, or would come from. */
  dbPath: string | null;
  readAt: string;
  /** For `no-database` and `error`: what happened and what to do. */
  message?: string;
  entries: Record<string, DocsCatalogEntry>;
  results: Record<string, DocsRunResult>;
  /** The history was restated: the page says when and why, since every figure changed then. */
  lastRestatement?: DocsRestatement;
}

/** The two adapter reads the catalog needs, passed in so that the docs import no adapter internals. */
export interface CatalogReaders {
  readCatalog(db: Statements, graph: CompiledGraph): Promise<CatalogEntry[]>;
  latestActionResults(db: AsyncExecutor): Promise<Map<string, ActionResult>>;
}

export const EMPTY_CATALOG_HINT =
  'Start the listener (`bambuzled listen`, or `bambuzled start`) and run the transformations ' +
  '(`bambuzled run`); then reload this page - no restart needed.';

/** Reads the catalog and the latest run results through an open connection. */
export async function readCatalogSnapshot(
  db: AsyncExecutor,
  graph: CompiledGraph,
  readers: CatalogReaders,
  options: { dbPath?: string | null; now?: () => Date } = {},
): Promise<DocsCatalog> {
  const readAt = (options.now ?? (() => new Date()))().toISOString();
  const entries: Record<string, DocsCatalogEntry> = {};
  for (const entry of await readers.readCatalog(db, graph)) {
    entries[entry.name] = {
      sqliteName: entry.sqliteName,
      exists: entry.exists,
      objectType: entry.objectType,
      columns: entry.columns.map((column) => ({
        name: column.name,
        type: column.type,
        ...(column.inferred ? { inferred: true } : {}),
      })),
      rowCount: entry.rowCount,
    };
  }
  const results: Record<string, DocsRunResult> = {};
  let historyError: string | undefined;
  let latest = new Map<string, ActionResult>();
  try {
    latest = await readers.latestActionResults(db);
  } catch (error) {
    // A catalog without run history is still worth showing: say why the history is missing.
    historyError = `Run history unavailable: ${error instanceof Error ? error.message : String(error)}`;
  }
  for (const [name, result] of latest) {
    results[name] = {
      status: result.status,
      startedAt: result.startedAt,
      endedAt: result.endedAt,
      durationMs: result.durationMs,
      rowsAffected: result.rowsAffected,
      ...(result.error ? { error: result.error } : {}),
      ...(result.failingRows ? { failingRowCount: result.failingRows.count } : {}),
      sql: result.sql,
    };
  }
  const lastRestatement = await readLastRestatement(db);
  const catalog: DocsCatalog = {
    status: 'ready',
    dbPath: options.dbPath ? databaseShownAs(options.dbPath) : null,
    readAt,
    ...(historyError ? { message: historyError } : {}),
    entries,
    results,
    ...(lastRestatement ? { lastRestatement } : {}),
  };
  // Engine and run errors may quote the database's path; the pages name it by its file name.
  return options.dbPath
    ? hideMachinePaths(catalog, docsPathReplacements({ dbPath: options.dbPath }))
    : catalog;
}

/** The newest row of raw_restatements (the listener's raw layer), if the table exists and has one. */
async function readLastRestatement(db: AsyncExecutor): Promise<DocsRestatement | undefined> {
  try {
    const row = (
      await db.query(
        'SELECT restated_at, reason, printers, since, reports, skipped FROM raw_restatements ORDER BY id DESC LIMIT 1',
      )
    )[0];
    if (!row) return undefined;
    return {
      restatedAt: String(row.restated_at),
      reason: String(row.reason),
      printers: String(row.printers).split(',').filter(Boolean),
      since: row.since == null ? null : String(row.since),
      reports: Number(row.reports),
      skipped: Number(row.skipped),
    };
  } catch {
    // An older raw layer has no such table: it was never restated.
    return undefined;
  }
}

/** A catalog with nothing in it, saying why and how to fill it. */
export function emptyCatalog(
  status: 'no-database' | 'error',
  dbPath: string | null,
  message: string,
  now: () => Date = () => new Date(),
): DocsCatalog {
  return { status, dbPath, readAt: now().toISOString(), message, entries: {}, results: {} };
}

/**
 * Opens `dbPath` read-only for one read (a connection of its own, off the main thread) and closes it
 * again, so that a database created or rebuilt after the server started shows up on the next
 * request. A missing file or a failed read (a damaged file: the message says what to do) is data.
 */
export async function readCatalogFile(
  dbPath: string,
  graph: CompiledGraph,
  readers: CatalogReaders,
  now: () => Date = () => new Date(),
): Promise<DocsCatalog> {
  // A server (postgres://) is asked; a SQLite file that is not there yet is "no database".
  const shown = databaseShownAs(dbPath);
  if (!isServerUrl(dbPath) && !existsSync(dbPath)) {
    return emptyCatalog(
      'no-database',
      shown,
      `The catalog is empty: there is no database ${shown} yet. ${EMPTY_CATALOG_HINT}`,
      now,
    );
  }
  let db: AsyncExecutor | undefined;
  try {
    db = await openEngine(dbPath).connect({ readonly: true });
    return await readCatalogSnapshot(db, graph, readers, { dbPath, now });
  } catch (error) {
    const reason = hideMachinePaths(
      error instanceof Error ? error.message : String(error),
      docsPathReplacements({ dbPath }),
    );
    return emptyCatalog('error', shown, `Cannot read the catalog from ${shown}: ${reason}`, now);
  } finally {
    await db?.close().catch(() => undefined);
  }
}
