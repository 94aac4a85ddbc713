import type { Timers } from './timers.js';

/** How many connection attempts may be in their handshake at once, and how many start per tick. */
export interface ConnectPacing {
  maxInFlight: number;
  perTick: number;
  /**
   * A turn of the event loop that came this much later than asked (ms) means the listener is busy
   * (handshakes finishing together, their full reports): the number in flight is halved, down to
   * perTick; each turn on time lets one more in, up to maxInFlight.
   */
  lagBudgetMs: number;
}

/**
 * The handshakes of a farm are CPU work on the listener's one thread (key exchange, certificate
 * checks): 5,000 started at once finish together and freeze the event loop for seconds. At most
 * maxInFlight attempts are in flight, and the queue is drained at most perTick at a time with a
 * turn of the event loop between, so reports keep flowing while the farm connects. How many may be
 * in flight follows how late the loop runs the drain (lagBudgetMs): on a machine that has the CPU
 * for it the farm connects at full speed, on a busy one it connects more slowly instead of stalling.
 */
export const DEFAULT_CONNECT_PACING: ConnectPacing = { maxInFlight: 48, perTick: 8, lagBudgetMs: 20 };

/** A queued or running attempt: cancel() drops it from the queue or frees its slot. */
export interface PacedAttempt {
  /** The attempt's handshake is over (connected, refused or failed): its slot goes to the next one. */
  done(): void;
  cancel(): void;
}

/** Admits connection attempts a few at a time (see DEFAULT_CONNECT_PACING). */
export class ConnectPacer {
  private readonly queue: { start: () => void; attempt: Slot }[] = [];
  private inFlight = 0;
  private drainTimer: unknown;
  /** Attempts started at once (not from the queue) since the last turn of the event loop. */
  private startedThisTurn = 0;
  private turnTimer: unknown;
  /** How many may be in flight now: maxInFlight, less while the event loop runs late. */
  private cap: number;

  constructor(
    private readonly timers: Timers,
    private readonly pacing: ConnectPacing = DEFAULT_CONNECT_PACING,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.cap = pacing.maxInFlight;
  }

  /** How many handshakes may be in flight now (for status and tests). */
  get allowedInFlight(): number {
    return this.cap;
  }

  /**
   * Runs start() now when a slot is free and fewer than perTick started in this turn (a farm of up
   * to perTick printers connects as before), else in its turn: 5,000 printers added in one go start
   * perTick, not maxInFlight, handshakes in the turn that adds them.
   */
  run(start: () => void): PacedAttempt {
    const attempt = new Slot(this);
    if (this.inFlight < this.cap && this.queue.length === 0 && this.startedThisTurn < this.pacing.perTick) {
      this.inFlight += 1;
      attempt.running = true;
      this.countStart();
      start();
    } else {
      this.queue.push({ start, attempt });
      this.scheduleDrain();
    }
    return attempt;
  }

  /** Attempts waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  close(): void {
    this.queue.length = 0;
    if (this.drainTimer !== undefined) this.timers.clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    if (this.turnTimer !== undefined) this.timers.clearTimeout(this.turnTimer);
    this.turnTimer = undefined;
  }

  /** Counts an attempt started at once; the count goes back to zero on the next turn. */
  private countStart(): void {
    this.startedThisTurn += 1;
    this.turnTimer ??= this.timers.setTimeout(() => {
      this.turnTimer = undefined;
      this.startedThisTurn = 0;
    }, 0);
  }

  /** @internal */
  release(attempt: Slot): void {
    if (attempt.running) {
      attempt.running = false;
      this.inFlight -= 1;
      this.scheduleDrain();
      return;
    }
    const index = this.queue.findIndex((entry) => entry.attempt === attempt);
    if (index >= 0) this.queue.splice(index, 1);
  }

  private scheduleDrain(): void {
    if (this.drainTimer !== undefined || this.queue.length === 0) return;
    // A full house: the next release schedules the drain.
    if (this.inFlight >= this.cap) return;
    const askedAt = this.clock();
    this.drainTimer = this.timers.setTimeout(() => {
      this.drainTimer = undefined;
      this.adapt(this.clock() - askedAt);
      let started = 0;
      while (this.queue.length > 0 && this.inFlight < this.cap && started < this.pacing.perTick) {
        const next = this.queue.shift()!;
        this.inFlight += 1;
        next.attempt.running = true;
        started += 1;
        next.start();
      }
      this.scheduleDrain();
    }, 0);
  }

  /** Halves the cap after a late turn (not below perTick), adds one after a turn on time. */
  private adapt(lateMs: number): void {
    const { maxInFlight, perTick, lagBudgetMs } = this.pacing;
    if (lateMs > lagBudgetMs) this.cap = Math.max(Math.min(perTick, maxInFlight), Math.floor(this.cap / 2));
    else this.cap = Math.min(maxInFlight, this.cap + 1);
  }
}

class Slot implements PacedAttempt {
  running = false;
  private finished = false;

  constructor(private readonly pacer: ConnectPacer) {}

  done(): void {
    if (this.finished) return;
    this.finished = true;
    this.pacer.release(this);
  }

  cancel(): void {
    this.done();
  }
}
