import { hostname as osHostname } from 'node:os';
import type { SqliteDatabase } from '../lib/sqlite.js';

/** Who holds a run lock, as the lock row says. */
export interface LockHolder {
  owner: string;
  pid: number;
  hostname: string;
  purpose: string;
  acquiredAt: string;
  heartbeatAt: string;
  expiresAtMs: number;
}

export type AcquireOutcome =
  | { acquired: true; tookOverFrom?: LockHolder }
  | { acquired: false; holder: LockHolder };

export interface RunLockOptions {
  db: SqliteDatabase;
  /** The lock's name: one per thing that must not overlap (the graph run). */
  name: string;
  /** This holder's id, unique per scheduler instance. */
  owner: string;
  /** A holder that has not beaten for this long is presumed dead. */
  ttlMs: number;
  now: () => Date;
  pid?: number;
  hostname?: string;
  /** Whether a process on this host is alive (to recover a crashed holder before its lease ends). */
  isProcessAlive?: (pid: number) => boolean;
}

/**
 * A lease row in `_bambuzled_locks`, so that one run happens at a time across every process that
 * opens the file. Acquiring is one IMMEDIATE transaction (SQLite serialises writers), so two
 * contenders can never both see the row free. A lease expires unless its holder beats; a holder
 * on this host whose process is gone is recovered at once.
 */
export class RunLock {
  private readonly pid: number;
  private readonly hostname: string;
  private readonly isProcessAlive: (pid: number) => boolean;

  constructor(private readonly options: RunLockOptions) {
    this.pid = options.pid ?? process.pid;
    this.hostname = options.hostname ?? osHostname();
    this.isProcessAlive = options.isProcessAlive ?? processIsAlive;
  }

  /** Takes the lock if it is free, stale, or already ours; otherwise says who holds it. */
  tryAcquire(purpose: string): AcquireOutcome {
    const { db, name, owner } = this.options;
    const attempt = db.transaction((): AcquireOutcome => {
      const current = this.holder();
      const nowMs = this.options.now().getTime();
      if (current && current.owner !== owner && !this.isStale(current, nowMs)) {
        return { acquired: false, holder: current };
      }
      const at = new Date(nowMs).toISOString();
      db.prepare(
        `INSERT INTO _bambuzled_locks (name, owner, pid, hostname, purpose, acquired_at, heartbeat_at, expires_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, pid = excluded.pid,
           hostname = excluded.hostname, purpose = excluded.purpose, acquired_at = excluded.acquired_at,
           heartbeat_at = excluded.heartbeat_at, expires_at_ms = excluded.expires_at_ms`,
      ).run(name, owner, this.pid, this.hostname, purpose, at, at, nowMs + this.options.ttlMs);
      return current && current.owner !== owner
        ? { acquired: true, tookOverFrom: current }
        : { acquired: true };
    });
    return attempt.immediate();
  }

  /** Extends our lease; returns false when the lock is no longer ours. */
  heartbeat(): boolean {
    const nowMs = this.options.now().getTime();
    const info = this.options.db
      .prepare(`UPDATE _bambuzled_locks SET heartbeat_at = ?, expires_at_ms = ? WHERE name = ? AND owner = ?`)
      .run(new Date(nowMs).toISOString(), nowMs + this.options.ttlMs, this.options.name, this.options.owner);
    return info.changes === 1;
  }

  /** Gives the lock up if it is ours. */
  release(): void {
    this.options.db
      .prepare(`DELETE FROM _bambuzled_locks WHERE name = ? AND owner = ?`)
      .run(this.options.name, this.options.owner);
  }

  /** The current holder, or undefined when the lock is free (an expired row still shows). */
  holder(): LockHolder | undefined {
    return this.options.db
      .prepare(
        `SELECT owner, pid, hostname, purpose, acquired_at AS acquiredAt, heartbeat_at AS heartbeatAt,
                expires_at_ms AS expiresAtMs
           FROM _bambuzled_locks WHERE name = ?`,
      )
      .get(this.options.name) as LockHolder | undefined;
  }

  /** Whether someone other than us holds a live lease. */
  heldByOther(): LockHolder | undefined {
    const current = this.holder();
    if (!current || current.owner === this.options.owner) return undefined;
    return this.isStale(current, this.options.now().getTime()) ? undefined : current;
  }

  private isStale(holder: LockHolder, nowMs: number): boolean {
    if (holder.expiresAtMs <= nowMs) return true;
    return holder.hostname === this.hostname && !this.isProcessAlive(holder.pid);
  }
}

/** `kill(pid, 0)` checks that a process exists without signalling it; EPERM still means alive. */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
