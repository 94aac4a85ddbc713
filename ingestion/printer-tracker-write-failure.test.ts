import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import { type TrackerHarness, trackerHarness } from './tracker-harness.js';

let h: TrackerHarness;
let blocker: SqliteDatabase | undefined;
afterEach(() => {
  blocker?.close();
  blocker = undefined;
  h?.close();
});

const START = '2025-05-01T10:00:00.000Z';
const delta = (print: Record<string, unknown>) => ({ command: 'push_status', msg: 1, ...print });

/** Sends one report while another connection holds the write lock: its write fails with SQLITE_BUSY. */
function sendWhileLocked(harness: TrackerHarness, print: unknown, advanceMs: number): void {
  harness.db.pragma('busy_timeout = 0');
  blocker = openDatabase(harness.dbPath);
  blocker.exec('BEGIN IMMEDIATE');
  const failuresBefore = harness.tracker.status().writeFailures;
  harness.send(print, advanceMs);
  expect(harness.tracker.status().writeFailures).toBe(failuresBefore + 1);
  blocker.exec('ROLLBACK');
  blocker.close();
  blocker = undefined;
}

describe('PrinterTracker after a failed write', () => {
  it('runs the sync with the next report when the sync report could not be written', () => {
    h = trackerHarness();
    const full = {
      command: 'push_status',
      msg: 0,
      gcode_state: 'RUNNING',
      subtask_name: 'A',
      gcode_file: 'a.gcode',
      job_id: '0',
      subtask_id: '0',
      task_id: '0',
      mc_percent: 50,
      layer_num: 10,
      total_layer_num: 100,
    };
    h.send(full, START);
    h.restart(); // the next report is a state sync
    sendWhileLocked(h, { ...full, mc_percent: 60 }, 60_000);
    // Delta firmware: no gcode_state until the next state change, hours later.
    for (let i = 0; i < 3; i++) h.send(delta({ mc_percent: 70 + i }), 60_000);
    h.send(delta({ gcode_state: 'FINISH', mc_percent: 100 }), 60_000);
    expect(h.jobs().map((j) => [j.subtask_name, j.status, j.progress_percent])).toEqual([
      ['A', 'finished', 100],
    ]);
    expect(h.events().map((e) => e.event)).toEqual(['started', 'reattached', 'finished']);
    // The refused sync report is replayed first, with the time it arrived.
    expect(h.events()[1]!.at).toBe('2025-05-01T10:01:00.000Z');
  });

  it('records a cancel as cancelled when the report with FAILED and the cancel code could not be written', () => {
    h = trackerHarness();
    h.send(
      {
        command: 'push_status',
        msg: 0,
        gcode_state: 'RUNNING',
        subtask_name: 'A',
        gcode_file: 'a.gcode',
        mc_percent: 50,
        print_error: 0,
      },
      START,
    );
    sendWhileLocked(h, delta({ gcode_state: 'FAILED', print_error: 50348044 }), 1000);
    h.send(delta({ wifi_signal: '-40dBm' }), 1000);
    h.send(delta({ print_error: 0 }), 1000);
    expect(h.jobs().map((j) => [j.status, j.print_error, j.ended_at])).toEqual([
      ['cancelled', 50348044, '2025-05-01T10:00:01.000Z'],
    ]);
    expect(h.events().map((e) => e.event)).toEqual(['started', 'cancelled']);
  });

  it('writes a refused FINISH on the retry timer, with no later report, at the time it arrived', () => {
    h = trackerHarness();
    h.send({ msg: 0, gcode_state: 'RUNNING', subtask_name: 'A' }, START);
    sendWhileLocked(h, delta({ gcode_state: 'FINISH' }), 1000);
    expect(h.tracker.status().writes).toMatchObject({ failing: true, pending: 1, dropped: 0 });
    expect(h.pendingTimers()).toBe(1);
    h.at(30_000);
    h.fireTimers();
    expect(h.jobs().map((j) => [j.status, j.ended_at])).toEqual([['finished', '2025-05-01T10:00:01.000Z']]);
    expect(h.tracker.status().writes).toMatchObject({ failing: false, pending: 0, lastError: null });
    expect(h.pendingTimers()).toBe(0);
  });

  it('keeps the order of waiting reports: each is written with its own time', () => {
    h = trackerHarness();
    h.send({ msg: 0, gcode_state: 'RUNNING', subtask_name: 'A' }, START);
    h.db.pragma('busy_timeout = 0');
    blocker = openDatabase(h.dbPath);
    blocker.exec('BEGIN IMMEDIATE');
    h.send(delta({ gcode_state: 'PAUSE' }), 1000);
    h.send(delta({ gcode_state: 'RUNNING' }), 1000);
    h.send(delta({ gcode_state: 'FINISH' }), 1000);
    expect(h.tracker.status().writes.pending).toBe(3);
    blocker.exec('ROLLBACK');
    h.fireTimers();
    expect(h.events().map((e) => [e.event, e.at])).toEqual([
      ['started', '2025-05-01T10:00:00.000Z'],
      ['paused', '2025-05-01T10:00:01.000Z'],
      ['resumed', '2025-05-01T10:00:02.000Z'],
      ['finished', '2025-05-01T10:00:03.000Z'],
    ]);
  });

  it('folds reports past the bound into the newest kept one and counts them as dropped', () => {
    h = trackerHarness({ maxPendingReports: 3, checkIntervalS: 0 });
    h.send({ msg: 0, gcode_state: 'RUNNING', subtask_name: 'A' }, START);
    h.db.pragma('busy_timeout = 0');
    blocker = openDatabase(h.dbPath);
    blocker.exec('BEGIN IMMEDIATE');
    for (let i = 1; i <= 5; i++) h.send(delta({ mc_percent: i * 10 }), 1000);
    h.send(delta({ gcode_state: 'FINISH', mc_percent: 100 }), 1000);
    expect(h.tracker.status().writes).toMatchObject({ pending: 3, dropped: 3 });
    blocker.exec('ROLLBACK');
    h.fireTimers();
    // Nothing the folded reports said is lost: the FINISH is there, at the time of the report it joined.
    expect(h.jobs().map((j) => [j.status, j.progress_percent, j.ended_at])).toEqual([
      ['finished', 100, '2025-05-01T10:00:03.000Z'],
    ]);
  });

  it('still retries a plain transition once the lock is gone', () => {
    h = trackerHarness();
    h.send({ msg: 0, gcode_state: 'RUNNING', subtask_name: 'A' }, START);
    sendWhileLocked(h, delta({ gcode_state: 'FINISH' }), 1000);
    sendWhileLocked(h, delta({ mc_percent: 100 }), 1000);
    h.send(delta({ wifi_signal: '-40dBm' }), 1000);
    // The FINISH keeps the time it arrived, not the time it could be written.
    expect(h.jobs().map((j) => [j.status, j.ended_at])).toEqual([['finished', '2025-05-01T10:00:01.000Z']]);
    expect(h.ended.map((e) => e.event)).toEqual(['finished']);
  });
});
