import { existsSync } from 'node:fs';
import { openDatabase } from '../lib/sqlite.js';
export const EMPTY_CATALOG_HINT = 'Start the listener (`bambuzled listen`, or `bambuzled start`) and run the transformations ' +
    '(`bambuzled run`); then reload this page - no restart needed.';
/** Reads the catalog and the latest run results from an open database. */
export function readCatalogSnapshot(db, graph, readers, options = {}) {
    const readAt = (options.now ?? (() => new Date()))().toISOString();
    const entries = {};
    for (const entry of readers.readCatalog(db, graph)) {
        entries[entry.name] = {
            sqliteName: entry.sqliteName,
            exists: entry.exists,
            objectType: entry.objectType,
            columns: entry.columns.map((column) => ({ name: column.name, type: column.type })),
            rowCount: entry.rowCount,
        };
    }
    const results = {};
    let historyError;
    let latest = new Map();
    try {
        latest = readers.latestActionResults(db);
    }
    catch (error) {
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
    return {
        status: 'ready',
        dbPath: options.dbPath ?? null,
        readAt,
        ...(historyError ? { message: historyError } : {}),
        entries,
        results,
    };
}
/** A catalog with nothing in it, saying why and how to fill it. */
export function emptyCatalog(status, dbPath, message, now = () => new Date()) {
    return { status, dbPath, readAt: now().toISOString(), message, entries: {}, results: {} };
}
/**
 * Opens `dbPath` read-only for one read and closes it again, so that a database created or rebuilt
 * after the server started shows up on the next request. A missing file or a failed read is data.
 */
export function readCatalogFile(dbPath, graph, readers, now = () => new Date()) {
    if (!existsSync(dbPath)) {
        return emptyCatalog('no-database', dbPath, `The catalog is empty: there is no database at ${dbPath} yet. ${EMPTY_CATALOG_HINT}`, now);
    }
    let db;
    try {
        db = openDatabase(dbPath, { readonly: true });
        return readCatalogSnapshot(db, graph, readers, { dbPath, now });
    }
    catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return emptyCatalog('error', dbPath, `Cannot read the catalog from ${dbPath}: ${reason}`, now);
    }
    finally {
        db?.close();
    }
}
//# sourceMappingURL=catalog-snapshot.js.map