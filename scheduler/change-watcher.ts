import type { SqliteDatabase } from '../lib/sqlite.js';

/** The timer functions the scheduler uses, injectable so that tests drive them. */
export interface Timers {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Calls `onForeignCommit` when another connection has committed to the file since the last look.
 * `PRAGMA data_version` is a counter local to this connection that moves only for other
 * connections' commits, so the common case (nothing happened) costs one pragma and no query.
 */
export class ChangeWatcher {
  private handle: unknown;
  private lastVersion: number | undefined;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly intervalMs: number,
    private readonly timers: Timers,
    private readonly onForeignCommit: () => void,
  ) {}

  start(): void {
    if (this.handle !== undefined || this.intervalMs <= 0) return;
    this.lastVersion = this.version();
    this.handle = this.timers.setInterval(() => this.check(), this.intervalMs);
  }

  stop(): void {
    if (this.handle === undefined) return;
    this.timers.clearInterval(this.handle);
    this.handle = undefined;
  }

  /** One look; public so that a caller can poll on its own schedule. */
  check(): void {
    if (!this.db.open) return;
    const version = this.version();
    if (version === this.lastVersion) return;
    this.lastVersion = version;
    this.onForeignCommit();
  }

  private version(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }
}
