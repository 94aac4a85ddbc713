import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../lib/sqlite.js';
import { type TrackerHarness, trackerHarness } from './tracker-harness.js';

let h: TrackerHarness;
afterEach(() => h?.close());

describe('PrinterTracker with bad input', () => {
  it('counts bad input per kind, emits it, and logs each kind once with the printer name', () => {
    h = trackerHarness({ name: 'garage-p1s' });
    h.sendRaw('not json');
    h.sendRaw('{"print": ');
    h.sendRaw('[1,2]');
    h.sendRaw('{}', 'device/SOMEONE-ELSE/report');
    h.send({ gcode_state: { nested: true } });
    expect(h.tracker.status().badInput).toEqual({
      'invalid-json': 2,
      'not-an-object': 1,
      'unexpected-topic': 1,
      'wrong-type': 1,
    });
    expect(h.bad.map((b) => b.kind)).toEqual([
      'invalid-json',
      'invalid-json',
      'not-an-object',
      'unexpected-topic',
      'wrong-type',
    ]);
    const warnings = h.logger.lines.filter((line) => line.startsWith('warn'));
    expect(warnings).toHaveLength(4);
    expect(warnings.every((line) => line.includes('[garage-p1s]'))).toBe(true);
  });

  it('keeps recording jobs around bad messages, without a corrupted row', () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', msg: 0 }, '2025-05-01T10:00:00.000Z');
    h.send({ gcode_state: 'RUNNING', subtask_name: 'Box', mc_percent: 10, msg: 1 }, 1000);
    h.sendRaw(Buffer.from([0xff, 0xfe, 0x00, 0x7b]));
    h.send({ mc_percent: 'NaN', layer_num: [], total_layer_num: {}, msg: 1 }, 1000);
    h.send({ gcode_state: 'FINISH', mc_percent: 100, msg: 1 }, 1000);
    expect(h.jobs()).toHaveLength(1);
    expect(h.jobs()[0]).toMatchObject({
      subtask_name: 'Box',
      status: 'finished',
      progress_percent: 100,
      layer_num: null,
    });
  });

  it('records the transition and logs the listener that threw, instead of losing the report', () => {
    h = trackerHarness();
    h.tracker.on('transition', () => {
      throw new Error('listener bug');
    });
    h.send({ gcode_state: 'IDLE', msg: 0 });
    h.send({ gcode_state: 'RUNNING', subtask_name: 'X', msg: 1 }, 1000);
    h.send({ gcode_state: 'FINISH', msg: 1 }, 1000);
    // The write and the other listeners ran although one listener threw on each transition.
    expect(h.jobs()).toMatchObject([{ subtask_name: 'X', status: 'finished' }]);
    expect(h.transitions.length).toBeGreaterThanOrEqual(2);
    expect(h.ended).toHaveLength(1);
    // Caught at the emit, not by handleMessage's last-resort catch (which would count an internal error).
    expect(h.tracker.status()).toMatchObject({ badInput: {}, writeFailures: 0 });
    const thrown = h.logger.lines.filter((line) =>
      line.includes("a 'transition' listener threw: listener bug"),
    );
    expect(thrown.length).toBe(h.transitions.length);
    expect(thrown.every((line) => line.startsWith('error [test-printer]'))).toBe(true);
  });

  it('retries a transition whose write failed with the next report', () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', msg: 0 }, '2025-05-01T10:00:00.000Z');
    h.send({ gcode_state: 'RUNNING', subtask_name: 'Y', msg: 1 }, 1000);
    // Another connection holds the write lock past the busy timeout: the write fails.
    h.db.pragma('busy_timeout = 0');
    const blocker = openDatabase(h.dbPath);
    blocker.exec('BEGIN IMMEDIATE');
    h.send({ gcode_state: 'FINISH', msg: 1 }, 1000);
    expect(h.tracker.status().writeFailures).toBe(1);
    blocker.exec('ROLLBACK');
    blocker.close();
    h.send({ wifi_signal: '-50dBm', msg: 1 }, 1000);
    expect(h.jobs()[0]!.status).toBe('finished');
    expect(h.ended).toHaveLength(1);
  });
});

describe('PrinterTracker and secrets', () => {
  it('does not store a key that looks like an access code, even if a printer sent one', () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', msg: 0 }, '2025-05-01T10:00:00.000Z');
    h.send({ gcode_state: 'RUNNING', subtask_name: 'S', dev_access_code: 'zq81x7w3', msg: 1 }, 1000);
    h.send({ gcode_state: 'FINISH', msg: 1 }, 1000);
    h.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(h.dbPath).includes('zq81x7w3')).toBe(false);
    expect(JSON.stringify(h.jobs())).not.toContain('zq81x7w3');
  });

  it('records the printer and the time of its last report in printers_raw', () => {
    h = trackerHarness({ name: 'farm-7' });
    h.send({ gcode_state: 'IDLE', msg: 0 }, '2025-05-01T10:00:00.000Z');
    h.send({ wifi_signal: '-50dBm', msg: 1 }, 61_000);
    expect(h.db.prepare('SELECT * FROM printers_raw').all()).toEqual([
      {
        printer_serial: '01P00A000000000',
        printer_name: 'farm-7',
        cert_fingerprint: null,
        first_seen_at: '2025-05-01T10:00:00.000Z',
        last_report_at: '2025-05-01T10:01:01.000Z',
      },
    ]);
  });
});

describe('PrinterTracker when the database goes away', () => {
  it('keeps the report in memory, counts a write failure and logs it once when the connection is closed', () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', msg: 0 }, '2025-05-01T10:00:00.000Z');
    h.db.close();
    h.send({ gcode_state: 'RUNNING', subtask_name: 'Z', msg: 1 }, 1000);
    expect(h.tracker.status()).toMatchObject({
      writeFailures: 1,
      badInput: {},
      writes: { failing: true, failingSince: '2025-05-01T10:00:01.000Z', pending: 1, dropped: 0 },
    });
    expect(h.tracker.status().writes.lastError).toMatch(/not open/i);
    expect(h.pendingTimers()).toBe(1);
    const errors = h.logger.lines.filter((line) => line.startsWith('error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('could not write the raw layer');
    expect(errors[0]).toContain('keeping the reports in memory and retrying');
    expect(h.transitions).toHaveLength(0);
    h.db = openDatabase(h.dbPath); // for close() in afterEach
  });
});
