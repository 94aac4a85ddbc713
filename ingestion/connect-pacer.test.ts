import { describe, expect, it } from 'vitest';
import { ConnectPacer } from './connect-pacer.js';
import type { Timers } from './printer-connection.js';

/** Timers that run only when told: each turn() runs what was due at that moment. */
function manualTimers(): Timers & { turn(): void; pending(): number } {
  let queue: (() => void)[] = [];
  return {
    setTimeout: (callback) => {
      queue.push(callback);
      return callback;
    },
    clearTimeout: (handle) => {
      queue = queue.filter((callback) => callback !== handle);
    },
    turn: () => {
      const due = queue;
      queue = [];
      for (const callback of due) callback();
    },
    pending: () => queue.length,
  };
}

describe('the connect pacer', () => {
  it('starts attempts at once while slots are free, up to perTick in one turn, as a small farm always did', () => {
    const timers = manualTimers();
    const pacer = new ConnectPacer(timers, { maxInFlight: 4, perTick: 2, lagBudgetMs: 20 });
    const started: number[] = [];
    for (let i = 0; i < 2; i++) pacer.run(() => started.push(i));
    expect(started).toEqual([0, 1]);
    // The next turn: two more start at once.
    timers.turn();
    for (let i = 2; i < 4; i++) pacer.run(() => started.push(i));
    expect(started).toEqual([0, 1, 2, 3]);
  });

  it('keeps at most maxInFlight handshakes running and starts at most perTick per turn', () => {
    const timers = manualTimers();
    const pacer = new ConnectPacer(timers, { maxInFlight: 4, perTick: 2, lagBudgetMs: 20 });
    const started: number[] = [];
    // A farm added in one go: perTick start in this turn, the rest wait for theirs.
    const attempts = Array.from({ length: 10 }, (_, i) => pacer.run(() => started.push(i)));
    expect(started).toEqual([0, 1]);
    timers.turn();
    expect(started).toEqual([0, 1, 2, 3]);
    // Full: nothing more starts until a slot is freed.
    timers.turn();
    expect(started).toHaveLength(4);

    for (const attempt of attempts.slice(0, 4)) attempt.done();
    timers.turn();
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    timers.turn();
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    timers.turn();
    expect(started).toHaveLength(8);
    expect(pacer.waiting).toBe(2);
  });

  it('frees the slot of a cancelled attempt and drops a queued one', () => {
    const timers = manualTimers();
    const pacer = new ConnectPacer(timers, { maxInFlight: 1, perTick: 5, lagBudgetMs: 20 });
    const started: string[] = [];
    const first = pacer.run(() => started.push('first'));
    const second = pacer.run(() => started.push('second'));
    pacer.run(() => started.push('third'));
    second.cancel();
    first.cancel();
    first.done();
    timers.turn();
    expect(started).toEqual(['first', 'third']);
    expect(pacer.waiting).toBe(0);
  });

  it('lets fewer handshakes run while the event loop is late, and more again once it keeps time', () => {
    const timers = manualTimers();
    let clock = 0;
    const pacer = new ConnectPacer(timers, { maxInFlight: 16, perTick: 2, lagBudgetMs: 20 }, () => clock);
    let started = 0;
    const attempts = Array.from({ length: 100 }, () => pacer.run(() => started++));
    expect(started).toBe(2);
    // A turn 50 ms late halves the cap (16 → 8); two more start.
    clock += 50;
    timers.turn();
    expect([pacer.allowedInFlight, started]).toEqual([8, 4]);
    // Late again: 8 → 4, and the four in flight fill it.
    clock += 50;
    timers.turn();
    expect([pacer.allowedInFlight, started]).toEqual([4, 4]);
    // Two finish; the next turn is late too: the cap goes to perTick, never below, and nothing starts.
    for (const attempt of attempts.slice(0, 2)) attempt.done();
    clock += 50;
    timers.turn();
    expect([pacer.allowedInFlight, started]).toEqual([2, 4]);
    // The loop keeps time again: one more allowed per turn.
    for (const attempt of attempts.slice(2, 4)) attempt.done();
    timers.turn();
    expect([pacer.allowedInFlight, started]).toEqual([3, 6]);
    timers.turn();
    expect([pacer.allowedInFlight, started]).toEqual([4, 8]);
  });
});
