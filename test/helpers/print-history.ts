/**
 * A print history for tests of the whole project: the recorded-payload jobs of three printers (four
 * finished, one failed, one cancelled, one lost, one running), then steps that grow it as a farm
 * does between sensor runs: new jobs (also on days already aggregated), an open job that ends, a lost
 * job re-attached that finishes on another filament, a restated job that moves to another day, and
 * filament figures that arrive a run after their job ended. Written into a SQLite raw layer the way
 * the listener writes it (raw-rows.ts for jobs, the real RawWriter for filament).
 */
import { RawWriter } from '../../ingestion/raw-writer.js';
import type { SqliteDatabase } from '../../lib/sqlite.js';
import {
  lifecycleReports,
  mergeReports,
  type RawJobRow,
  rawJobFromReport,
  readPrintReport,
  writeRawJob,
  writeRawPrinter,
} from './raw-rows.js';

export const X1C = { serial: 'MOCK-X1CMULTIAMS', name: 'Workshop X1C' };
export const P1S = { serial: '01P00A000000000', name: 'Garage P1S' };
export const P1P = { serial: '01S00C000000000', name: 'Attic P1P' };

/** The raw jobs every test starts from: four finished, one failed, one cancelled, one lost, one running. */
export function fixtureJobs(): RawJobRow[] {
  return [
    rawJobFromReport(readPrintReport('x1c_pushall_finish_cloud_job.json'), {
      printerSerial: X1C.serial,
      printerName: X1C.name,
      status: 'finished',
      startedAt: '2026-03-02T08:00:00.000Z',
      endedAt: '2026-03-02T10:31:12.345Z',
      activeTray: 4, // AMS 1, tray 0: ABS D32941FF
    }),
    rawJobFromReport(readPrintReport('p1s_pushall_finish_from_rdiger36_readme.json'), {
      printerSerial: P1S.serial,
      printerName: P1S.name,
      status: 'finished',
      startedAt: '2026-03-01T21:15:00.250Z',
      endedAt: '2026-03-02T01:02:03.004Z',
      activeTray: 2, // AMS 0, tray 2: PLA C12E1FFF
    }),
    rawJobFromReport(mergeReports(lifecycleReports()), {
      printerSerial: P1S.serial,
      printerName: P1S.name,
      status: 'finished',
      startedAt: '2026-03-03T10:05:06.000Z',
      endedAt: '2026-03-03T10:49:05.000Z',
    }),
    rawJobFromReport(readPrintReport('p1p_noams_pushall_finish_cloud.json'), {
      printerSerial: P1P.serial,
      printerName: P1P.name,
      status: 'finished',
      startedAt: '2026-03-02T12:00:00.000Z',
      endedAt: '2026-03-02T14:00:00.000Z',
    }),
    rawJobFromReport(readPrintReport('p1p_pushall_failed_lan.json'), {
      printerSerial: P1P.serial,
      printerName: P1P.name,
      status: 'failed',
      startedAt: '2026-03-02T15:00:00.000Z',
      endedAt: '2026-03-02T15:20:00.000Z',
    }),
    rawJobFromReport(mergeReports(lifecycleReports({ until: '2025-05-01T10:30:00Z', withCancel: true })), {
      printerSerial: P1S.serial,
      printerName: P1S.name,
      status: 'cancelled',
      startedAt: '2026-03-03T12:00:00.000Z',
      endedAt: '2026-03-03T12:25:00.000Z',
    }),
    rawJobFromReport(readPrintReport('h2s_pushall_running_cloud_print.json'), {
      printerSerial: X1C.serial,
      printerName: X1C.name,
      status: 'ended_while_disconnected',
      startedAt: '2026-03-04T09:00:00.000Z',
      endedAt: '2026-03-04T11:00:00.000Z',
      jobKey: 'lost-job',
    }),
    rawJobFromReport(readPrintReport('p2s_pushall_running_lan_print.json'), {
      printerSerial: P1P.serial,
      printerName: P1P.name,
      status: 'running',
      startedAt: '2026-03-05T09:00:00.000Z',
      jobKey: 'still-running',
    }),
  ];
}

/** The fixture's printers and jobs, with the .3mf figures of two jobs and the AMS figures of one. */
export function writeFixtureHistory(db: SqliteDatabase): void {
  for (const printer of [X1C, P1S, P1P]) {
    writeRawPrinter(db, { ...printer, firstSeenAt: '2026-03-01T00:00:00.000Z' });
  }
  const jobs = fixtureJobs();
  for (const job of jobs) writeRawJob(db, job);
  const [x1c, , , , , cancelled] = jobs as RawJobRow[];
  recordPlate(db, x1c as RawJobRow, [21.83, 9.42]);
  recordPlate(db, cancelled as RawJobRow, [40]);
  recordAms(db, (jobs[3] as RawJobRow).job_key, P1P.serial, 12.5);
}

/** The .3mf of a job: one slot per weight, PLA then PETG, as the listener records a fetched file. */
export function recordPlate(db: SqliteDatabase, job: RawJobRow, grams: number[]): void {
  new RawWriter(db).recordFilament({
    jobKey: job.job_key,
    printerSerial: job.printer_serial,
    status: 'fetched',
    reason: null,
    remotePath: '/cache/plate.gcode.3mf',
    plateIndex: 1,
    predictionS: 5400,
    plateWeightG: grams.reduce((a, b) => a + b, 0),
    attempts: 1,
    at: job.ended_at ?? job.updated_at,
    filaments: grams.map((g, i) => ({
      source: '3mf' as const,
      slot: i + 1,
      amsTray: i,
      trayMatch: 'ams_mapping' as const,
      filamentType: i === 0 ? 'PLA' : 'PETG',
      filamentColor: i === 0 ? '00AE42FF' : '1A1A1AFF',
      trayInfoIdx: 'GFA00',
      usedG: g,
      usedM: Math.round(g * 33.5) / 100,
    })),
  });
}

