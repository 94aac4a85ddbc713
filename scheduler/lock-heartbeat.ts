import type { RunLock } from '../adapter/index.js';
import type { Timers } from './change-watcher.js';
import { RunLockLostError } from './errors.js';

/**
 * Keeps the run lock's lease while a run is in flight: renews it every `everyMs` (a third of the
 * lease by default) on the scheduler's timers, whatever the run is doing, since the run's statements
 * go through another connection. When the lock is no longer ours (another holder took over a lease
 * that ran out), it aborts the run's signal with a RunLockLostError, which cancels the statement in
 * flight, so that no action runs alongside the new holder's. A renewal that fails (the database busy
 * for a moment) is only logged: the lease has two more renewals' worth of time left.
 */
export class LeaseKeeper {
  private handle: unknown;
  private beating: Promise<void> | undefined;

  constructor(
    private readonly lock: RunLock,
    private readonly controller: AbortController,
    private readonly timers: Timers,
    private readonly everyMs: number,
    private readonly logError: (what: string, error: unknown) => void,
  ) {}

  start(): this {
    // The renewal's promise is returned so that a hand-driven timer (tests) can wait for it.
    this.handle = this.timers.setInterval(() => this.beat(), Math.max(1, this.everyMs));
    return this;
  }

  /** Stops renewing and waits for a renewal in flight, so that it cannot outlive the run. */
  async stop(): Promise<void> {
    if (this.handle !== undefined) this.timers.clearInterval(this.handle);
    this.handle = undefined;
    await this.beating;
  }

  /** One renewal (the timer's); public so that a caller can renew at a moment of its choosing. */
  beat(): Promise<void> {
    this.beating ??= this.renew().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  private async renew(): Promise<void> {
    if (this.controller.signal.aborted) return;
    try {
      if (await this.lock.heartbeat()) return;
      const lost = new RunLockLostError(await this.lock.holder().catch(() => undefined), 'during the run');
      this.logError('run lock', lost);
      this.controller.abort(lost);
    } catch (error) {
      this.logError('renewing the run lock', error);
    }
  }
}
