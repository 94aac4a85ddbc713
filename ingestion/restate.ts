import { rmSync } from 'node:fs';
import { openDatabase, type SqliteDatabase } from '../lib/index.js';
import { type ArchiveDamage, type ArchiveRecord, describeDamage } from './archive-format.js';
import { archiveFiles, printerRecords } from './archive-reader.js';
import { DEFAULT_CHECK_INTERVAL_S } from './config-fields.js';
import type { JobEvent } from './job-record.js';
import { PrinterTracker } from './printer-tracker.js';
import { migrateRawSchema } from './raw-schema.js';

export interface RestateOptions {
  /** The database whose raw layer is rebuilt; its other tables are left alone. */
  db: SqliteDatabase;
  /** Its path: the fresh raw layer is built in a temporary file beside it. */
  dbPath: string;
  archiveDir: string;
  /** Only these printers (serials); all archived printers when empty. */
  printers?: readonly string[];
  /** Replace only the jobs that started from then on; older rows stay as they are. */
  since?: Date;
  reason: string;
  now?: () => Date;
  /** Each damaged archive block or line, as a sentence saying where. */
  onDamage?: (message: string) => void;
}

export interface RestateResult {
  printers: string[];
  reports: number;
  skipped: number;
  jobsReplaced: number;
  jobsWritten: number;
}

/** Restate cannot run: nothing archived, or the archive does not cover what was asked. */
export class RestateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestateError';
  }
}

/**
 * Rebuilds the raw layer from the report archive: every archived report of each printer goes, in
 * arrival order and with its arrival time as the clock, through the current state machine into a
 * fresh raw layer in a temporary file; then, in one transaction, the replayed printers' jobs (those
 * started since `since`, or since the archive's first report) and their events replace the ones in
 * the database. Rows older than the archive, other printers and every non-raw table stay as they are.
 * New change sequences continue above the old ones, so the sensor sees the restated jobs as changes.
 */
