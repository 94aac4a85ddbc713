/**
 * One run at a time per database, across processes: a lease row that every runner (the CLI's `run`,
 * the scheduler, the status page's "Run now") takes before its first action. Acquiring is one
 * transaction that holds the write lock, so two contenders can never both see the row free. A lease
 * expires unless its holder beats; a holder on this host whose process is gone is recovered at once.
 */
import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import type { AsyncExecutor, Row } from './engine/executor.js';

export const LOCKS_TABLE = '_bambuzled_locks';
/** The lock table's definition (the run history creates it too: it reads it to find interrupted runs). */
export const LOCKS_DDL = `CREATE TABLE IF NOT EXISTS ${LOCKS_TABLE} (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,        -- one id per runner instance
  pid INTEGER NOT NULL,
  hostname TEXT NOT NULL,
  purpose TEXT NOT NULL,      -- what the holder is doing, for the messages of those who wait
  acquired_at TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL,
  expires_at_ms BIGINT NOT NULL
)`;

/** The lock every graph run takes. */
export const RUN_LOCK_NAME = 'graph-run';

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
  executor: AsyncExecutor;
  /** The lock's name: one per thing that must not overlap. */
  name?: string;
  /** This holder's id, unique per runner instance (a new one by default). */
  owner?: string;
  /** A holder that has not beaten for this long is presumed dead. */
  ttlMs: number;
  now?: () => Date;
  pid?: number;
  hostname?: string;
  /** Whether a process on this host is alive (to recover a crashed holder before its lease ends). */
  isProcessAlive?: (pid: number) => boolean;
}

export class RunLock {
  readonly owner: string;
  private readonly name: string;
  private readonly now: () => Date;
  private readonly pid: number;
  private readonly hostname: string;
  private readonly isProcessAlive: (pid: number) => boolean;
  private ready: Promise<void> | undefined;

  constructor(private readonly options: RunLockOptions) {
    this.owner = options.owner ?? randomUUID();
    this.name = options.name ?? RUN_LOCK_NAME;
    this.now = options.now ?? (() => new Date());
    this.pid = options.pid ?? process.pid;
    this.hostname = options.hostname ?? osHostname();
    this.isProcessAlive = options.isProcessAlive ?? processIsAlive;
  }

  /** Takes the lock if it is free, stale, or already ours; otherwise says who holds it. */
  async tryAcquire(purpose: string): Promise<AcquireOutcome> {
    await this.ensureTable();
    // Look before taking the write lock: a run in progress may hold the database's write lock for a
    // long statement, and a reader never waits for it.
    const seen = await this.heldByOther();
    if (seen) return { acquired: false, holder: seen };
    return this.options.executor.transaction(async (tx): Promise<AcquireOutcome> => {
      const row = (await tx.query(`SELECT * FROM ${LOCKS_TABLE} WHERE name = ?`, [this.name]))[0];
      const current = row ? holderOf(row) : undefined;
      const nowMs = this.now().getTime();
      if (
        current &&
        current.owner !== this.owner &&
        holderIsLive(current, nowMs, this.hostname, this.isProcessAlive)
      ) {
        return { acquired: false, holder: current };
      }
      const at = new Date(nowMs).toISOString();
      await tx.execute(
        `INSERT INTO ${LOCKS_TABLE} (name, owner, pid, hostname, purpose, acquired_at, heartbeat_at, expires_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, pid = excluded.pid,
           hostname = excluded.hostname, purpose = excluded.purpose, acquired_at = excluded.acquired_at,
           heartbeat_at = excluded.heartbeat_at, expires_at_ms = excluded.expires_at_ms`,
        [this.name, this.owner, this.pid, this.hostname, purpose, at, at, nowMs + this.options.ttlMs],
      );
      return current && current.owner !== this.owner
        ? { acquired: true, tookOverFrom: current }
        : { acquired: true };
    });
  }

  /** Extends our lease; false when the lock is no longer ours. */
  async heartbeat(): Promise<boolean> {
    const nowMs = this.now().getTime();
    const { changes } = await this.options.executor.execute(
      `UPDATE ${LOCKS_TABLE} SET heartbeat_at = ?, expires_at_ms = ? WHERE name = ? AND owner = ?`,
      [new Date(nowMs).toISOString(), nowMs + this.options.ttlMs, this.name, this.owner],
    );
    return changes === 1;
  }

  /** Gives the lock up if it is ours. */
  async release(): Promise<void> {
    await this.options.executor.execute(`DELETE FROM ${LOCKS_TABLE} WHERE name = ? AND owner = ?`, [
      this.name,
      this.owner,
    ]);
  }

  /** The current holder, or undefined when the lock is free (an expired row still shows). */
  async holder(): Promise<LockHolder | undefined> {
    await this.ensureTable();
    const row = (
      await this.options.executor.query(`SELECT * FROM ${LOCKS_TABLE} WHERE name = ?`, [this.name])
    )[0];
    return row ? holderOf(row) : undefined;
  }

  /** Whether someone other than us holds a live lease. */
  async heldByOther(): Promise<LockHolder | undefined> {
    const current = await this.holder();
    if (!current || current.owner === this.owner) return undefined;
    return holderIsLive(current, this.now().getTime(), this.hostname, this.isProcessAlive)
      ? current
      : undefined;
  }

  private ensureTable(): Promise<void> {
    this.ready ??= (async () => {
      if (!(await this.options.executor.describe(LOCKS_TABLE)))
        await this.options.executor.execute(LOCKS_DDL);
    })();
    return this.ready;
  }
}

/**
 * Whether a holder's lease still counts. On this host, while its process runs: a long statement can
 * hold the database's write lock past the lease, so the heartbeat may not get through, yet the run is
 * alive. On another host, until the lease expires.
 */
export function holderIsLive(
  holder: LockHolder,
  nowMs: number,
  hostname: string,
  isProcessAlive: (pid: number) => boolean,
): boolean {
  if (holder.hostname === hostname) return isProcessAlive(holder.pid);
  return holder.expiresAtMs > nowMs;
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

/** A lock row as a LockHolder. */
export function holderOf(row: Row): LockHolder {
  return {
    owner: String(row.owner),
    pid: Number(row.pid),
    hostname: String(row.hostname),
    purpose: String(row.purpose),
    acquiredAt: String(row.acquired_at),
    heartbeatAt: String(row.heartbeat_at),
    expiresAtMs: Number(row.expires_at_ms),
  };
}
