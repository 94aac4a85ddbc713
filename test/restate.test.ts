import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { namedMember } from '../ingestion/archive-format.js';
import { archiveFiles } from '../ingestion/archive-reader.js';
import { ReportArchive } from '../ingestion/report-archive.js';
import { restateRawLayer } from '../ingestion/restate.js';
import { recordingLogger } from '../lib/logger.js';
import type { SqliteDatabase } from '../lib/sqlite.js';
import { LIVE_SESSION_CODES as CODES, recordLiveSession } from './helpers/live-session.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});
const liveSession = () => recordLiveSession(cleanup);

/**
 * The rows a replay must reproduce: every column of jobs_raw but the row id and the change sequence,
 * which the fresh layer numbers anew (above the old ones).
 */
function jobRows(db: SqliteDatabase) {
  return (db.prepare('SELECT * FROM jobs_raw ORDER BY job_key').all() as Record<string, unknown>[]).map(
    ({ id: _id, change_seq: _seq, ...row }) => row,
  );
}

function eventRows(db: SqliteDatabase) {
  return (
    db.prepare('SELECT * FROM job_events_raw ORDER BY job_key, at, seq').all() as Record<string, unknown>[]
  ).map(({ seq: _seq, ...row }) => row);
}

describe('bambuzled restate, from the archive of a real listener session', () => {
  it('gives the same jobs_raw rows and events the listener wrote live', async () => {
    const { db, dbPath, archiveDir } = await liveSession();
    const live = jobRows(db);
    const liveEvents = eventRows(db);
    expect(live).toHaveLength(4);
    // The session restarted the listener mid-job: the replay has to re-attach as the live one did.
    expect(liveEvents.map((e) => (e as { event: string }).event)).toContain('reattached');
    const maxSeqBefore = db.prepare('SELECT MAX(seq) FROM job_events_raw').pluck().get() as number;

    const result = restateRawLayer({ db, dbPath, archiveDir, reason: 'test: replay a live session' });

    expect(jobRows(db)).toEqual(live);
    expect(eventRows(db)).toEqual(liveEvents);
    expect(result).toMatchObject({ skipped: 0, jobsReplaced: 4, jobsWritten: 4 });
    // New change sequences continue above the old ones, so the sensor sees the restated jobs; the
    // filament records (from the job's .3mf, not from reports) are kept as they were.
    expect(
      db.prepare(`SELECT MIN(seq) FROM job_events_raw WHERE event <> 'filament_recorded'`).pluck().get(),
    ).toBeGreaterThan(maxSeqBefore);
    expect(db.prepare('SELECT reason, printers, reports FROM raw_restatements').all()).toEqual([
      {
        reason: 'test: replay a live session',
        printers: '00M00A000000072,01P00A000000071',
        reports: result.reports,
      },
    ]);
  });

  it('repairs a damaged jobs_raw and keeps every table that is not raw', async () => {
    const { db, dbPath, archiveDir } = await liveSession();
    const live = jobRows(db);
    db.exec(`CREATE TABLE jobs_slv (job_id TEXT); INSERT INTO jobs_slv VALUES ('kept')`);
    // A buggy state machine (or a hand) got one job wrong and lost another.
    db.exec(
      `UPDATE jobs_raw SET status = 'failed', ended_at = '2000-01-01T00:00:00.000Z' WHERE status = 'finished'`,
    );
    db.exec(`DELETE FROM jobs_raw WHERE status = 'cancelled'`);

    restateRawLayer({ db, dbPath, archiveDir, reason: 'repair' });

    expect(jobRows(db)).toEqual(live);
    expect(db.prepare('SELECT job_id FROM jobs_slv').pluck().all()).toEqual(['kept']);
  });

  it('replays only the printer asked for, and leaves the other one alone', async () => {
    const { db, dbPath, archiveDir } = await liveSession();
    db.exec(`UPDATE jobs_raw SET subtask_name = 'hand edit' WHERE printer_serial = '00M00A000000072'`);
    db.exec(`UPDATE jobs_raw SET subtask_name = 'hand edit' WHERE printer_serial = '01P00A000000071'`);

    restateRawLayer({ db, dbPath, archiveDir, printers: ['01P00A000000071'], reason: 'one printer' });

    const names = db.prepare('SELECT printer_serial, subtask_name FROM jobs_raw ORDER BY id').all() as {
      printer_serial: string;
      subtask_name: string;
    }[];
    const edited = names.filter((r) => r.printer_serial === '00M00A000000072');
    expect(edited.length).toBeGreaterThan(0); // else every() holds of nothing
    expect(edited.every((r) => r.subtask_name === 'hand edit')).toBe(true);
    expect(
      names.filter((r) => r.printer_serial === '01P00A000000071').some((r) => r.subtask_name === 'hand edit'),
    ).toBe(false);
  });

  it('with --since, replaces only the jobs that started from then on', async () => {
    const { db, dbPath, archiveDir } = await liveSession();
    const live = jobRows(db) as { started_at: string; subtask_name: string }[];
    const starts = live.map((r) => r.started_at).sort();
    const since = new Date(starts[2]!);
    db.exec(`UPDATE jobs_raw SET subtask_name = 'hand edit'`);

    restateRawLayer({ db, dbPath, archiveDir, since, reason: 'recent jobs only' });

    const after = jobRows(db) as { started_at: string; subtask_name: string }[];
    for (const row of after) {
      const original = live.find((r) => r.started_at === row.started_at)!;
      expect(row.subtask_name).toBe(row.started_at < starts[2]! ? 'hand edit' : original.subtask_name);
    }
    expect(after).toHaveLength(4);
    expect(db.prepare('SELECT since FROM raw_restatements').pluck().get()).toBe(since.toISOString());
  });

  it('skips a damaged archive block, says which, and goes on', async () => {
    const { db, dbPath, archiveDir } = await liveSession();
    const file = archiveFiles(archiveDir, ['01P00A000000071'])[0]!.path;
    // A torn block in the middle (garbage after a valid header) and a line that is not a record at the end.
    const bytes = readFileSync(file);
    const header = bytes.subarray(0, 28);
    appendFileSync(file, Buffer.concat([header, Buffer.from('not deflate data at all')]));
    const lineAt = readFileSync(file).length;
    appendFileSync(file, namedMember(gzipSync('["2025-05-01T10:00:00.000Z", 12]\n')));
    const messages: string[] = [];

    const result = restateRawLayer({
      db,
      dbPath,
      archiveDir,
      reason: 'damaged',
      onDamage: (m) => messages.push(m),
    });

    expect(result.skipped).toBe(2);
    expect(messages).toHaveLength(2);
    expect(messages[1]).toBe(
      `Skipped ${file}, block at byte ${lineAt}, line 1: not an archive record ([time, topic, payload]).`,
    );
    expect(messages[0]).toMatch(
      new RegExp(`^Skipped ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, block at byte ${bytes.length}: `),
    );
    expect(db.prepare('SELECT COUNT(*) FROM jobs_raw').pluck().get()).toBe(4);
  });

  it('never archives an access code, and the archive is plain gzip that zcat reads', async () => {
    const { archiveDir } = await liveSession();
    const files = archiveFiles(archiveDir);
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const { path } of files) {
      const text = gunzipSync(readFileSync(path)).toString('utf8');
      for (const code of CODES) expect(text).not.toContain(code);
      expect(text.split('\n')[0]).toMatch(/^\["\d{4}-\d\d-\d\dT[\d:.]+Z","#start",/);
    }
  });
});