export function restateRawLayer(options: RestateOptions): RestateResult {
  const { db } = options;
  const now = options.now ?? (() => new Date());
  migrateRawSchema(db);
  const files = archiveFiles(options.archiveDir, options.printers);
  const serials = [...new Set(files.map((file) => file.serial))];
  const missing = (options.printers ?? []).filter((serial) => !serials.includes(serial));
  if (missing.length > 0 || serials.length === 0) {
    const what = missing.length > 0 ? `for the printer(s) ${missing.join(', ')} ` : '';
    throw new RestateError(
      `No archived reports ${what}in ${options.archiveDir}. The listener archives every report it receives ` +
        'from now on; restate needs that archive (pass --archive if it lives elsewhere).',
    );
  }

  const tempPath = `${options.dbPath}.restate-${process.pid}.tmp`;
  removeDatabaseFiles(tempPath);
  let fresh: SqliteDatabase;
  try {
    fresh = openDatabase(tempPath);
  } catch (error) {
    throw freshLayerError(tempPath, error);
  }
  let skipped = 0;
  let reports = 0;
  const windows = new Map<string, string>();
  try {
    const damage = (problem: ArchiveDamage) => {
      skipped++;
      options.onDamage?.(`Skipped ${describeDamage(problem)}.`);
    };
    try {
      // A scratch file: durability would only slow the replay down.
      fresh.pragma('synchronous = OFF');
      migrateRawSchema(fresh);
      seedFresh(db, fresh);
      for (const serial of serials) {
        const replay = replayPrinter(
          fresh,
          serial,
          printerRecords(
            files.filter((file) => file.serial === serial),
            damage,
          ),
          db,
        );
        reports += replay.reports;
        if (replay.firstAt === null) continue;
        const since = options.since && options.since > replay.firstAt ? options.since : replay.firstAt;
        windows.set(serial, since.toISOString());
      }
    } catch (error) {
      if (error instanceof RestateError || !(error instanceof Error) || error.name !== 'SqliteError')
        throw error;
      throw freshLayerError(tempPath, error);
    }
    fresh.close();
    // The record of the restatement is written in the swap's transaction: both happen, or neither.
    const swapped = swapIn(db, tempPath, windows, ({ jobsReplaced, jobsWritten }) => {
      db.prepare(
        `INSERT INTO raw_restatements (restated_at, reason, printers, since, reports, skipped, jobs_replaced, jobs_written)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        now().toISOString(),
        options.reason,
        serials.join(','),
        options.since?.toISOString() ?? null,
        reports,
        skipped,
        jobsReplaced,
        jobsWritten,
      );
    });
    const result: RestateResult = { printers: serials, reports, skipped, ...swapped };
    return result;
  } finally {
    if (fresh.open) fresh.close();
    removeDatabaseFiles(tempPath);
  }
}

/** The fresh layer could not be made (a full disk, most often): nothing was changed yet. */
function freshLayerError(tempPath: string, error: unknown): RestateError {
  // SQLite's own words (a DatabaseOpenError's message is already a whole sentence of advice).
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new RestateError(
    `Could not write the fresh raw layer: ${reason}. It is built beside the database (${tempPath}) and needs about ` +
      'as much room as the raw tables; nothing was changed. Free some space and run restate again.',
  );
}

/** The fresh layer starts with the printers (names, trusted certificates) and the old change sequence. */
function seedFresh(db: SqliteDatabase, fresh: SqliteDatabase): void {
  const printers = db.prepare('SELECT * FROM printers_raw').all() as Record<string, unknown>[];
  const insert = fresh.prepare(
    `INSERT INTO printers_raw (printer_serial, printer_name, cert_fingerprint, first_seen_at, last_report_at)
     VALUES (@printer_serial, @printer_name, @cert_fingerprint, @first_seen_at, @last_report_at)`,
  );
  for (const printer of printers) insert.run(printer);
  const maxSeq = db.prepare('SELECT COALESCE(MAX(seq), 0) FROM job_events_raw').pluck().get() as number;
  const known = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'job_events_raw'`).pluck().get();
  fresh
    .prepare(`INSERT INTO sqlite_sequence (name, seq) VALUES ('job_events_raw', ?)`)
    .run(Math.max(maxSeq, Number(known ?? 0)));
}

/**
 * Replays one printer. Jobs of the database that started before the archive's first report are
 * copied in first (the open ones as open), so that the state machine finds the job it would have
 * found live; only rows from the archive's window are taken back.
 */
function replayPrinter(
  fresh: SqliteDatabase,
  serial: string,
  records: Iterable<ArchiveRecord>,
  db: SqliteDatabase,
): { reports: number; firstAt: Date | null } {
  let clock = new Date(0);
  let tracker: PrinterTracker | undefined;
  let reports = 0;
  let firstAt: Date | null = null;
  const start = (name: string, checkIntervalS: number) => {
    tracker?.close();
    tracker = new PrinterTracker({
      printer: { name, serial },
      db: fresh,
      now: () => clock,
      checkIntervalS,
      // A scratch file refuses nothing; a failure here is a real error, not something to retry.
      timers: null,
    });
  };
  const nameOf = () =>
    (db.prepare('SELECT printer_name FROM printers_raw WHERE printer_serial = ?').pluck().get(serial) as
      | string
      | undefined) ?? serial;
  for (const record of records) {
    clock = record.at;
    if (firstAt === null) {
      firstAt = record.at;
      seedOlderJobs(db, fresh, serial, firstAt.toISOString());
    }
    if (record.kind === 'start') {
      start(record.settings?.name ?? nameOf(), record.settings?.checkIntervalS ?? DEFAULT_CHECK_INTERVAL_S);
      continue;
    }
    if (!tracker) start(nameOf(), DEFAULT_CHECK_INTERVAL_S);
    if (record.kind === 'sync') {
      tracker!.connected();
      continue;
    }
    reports++;
    tracker!.handleMessage(record.topic, record.payload, record.at);
    const { writes } = tracker!.status();
    if (writes.pending > 0) {
      throw freshLayerError(fresh.name, new Error(writes.lastError ?? 'the write failed'));
    }
  }
  tracker?.close();
  return { reports, firstAt };
}

function seedOlderJobs(db: SqliteDatabase, fresh: SqliteDatabase, serial: string, before: string): void {
  const columns = jobColumns(db);
  const rows = db
    .prepare(
      `SELECT ${columns.join(', ')} FROM jobs_raw WHERE printer_serial = ? AND started_at < ? ORDER BY id`,
    )
    .all(serial, before) as Record<string, unknown>[];
  const insert = fresh.prepare(
    `INSERT INTO jobs_raw (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
  );
  for (const row of rows) {
    // A job that ended inside the archive's window was open when the window began.
    const endedLater = row.ended_at === null || String(row.ended_at) >= before;
    insert.run(endedLater ? { ...row, status: 'running', ended_at: null } : row);
  }
}

/** The swap: one transaction on the database, the fresh file attached. */
function swapIn(
  db: SqliteDatabase,
  tempPath: string,
  windows: ReadonlyMap<string, string>,
  record: (counts: { jobsReplaced: number; jobsWritten: number }) => void,
): { jobsReplaced: number; jobsWritten: number } {
  const columns = jobColumns(db).join(', ');
  db.prepare('ATTACH DATABASE ? AS fresh').run(tempPath);
  try {
    return db.transaction(() => {
      let jobsReplaced = 0;
      let jobsWritten = 0;
      db.exec(`CREATE TEMP TABLE restated_keys (job_key TEXT PRIMARY KEY)`);
      try {
        for (const [serial, since] of windows) {
          db.prepare('DELETE FROM restated_keys').run();
          db.prepare(
            `INSERT OR IGNORE INTO restated_keys
             SELECT job_key FROM main.jobs_raw WHERE printer_serial = ? AND started_at >= ?
             UNION SELECT job_key FROM fresh.jobs_raw WHERE printer_serial = ? AND started_at >= ?`,
          ).run(serial, since, serial, since);
          // Only the state machine's events are replayed; others (a filament record from the job's file)
          // come from elsewhere and stay, as do the rows that hang on the job key (job_files_raw...).
          db.prepare(
            `DELETE FROM main.job_events_raw WHERE job_key IN (SELECT job_key FROM restated_keys)
             AND event IN (${STATE_MACHINE_EVENTS.map(() => '?').join(', ')})`,
          ).run(...STATE_MACHINE_EVENTS);
          jobsReplaced += db
            .prepare('DELETE FROM main.jobs_raw WHERE job_key IN (SELECT job_key FROM restated_keys)')
            .run().changes;
          jobsWritten += db
            .prepare(
              `INSERT INTO main.jobs_raw (${columns}) SELECT ${columns} FROM fresh.jobs_raw
               WHERE job_key IN (SELECT job_key FROM restated_keys) ORDER BY id`,
            )
            .run().changes;
          db.prepare(
            `INSERT INTO main.job_events_raw (seq, job_key, printer_serial, event, from_status, to_status, gcode_state, print_error, at)
             SELECT seq, job_key, printer_serial, event, from_status, to_status, gcode_state, print_error, at
             FROM fresh.job_events_raw WHERE job_key IN (SELECT job_key FROM restated_keys) ORDER BY seq`,
          ).run();
          db.prepare(
            'INSERT OR IGNORE INTO main.printers_raw SELECT * FROM fresh.printers_raw WHERE printer_serial = ?',
          ).run(serial);
          db.prepare(
            `UPDATE main.printers_raw SET last_report_at = MAX(COALESCE(last_report_at, ''),
               COALESCE((SELECT last_report_at FROM fresh.printers_raw f WHERE f.printer_serial = ?), ''))
             WHERE printer_serial = ?`,
          ).run(serial, serial);
        }
      } finally {
        db.exec('DROP TABLE temp.restated_keys');
      }
      record({ jobsReplaced, jobsWritten });
      return { jobsReplaced, jobsWritten };
    })();
  } finally {
    db.prepare('DETACH DATABASE fresh').run();
  }
}

/** The events a replay writes again; the other kinds in job_events_raw are kept as they are. */
const STATE_MACHINE_EVENTS: readonly JobEvent[] = [
  'started',
  'paused',
  'resumed',
  'finished',
  'failed',
  'cancelled',
  'ended_while_disconnected',
  'reattached',
];

/** jobs_raw's columns but the rowid, which each file numbers on its own. */
function jobColumns(db: SqliteDatabase): string[] {
  return (db.prepare(`SELECT name FROM pragma_table_info('jobs_raw')`).pluck().all() as string[]).filter(
    (name) => name !== 'id',
  );
}

function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
}
