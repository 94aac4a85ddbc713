export const realTimers = {
    setInterval: (callback, ms) => setInterval(callback, ms),
    clearInterval: (handle) => clearInterval(handle),
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle),
};
/**
 * Calls `onForeignCommit` when another connection has committed to the file since the last look.
 * `PRAGMA data_version` is a counter local to this connection that moves only for other
 * connections' commits, so the common case (nothing happened) costs one pragma and no query.
 */
export class ChangeWatcher {
    db;
    intervalMs;
    timers;
    onForeignCommit;
    handle;
    lastVersion;
    constructor(db, intervalMs, timers, onForeignCommit) {
        this.db = db;
        this.intervalMs = intervalMs;
        this.timers = timers;
        this.onForeignCommit = onForeignCommit;
    }
    start() {
        if (this.handle !== undefined || this.intervalMs <= 0)
            return;
        this.lastVersion = this.version();
        this.handle = this.timers.setInterval(() => this.check(), this.intervalMs);
    }
    stop() {
        if (this.handle === undefined)
            return;
        this.timers.clearInterval(this.handle);
        this.handle = undefined;
    }
    /** One look; public so that a caller can poll on its own schedule. */
    check() {
        if (!this.db.open)
            return;
        const version = this.version();
        if (version === this.lastVersion)
            return;
        this.lastVersion = version;
        this.onForeignCommit();
    }
    version() {
        return this.db.pragma('data_version', { simple: true });
    }
}
//# sourceMappingURL=change-watcher.js.map