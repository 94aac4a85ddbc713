import { quoteIdentifier } from './names.js';
/** Rolls back the outer transaction of `rolledBack` once its function has returned. */
class RollbackSignal extends Error {
    value;
    constructor(value) {
        super('rolled back on purpose');
        this.value = value;
    }
}
/** The SQL executor over a better-sqlite3 connection (synchronous, so transactions never await). */
export function sqliteExecutor(db) {
    const totalChanges = db.prepare('SELECT total_changes() AS n').pluck();
    const objectType = db
        .prepare("SELECT type FROM sqlite_master WHERE name = ? AND type IN ('table', 'view')")
        .pluck();
    return {
        execute(sql) {
            // exec() runs several statements; total_changes() counts across all of them, and unlike
            // changes() it is not left over from an earlier INSERT when the statements are DDL.
            const before = totalChanges.get();
            db.exec(sql);
            return { changes: totalChanges.get() - before };
        },
        query(sql, params = []) {
            return db.prepare(sql).all(...params);
        },
        queryColumns(sql) {
            return db
                .prepare(sql)
                .columns()
                .map((c) => c.name);
        },
        tableInfo(name) {
            const type = objectType.get(name);
            if (type !== 'table' && type !== 'view')
                return undefined;
            let columns = [];
            try {
                columns = db.prepare(`PRAGMA table_info(${quoteIdentifier(name)})`).all();
            }
            catch {
                // A view whose sources are gone cannot list its columns; it still exists and can be replaced.
            }
            return {
                type,
                columns: columns.map((c) => ({ name: c.name, type: c.type })),
                uniqueIndexes: type === 'table' ? uniqueIndexes(db, name) : [],
            };
        },
        // IMMEDIATE: take the write lock up front. A deferred transaction that reads (table info) and
        // then writes fails with SQLITE_BUSY at once if the listener committed in between, busy timeout
        // or not; waiting for the lock at BEGIN is what the busy timeout can help with.
        transaction(fn) {
            return db.transaction(fn).immediate();
        },
        rolledBack(fn) {
            try {
                db.transaction(() => {
                    throw new RollbackSignal(fn());
                }).immediate();
            }
            catch (error) {
                if (error instanceof RollbackSignal)
                    return error.value;
                throw error;
            }
            throw new Error('unreachable: the rollback signal was not thrown');
        },
    };
}
function uniqueIndexes(db, table) {
    const indexes = db.prepare(`PRAGMA index_list(${quoteIdentifier(table)})`).all();
    return indexes
        .filter((index) => index.unique === 1)
        .map((index) => ({
        name: index.name,
        columns: db.prepare(`PRAGMA index_info(${quoteIdentifier(index.name)})`).all().map((c) => c.name ?? ''),
    }));
}
//# sourceMappingURL=sqlite-executor.js.map