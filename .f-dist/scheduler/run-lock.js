import { hostname as osHostname } from 'node:os';
/**
 * A lease row in `_bambuzled_locks`, so that one run happens at a time across every process that
 * opens the file. Acquiring is one IMMEDIATE transaction (SQLite serialises writers), so two
 * contenders can never both see the row free. A lease expires unless its holder beats; a holder
 * on this host whose process is gone is recovered at once.
 */
export class RunLock {
    options;
    pid;
    hostname;
    isProcessAlive;
    constructor(options) {
        this.options = options;
        this.pid = options.pid ?? process.pid;
        this.hostname = options.hostname ?? osHostname();
        this.isProcessAlive = options.isProcessAlive ?? processIsAlive;
    }
    /** Takes the lock if it is free, stale, or already ours; otherwise says who holds it. */
    tryAcquire(purpose) {
        const { db, name, owner } = this.options;
        const attempt = db.transaction(() => {
            const current = this.holder();
            const nowMs = this.options.now().getTime();
            if (current && current.owner !== owner && !this.isStale(current, nowMs)) {
                return { acquired: false, holder: current };
            }
            const at = new Date(nowMs).toISOString();
            db.prepare(`INSERT INTO _bambuzled_locks (name, owner, pid, hostname, purpose, acquired_at, heartbeat_at, expires_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, pid = excluded.pid,
           hostname = excluded.hostname, purpose = excluded.purpose, acquired_at = excluded.acquired_at,
           heartbeat_at = excluded.heartbeat_at, expires_at_ms = excluded.expires_at_ms`).run(name, owner, this.pid, this.hostname, purpose, at, at, nowMs + this.options.ttlMs);
            return current && current.owner !== owner
                ? { acquired: true, tookOverFrom: current }
                : { acquired: true };
        });
        return attempt.immediate();
    }
    /** Extends our lease; returns false when the lock is no longer ours. */
    heartbeat() {
        const nowMs = this.options.now().getTime();
        const info = this.options.db
            .prepare(`UPDATE _bambuzled_locks SET heartbeat_at = ?, expires_at_ms = ? WHERE name = ? AND owner = ?`)
            .run(new Date(nowMs).toISOString(), nowMs + this.options.ttlMs, this.options.name, this.options.owner);
        return info.changes === 1;
    }
    /** Gives the lock up if it is ours. */
    release() {
        this.options.db
            .prepare(`DELETE FROM _bambuzled_locks WHERE name = ? AND owner = ?`)
            .run(this.options.name, this.options.owner);
    }
    /** The current holder, or undefined when the lock is free (an expired row still shows). */
    holder() {
        return this.options.db
            .prepare(`SELECT owner, pid, hostname, purpose, acquired_at AS acquiredAt, heartbeat_at AS heartbeatAt,
                expires_at_ms AS expiresAtMs
           FROM _bambuzled_locks WHERE name = ?`)
            .get(this.options.name);
    }
    /** Whether someone other than us holds a live lease. */
    heldByOther() {
        const current = this.holder();
        if (!current || current.owner === this.options.owner)
            return undefined;
        return this.isStale(current, this.options.now().getTime()) ? undefined : current;
    }
    isStale(holder, nowMs) {
        if (holder.expiresAtMs <= nowMs)
            return true;
        return holder.hostname === this.hostname && !this.isProcessAlive(holder.pid);
    }
}
/** `kill(pid, 0)` checks that a process exists without signalling it; EPERM still means alive. */
export function processIsAlive(pid) {
    try {
        process.kill(pid, 0);
        return true;
    }
    catch (error) {
        return error.code === 'EPERM';
    }
}
//# sourceMappingURL=run-lock.js.map