/** What an RFID spool lost over a job (ams_remain), with no file record. */
export function recordAms(db: SqliteDatabase, jobKey: string, serial: string, grams: number): void {
  new RawWriter(db).recordFilament({
    jobKey,
    printerSerial: serial,
    status: null,
    reason: null,
    remotePath: null,
    plateIndex: null,
    predictionS: null,
    plateWeightG: null,
    attempts: 0,
    at: '2026-03-06T00:00:00.000Z',
    filaments: [
      {
        source: 'ams_remain',
        slot: 2,
        amsTray: 2,
        trayMatch: null,
        filamentType: 'PLA',
        filamentColor: 'C12E1FFF',
        trayInfoIdx: null,
        usedG: grams,
        usedM: grams / 3,
      },
    ],
  });
}

/**
 * A restatement of one job's raw row (what `bambuzled restate` writes when the archive says otherwise):
 * new values and a new change sequence, the job's status unchanged.
 */
export function restateRawJob(db: SqliteDatabase, jobKey: string, changes: Partial<RawJobRow>): void {
  db.transaction(() => {
    const row = db.prepare('SELECT printer_serial, status FROM jobs_raw WHERE job_key = ?').get(jobKey) as {
      printer_serial: string;
      status: string;
    };
    const seq = Number(
      db
        .prepare(
          `INSERT INTO job_events_raw (job_key, printer_serial, event, from_status, to_status, at)
           VALUES (?, ?, 'restated', ?, ?, ?)`,
        )
        .run(jobKey, row.printer_serial, row.status, row.status, '2026-03-20T00:00:00.000Z').lastInsertRowid,
    );
    const columns = Object.keys(changes);
    db.prepare(
      `UPDATE jobs_raw SET ${columns.map((c) => `${c} = @${c}`).join(', ')}, change_seq = @seq WHERE job_key = @key`,
    ).run({ ...changes, seq, key: jobKey });
  })();
}

const GROWN_PRINTERS = [X1C, P1S, P1P];

/** A new job cloned from a recorded payload: `slot` hours after the start of day `day` (2026-03-DD). */
function grownJob(index: number, day: number, slot: number, status: RawJobRow['status']): RawJobRow {
  const printer = GROWN_PRINTERS[index % GROWN_PRINTERS.length] as (typeof GROWN_PRINTERS)[number];
  const pad = (n: number) => String(n).padStart(2, '0');
  const start = `2026-03-${pad(day)}T${pad(slot)}:00:00.000Z`;
  const end = `2026-03-${pad(day)}T${pad(slot)}:${pad(10 + (index % 40))}:30.500Z`;
  return rawJobFromReport(readPrintReport('x1c_pushall_finish_cloud_job.json'), {
    printerSerial: printer.serial,
    printerName: printer.name,
    status,
    startedAt: start,
    endedAt: end,
    jobKey: `grown-${index}`,
    activeTray: index % 2 === 0 ? 4 : 2,
  });
}

const STATUSES: RawJobRow['status'][] = ['finished', 'finished', 'failed', 'cancelled', 'finished'];

/**
 * Step `n` (1-based) of the growth: each step adds jobs and changes some seen before. Jobs of one
 * printer never overlap (2 h slots from 16:00 on their day; the fixture's jobs end earlier).
 */
export function growHistory(db: SqliteDatabase, n: number): void {
  for (let i = 0; i < 6; i += 1) {
    const index = n * 10 + i;
    // Step 1 adds to days the first run aggregated already; later steps to new days.
    const day = n === 1 ? 2 + (i % 2) : 5 + 3 * n + (i % 3);
    const job = grownJob(
      index,
      day,
      16 + 2 * Math.floor(i / 3),
      STATUSES[index % STATUSES.length] ?? 'finished',
    );
    writeRawJob(db, job);
    if (i % 2 === 0) recordPlate(db, job, [10 + i, 2.5]);
  }
  if (n === 1) {
    // The open job ends; its file arrives with it.
    const running = fixtureJobs().find((job) => job.job_key === 'still-running') as RawJobRow;
    const ended = { ...running, status: 'finished' as const, ended_at: '2026-03-05T10:00:00.000Z' };
    writeRawJob(db, ended);
  }
  if (n === 2) {
    // The lost job was re-attached and finished, on another filament: it leaves its filament groups.
    const lost = fixtureJobs().find((job) => job.job_key === 'lost-job') as RawJobRow;
    writeRawJob(db, { ...lost, status: 'running', ended_at: null });
    writeRawJob(db, {
      ...lost,
      status: 'finished',
      ended_at: '2026-03-04T11:30:00.000Z',
      filament_type: 'PETG-CF',
      filament_color: '222222FF',
    });
    // The file of a job that ended a run ago arrives now.
    recordAms(db, 'grown-11', P1P.serial, 7.25);
  }
  if (n === 3) {
    // A restatement moves a job of step 1 to another day and week (and a slot that is free there).
    restateRawJob(db, 'grown-10', {
      started_at: '2026-02-20T08:00:00.000Z',
      ended_at: '2026-02-20T09:15:00.000Z',
    });
  }
}
