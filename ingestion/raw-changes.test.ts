import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import { queryRowsOf } from '../test/helpers/sqlite-reader.js';
import { PrinterTracker } from './printer-tracker.js';
import { jobsEndedSince, latestChangeSeq } from './raw-changes.js';

let dir: string;
let db: SqliteDatabase;
afterEach(() => {
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the change sequence with two printers on one database', async () => {
  it('orders a job that started earlier but finished later after the other one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bambuzled-changes-'));
    db = openDatabase(join(dir, 'raw.db'));
    expect(await latestChangeSeq(queryRowsOf(db))).toBe(0);
    let clock = Date.parse('2025-05-01T10:00:00.000Z');
    const now = () => new Date(clock);
    const a = new PrinterTracker({ printer: { name: 'a', serial: 'AAA' }, db, now, checkIntervalS: 60 });
    const b = new PrinterTracker({ printer: { name: 'b', serial: 'BBB' }, db, now, checkIntervalS: 60 });
    const send = (tracker: PrinterTracker, serial: string, print: object) => {
      clock += 1000;
      tracker.handleMessage(`device/${serial}/report`, JSON.stringify({ print }));
    };
    send(a, 'AAA', { gcode_state: 'IDLE', msg: 0 });
    send(b, 'BBB', { gcode_state: 'IDLE', msg: 0 });
    send(a, 'AAA', { gcode_state: 'RUNNING', subtask_name: 'Long', msg: 1 });
    send(b, 'BBB', { gcode_state: 'RUNNING', subtask_name: 'Short', msg: 1 });
    send(b, 'BBB', { gcode_state: 'FINISH', msg: 1 });
    const cursor = await latestChangeSeq(queryRowsOf(db));
    expect((await jobsEndedSince(queryRowsOf(db), 0)).map((e) => [e.printerSerial, e.event])).toEqual([
      ['BBB', 'finished'],
    ]);
    send(a, 'AAA', { gcode_state: 'FINISH', msg: 1 });
    const ended = await jobsEndedSince(queryRowsOf(db), cursor);
    expect(ended.map((e) => [e.printerSerial, e.event, e.jobKey])).toEqual([
      ['AAA', 'finished', 'AAA:local:2025-05-01T10:00:03.000Z:Long'],
    ]);
    expect(await latestChangeSeq(queryRowsOf(db))).toBe(ended[0]!.seq);
    const seqs = db.prepare('SELECT change_seq FROM jobs_raw ORDER BY started_at').pluck().all();
    expect(seqs).toEqual([ended[0]!.seq, cursor]);
  });

  it('reads nothing, and does not fail, from a database without a raw layer', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bambuzled-changes-'));
    db = openDatabase(join(dir, 'empty.db'));
    expect(await latestChangeSeq(queryRowsOf(db))).toBe(0);
    expect(await jobsEndedSince(queryRowsOf(db), 0)).toEqual([]);
  });
});
