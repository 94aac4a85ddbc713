import type { Timers } from './change-watcher.js';
import type { TickRecord } from './sensor-store.js';

const MAX_BUSY_RETRIES = 5;

/**
 * A run that lost a race for the write lock (the listener writing) is not a broken model: try again
 * shortly instead of waiting for the next cron tick, a few times in a row at most. Whether it was
 * busy comes from the engine's error kind ('busy'), never from the wording of a message.
 */
export class BusyRetry {
  private retryTimer: unknown;
  private busyRetries = 0;

  constructor(
    private readonly timers: Timers,
    private readonly pollIntervalMs: number,
    private readonly isRunning: () => boolean,
    private readonly wake: (reason: string) => void,
  ) {}

  /** Looks at a recorded tick: schedules a retry after a busy database, or resets the count. */
  retryIfBusy(tick: TickRecord, busy: boolean): void {
    if (tick.decision !== 'FAILED' || !busy) {
      if (tick.decision !== 'SKIPPED') this.busyRetries = 0;
      return;
    }
    if (!this.isRunning() || this.busyRetries >= MAX_BUSY_RETRIES) return;
    this.busyRetries++;
    this.cancelRetry();
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      this.wake('retry after a busy database');
    }, this.pollIntervalMs || 1000);
  }

  cancelRetry(): void {
    if (this.retryTimer === undefined) return;
    this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}
