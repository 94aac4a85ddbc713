import { describe, expect, it } from 'vitest';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import { pageReaderOf } from '../test/helpers/sqlite-reader.js';
import { printersSeen, recentJobs } from './print-history.js';

function rawDb(): SqliteDatabase {
  const db = openDatabase(':memory:');
  migrateRawSchema(db);
  db.prepare(
    `INSERT INTO printers_raw (printer_serial, printer_name, cert_fingerprint, first_seen_at, last_report_at)
     VALUES (?, ?, ?, ?, ?)`,
  ).run('01P00A', 'Workshop P1S', 'AB:CD:EF', '2026-11-01T08:00:00.000Z', '2026-11-27T11:59:18.000Z');
  return db;
}

describe('the recent jobs of the status page', async () => {
  it('shows nothing before the first run has created jobs_brz', async () => {
    const db = openDatabase(':memory:');
    expect(await recentJobs(pageReaderOf(db))).toEqual({ source: null, jobs: [] });
    db.close();
  });

  it('lists finished jobs newest first, naming the printer from printers_raw when jobs_brz has no name', async () => {
    const db = rawDb();
    db.exec(`CREATE TABLE jobs_brz (job_id TEXT, printer_serial TEXT, job_name TEXT, started_at TEXT,
               finished_at TEXT, duration_s INTEGER);
             INSERT INTO jobs_brz VALUES
               ('a', '01P00A', 'benchy', '2026-11-27T08:00:00.000Z', '2026-11-27T09:00:00.000Z', 3600),
               ('b', 'UNKNOWN', NULL, '2026-11-27T09:30:00.000Z', '2026-11-27T10:00:00.000Z', 1800);`);
    const { source, jobs } = await recentJobs(pageReaderOf(db), { limit: 5 });
    expect(source).toBe('jobs_brz');
    expect(jobs).toEqual([
      expect.objectContaining({
        jobId: 'b',
        name: null,
        printer: 'UNKNOWN',
        outcome: 'finished',
        durationS: 1800,
      }),
      expect.objectContaining({ jobId: 'a', printer: 'Workshop P1S', endedAt: '2026-11-27T09:00:00.000Z' }),
    ]);
    expect((await recentJobs(pageReaderOf(db), { limit: 1 })).jobs).toHaveLength(1);
    db.close();
  });

  it('takes the outcome from job_outcomes_brz, so failed and cancelled jobs appear too', async () => {
    const db = rawDb();
    db.exec(`CREATE TABLE jobs_brz (job_id TEXT, finished_at TEXT);
             CREATE TABLE job_outcomes_brz (job_id TEXT, printer_serial TEXT, printer_name TEXT, job_name TEXT,
               outcome TEXT, started_at TEXT, ended_at TEXT, duration_s INTEGER);
             INSERT INTO job_outcomes_brz VALUES
               ('ok', '01P00A', 'P1S as recorded', 'cube', 'finished', '2026-11-27T08:00:00.000Z', '2026-11-27T08:10:00.000Z', 600),
               ('bad', '01P00A', 'P1S as recorded', 'vase', 'cancelled', '2026-11-27T09:00:00.000Z', '2026-11-27T09:01:00.000Z', 60);`);
    const { source, jobs } = await recentJobs(pageReaderOf(db));
    expect(source).toBe('job_outcomes_brz');
    expect(jobs.map((job) => [job.name, job.outcome, job.printer])).toEqual([
      ['vase', 'cancelled', 'P1S as recorded'],
      ['cube', 'finished', 'P1S as recorded'],
    ]);
    db.close();
  });

  it('reads a jobs_brz of another shape with what it has', async () => {
    const db = openDatabase(':memory:');
    db.exec(`CREATE TABLE jobs_brz (job_id TEXT); INSERT INTO jobs_brz VALUES ('x'), ('y');`);
    expect((await recentJobs(pageReaderOf(db))).jobs).toEqual([
      {
        jobId: 'y',
        name: null,
        printer: null,
        printerSerial: null,
        startedAt: null,
        endedAt: null,
        durationS: null,
        outcome: 'finished',
      },
      {
        jobId: 'x',
        name: null,
        printer: null,
        printerSerial: null,
        startedAt: null,
        endedAt: null,
        durationS: null,
        outcome: 'finished',
      },
    ]);
    db.close();
  });
});

describe('the printers of the status page', async () => {
  it('lists each printer with the age of its last report and its job in progress, and no fingerprint', async () => {
    const db = rawDb();
    expect(await printersSeen(pageReaderOf(openDatabase(':memory:')))).toEqual([]);
    db.prepare(
      `INSERT INTO printers_raw (printer_serial, printer_name, first_seen_at, last_report_at)
       VALUES ('03X00B', 'Garage X1C', '2026-11-02T08:00:00.000Z', NULL)`,
    ).run();
    db.prepare(
      `INSERT INTO jobs_raw (job_key, printer_serial, printer_name, subtask_name, status, started_at, change_seq, updated_at)
       VALUES ('k1', '01P00A', 'Workshop P1S', 'gear', 'running', '2026-11-27T11:00:00.000Z', 1, '2026-11-27T11:00:00.000Z'),
              ('k0', '01P00A', 'Workshop P1S', 'old', 'finished', '2026-11-26T11:00:00.000Z', 0, '2026-11-26T12:00:00.000Z')`,
    ).run();
    const printers = await printersSeen(pageReaderOf(db), { now: new Date('2026-11-27T12:00:00.000Z') });
    expect(printers).toEqual([
      expect.objectContaining({
        name: 'Garage X1C',
        serial: '03X00B',
        lastReportAgeS: null,
        activeJob: null,
      }),
      expect.objectContaining({
        name: 'Workshop P1S',
        lastReportAt: '2026-11-27T11:59:18.000Z',
        lastReportAgeS: 42,
        activeJob: { name: 'gear', status: 'running' },
      }),
    ]);
    expect(JSON.stringify(printers)).not.toContain('AB:CD:EF');
    db.close();
  });
});
