import type { JsonObject } from './report-parser.js';
import { mergeState } from './state-merge.js';

/** A parsed report whose rows are not written yet, with the time it arrived (its clock when replayed). */
export interface PendingReport {
  report: JsonObject;
  full: boolean;
  at: Date;
  /** The merged state after this report, when it was computed on arrival with nothing waiting. */
  merged?: JsonObject;
  /** The printer reconnected after this report: the next one is a state sync. */
  syncAfter?: boolean;
}

/** How the raw layer's writes are going for one printer. */
export interface WriteHealth {
  /** The last write attempt failed and reports are waiting. */
  failing: boolean;
  /** Since when (listener clock), while failing. */
  failingSince: string | null;
  /** The database's last refusal (e.g. "database or disk is full"), while failing. */
  lastError: string | null;
  /** Reports kept in memory, to be written in order once the database accepts them. */
  pending: number;
  /** Reports that arrived while the backlog was full: folded into the one before, losing their own time. */
  dropped: number;
}

export const DEFAULT_MAX_PENDING_REPORTS = 3_000;
// Soon after a refusal: the listener's connection does not wait for the write lock (busy timeout 0),
// so a refusal is often a run's short transaction, over in milliseconds.
const FIRST_RETRY_MS = 25;
const MAX_RETRY_MS = 5_000;

/**
 * The reports of one printer that wait for the database, oldest first. Bounded: at a report every
 * 1–3 s the default keeps one to two and a half hours; past that, a new report is folded into the
 * newest kept one (nothing it says is lost, only the time it arrived), and counted as dropped.
 */
export class WriteBacklog {
  private readonly queue: PendingReport[] = [];
  private dropped = 0;
  private failingSince: string | null = null;
  private lastError: string | null = null;
  private retryMs = FIRST_RETRY_MS;

  constructor(private readonly max: number = DEFAULT_MAX_PENDING_REPORTS) {}

  get size(): number {
    return this.queue.length;
  }

  push(entry: PendingReport): void {
    const last = this.queue[this.queue.length - 1];
    if (this.queue.length >= this.max && last && this.queue.length > 1) {
      // Never the head: it is the one being retried, and it carries the earliest unwritten time.
      last.report = mergeState(last.report, entry.report, entry.full);
      last.full ||= entry.full;
      delete last.merged;
      this.dropped++;
      return;
    }
    this.queue.push(entry);
  }

  /** A reconnect while reports wait: the sync comes after the newest of them. */
  markSyncAfterLast(): void {
    const last = this.queue[this.queue.length - 1];
    if (last) last.syncAfter = true;
  }

  peek(): PendingReport | undefined {
    return this.queue[0];
  }

  /** The head was written. */
  shift(): void {
    this.queue.shift();
    if (this.queue.length === 0) {
      this.failingSince = null;
      this.lastError = null;
      this.retryMs = FIRST_RETRY_MS;
    }
  }

  /** The head could not be written; returns how long to wait before the next try (backs off to 5 s). */
  failed(message: string, at: Date): number {
    this.failingSince ??= at.toISOString();
    this.lastError = message;
    const wait = this.retryMs;
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
    return wait;
  }

  health(): WriteHealth {
    return {
      failing: this.failingSince !== null,
      failingSince: this.failingSince,
      lastError: this.lastError,
      pending: this.queue.length,
      dropped: this.dropped,
    };
  }
}
