import type { SqliteDatabase } from '../lib/sqlite.js';

/** One ended print job as the status page lists it. */
export interface RecentJob {
  jobId: string | null;
  /** The job's name as the printer showed it; null when it sent none. */
  name: string | null;
  /** The printer's name when known, else its serial. */
  printer: string | null;
  printerSerial: string | null;
  startedAt: string | null;
  endedAt: string | null;
  durationS: number | null;
  /** finished | failed | cancelled | ended_while_disconnected; 'finished' for rows of jobs_brz. */
  outcome: string | null;
}

/** Where the recent jobs came from: job_outcomes_brz (every ended job) or jobs_brz (finished ones). */
export type RecentJobsSource = 'job_outcomes_brz' | 'jobs_brz';

export interface RecentJobs {
  /** null before the first run has created jobs_brz: the page then shows nothing. */
  source: RecentJobsSource | null;
  jobs: RecentJob[];
}

/** A printer the listener has heard from (printers_raw), without anything secret. */
export interface PrinterSeen {
  name: string;
  serial: string;
  firstSeenAt: string | null;
  lastReportAt: string | null;
  /** Whole seconds since the last report, from the injected clock; null when it never reported. */
  lastReportAgeS: number | null;
  /** The job the raw layer shows as running or paused on it, if any. */
  activeJob: { name: string | null; status: string } | null;
}

/** What the recent-jobs query may use: the table and the columns it has. */
export interface JobsTableShape {
  table: RecentJobsSource;
  columns: ReadonlySet<string>;
  /** printers_raw exists, so a table without printer_name can still show names. */
  printersRaw: boolean;
}

/**
 * The SQL for the most recent jobs of a jobs table of the given shape. Pure: it only uses the columns
 * the table has (a project of someone else's may have fewer), and NULL for the rest.
 */
export function recentJobsSql(shape: JobsTableShape): string {
  const has = (column: string) => shape.columns.has(column);
  const col = (column: string) => (has(column) ? `j.${column}` : 'NULL');
  const ended = has('ended_at') ? 'j.ended_at' : col('finished_at');
  const outcome = has('outcome') ? 'j.outcome' : shape.table === 'jobs_brz' ? `'finished'` : 'NULL';
  const joinPrinters = shape.printersRaw && has('printer_serial');
  const printer = has('printer_name')
    ? `COALESCE(j.printer_name, ${col('printer_serial')})`
    : joinPrinters
      ? 'COALESCE(p.printer_name, j.printer_serial)'
      : col('printer_serial');
  const order = [ended, col('started_at')].filter((e) => e !== 'NULL').map((e) => `${e} DESC`);
  return [
    `SELECT ${col('job_id')} AS jobId, ${col('job_name')} AS name, ${printer} AS printer,`,
    `       ${col('printer_serial')} AS printerSerial, ${col('started_at')} AS startedAt,`,
    `       ${ended} AS endedAt, ${col('duration_s')} AS durationS, ${outcome} AS outcome`,
    `  FROM ${shape.table} AS j`,
    joinPrinters && !has('printer_name')
      ? '  LEFT JOIN printers_raw AS p ON p.printer_serial = j.printer_serial'
      : '',
    ` ORDER BY ${[...order, 'j.rowid DESC'].join(', ')}`,
    ' LIMIT ?',
  ]
    .filter((line) => line !== '')
    .join('\n');
}

/**
 * The most recent ended jobs, newest first: from job_outcomes_brz (which also holds failed and
 * cancelled jobs) when the project has it, else from jobs_brz; nothing before jobs_brz exists.
 * Read-only; a table it cannot read is treated as missing rather than failing the page.
 */
export function recentJobs(db: SqliteDatabase, options: { limit?: number } = {}): RecentJobs {
  const limit = options.limit ?? 20;
  if (!relationExists(db, 'jobs_brz')) return { source: null, jobs: [] };
  const printersRaw = relationExists(db, 'printers_raw');
  const outcomes = relationExists(db, 'job_outcomes_brz')
    ? columnsOf(db, 'job_outcomes_brz')
    : new Set<string>();
  const shape: JobsTableShape = outcomes.has('outcome')
    ? { table: 'job_outcomes_brz', columns: outcomes, printersRaw }
    : { table: 'jobs_brz', columns: columnsOf(db, 'jobs_brz'), printersRaw };
  try {
    const jobs = db.prepare(recentJobsSql(shape)).all(limit) as RecentJob[];
    return { source: shape.table, jobs };
  } catch {
    // A table being rebuilt by a run (drop + rename) or of an unexpected shape: show no rows this time.
    return { source: shape.table, jobs: [] };
  }
}

/** Printers the listener has seen, by name, with how long ago each last reported. */
export function printersSeen(db: SqliteDatabase, options: { now?: Date } = {}): PrinterSeen[] {
  if (!relationExists(db, 'printers_raw')) return [];
  const now = (options.now ?? new Date()).getTime();
  // cert_fingerprint is left out on purpose: the page lists what a user recognises, nothing more.
  const active = relationExists(db, 'jobs_raw')
    ? `(SELECT json_object('name', r.subtask_name, 'status', r.status) FROM jobs_raw AS r
         WHERE r.printer_serial = p.printer_serial AND r.status IN ('running', 'paused')
         ORDER BY r.started_at DESC LIMIT 1)`
    : 'NULL';
  try {
    const rows = db
      .prepare(
        `SELECT p.printer_name AS name, p.printer_serial AS serial, p.first_seen_at AS firstSeenAt,
                p.last_report_at AS lastReportAt, ${active} AS active
           FROM printers_raw AS p ORDER BY p.printer_name, p.printer_serial`,
      )
      .all() as (Omit<PrinterSeen, 'lastReportAgeS' | 'activeJob'> & { active: string | null })[];
    return rows.map(({ active: activeJson, ...row }) => {
      const last = row.lastReportAt ? Date.parse(row.lastReportAt) : Number.NaN;
      return {
        ...row,
        lastReportAgeS: Number.isNaN(last) ? null : Math.max(0, Math.round((now - last) / 1000)),
        activeJob: activeJson ? (JSON.parse(activeJson) as PrinterSeen['activeJob']) : null,
      };
    });
  } catch {
    return [];
  }
}

function relationExists(db: SqliteDatabase, name: string): boolean {
  return (
    db.prepare(`SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?`).get(name) !==
    undefined
  );
}

function columnsOf(db: SqliteDatabase, table: string): Set<string> {
  const rows = db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[];
  return new Set(rows.map((row) => row.name));
}
