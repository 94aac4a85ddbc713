import { latestChangeSeq } from '../ingestion/index.js';
import type { QueryRows } from '../lib/index.js';

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
 * Follows ingestion's change feed: every `intervalMs` it reads the highest change sequence (one
 * indexed MAX over job_events_raw, on any engine) and calls `onChange` when it moved past the last
 * one seen, whichever process wrote it. A look still in flight is not doubled up.
 */
export class ChangeWatcher {
  private handle: unknown;
  private lastSeq = 0;
  private looking: Promise<void> | undefined;

  constructor(
    private readonly query: QueryRows,
    private readonly intervalMs: number,
    private readonly timers: Timers,
    private readonly onChange: (latest: number) => void | Promise<void>,
    private readonly onError: (error: unknown) => void,
    /** Also called on every look, first (the scheduler checks whether a lock it waits for is free). */
    private readonly everyLook: () => Promise<void> = async () => undefined,
  ) {}

  /** Starts polling from `seenSeq` (what the caller has already looked at). */
  start(seenSeq: number): void {
    this.lastSeq = seenSeq;
    if (this.handle !== undefined || this.intervalMs <= 0) return;
    // The look's promise is returned so that a hand-driven timer (tests) can wait for it.
    this.handle = this.timers.setInterval(() => this.check(), this.intervalMs);
  }

  stop(): void {
    if (this.handle === undefined) return;
    this.timers.clearInterval(this.handle);
    this.handle = undefined;
  }

  /** Forgets changes above `seq` (after a cursor reset), so that they count as new again. */
  rewind(seq: number): void {
    this.lastSeq = Math.min(this.lastSeq, seq);
  }

  /** Resolves when a look in flight (if any) has finished; starts none. */
  async settled(): Promise<void> {
    await this.looking;
  }

  /** One look; resolves when it (or the look already in flight) has finished. */
  check(): Promise<void> {
    this.looking ??= this.look().finally(() => {
      this.looking = undefined;
    });
    return this.looking;
  }

  private async look(): Promise<void> {
    try {
      await this.everyLook();
      const latest = await latestChangeSeq(this.query);
      if (latest <= this.lastSeq) return;
      this.lastSeq = latest;
      await this.onChange(latest);
    } catch (error) {
      this.onError(error);
    }
  }
}