describe('the report archive on its own', () => {
  it('writes a report that carried an access code with the code masked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bambuzled-archive-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const archive = new ReportArchive({ dir, retentionDays: 0, secrets: new Map([['S1', 'abcd1234']]) });
    archive.recordReport(
      'S1',
      new Date('2025-05-01T10:00:00.000Z'),
      'device/S1/report',
      '{"print":{"x":"abcd1234"}}',
    );
    await archive.close();
    const text = gunzipSync(readFileSync(join(dir, 'S1', '2025-05-01.jsonl.gz'))).toString('utf8');
    expect(text).toBe(
      '["2025-05-01T10:00:00.000Z","device/S1/report","{\\"print\\":{\\"x\\":\\"********\\"}}"]\n',
    );
  });

  it('never throws when it cannot write: logs once, counts, keeps what fits and drops the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bambuzled-archive-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const blocked = join(dir, 'not-a-folder');
    writeFileSync(blocked, 'a file where the archive folder should be');
    const logger = recordingLogger();
    const archive = new ReportArchive({ dir: blocked, retentionDays: 0, maxPendingBytes: 500, logger });
    const payload = JSON.stringify({ print: { mc_percent: 1, padding: 'x'.repeat(40) } });
    for (let i = 0; i < 3; i++)
      archive.recordReport('S1', new Date(Date.UTC(2026, 0, 1, 0, 0, i)), 't', payload);
    await archive.flush();
    expect(archive.stats()).toMatchObject({
      records: 3,
      writeErrors: 1,
      waitingRecords: 3,
      droppedRecords: 0,
    });
    for (let i = 3; i < 6; i++)
      archive.recordReport('S1', new Date(Date.UTC(2026, 0, 1, 0, 0, i)), 't', payload);
    await archive.close();
    // The second failed append would have kept more than 500 bytes waiting: that batch is given up, counted.
    expect(archive.stats()).toMatchObject({ writeErrors: 2, droppedRecords: 6, waitingRecords: 0 });
    expect(archive.stats().lastError).toMatch(/ENOTDIR|EEXIST/);
    expect(logger.lines.filter((line) => line.includes('report archive: cannot write'))).toHaveLength(1);
  });

  it('deletes day files older than the retention', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bambuzled-archive-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const archive = new ReportArchive({ dir, retentionDays: 7, now: () => new Date('2025-05-20T12:00:00Z') });
    archive.recordSync('S1', new Date('2025-05-01T10:00:00.000Z'));
    archive.recordSync('S1', new Date('2025-05-19T10:00:00.000Z'));
    await archive.flush();
    writeFileSync(join(dir, 'S1', 'notes.txt'), 'kept: not a day file');
    const archive2 = new ReportArchive({
      dir,
      retentionDays: 7,
      now: () => new Date('2025-05-20T12:00:00Z'),
    });
    archive2.recordSync('S1', new Date('2025-05-20T10:00:00.000Z'));
    await archive2.close();
    expect(archiveFiles(dir).map((f) => f.day)).toEqual(['2025-05-19', '2025-05-20']);
  });
});
