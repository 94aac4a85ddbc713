import { isMissingTable, type QueryRows } from '../lib/index.js';

/**
 * What the page's reads need: queries, and the columns of a table or view (undefined when there is
 * none). Both come from the scheduler's control connection (an executor's `query` and `describe`).
 */
export interface PageReader {
  query: QueryRows;
  columns(name: string): Promise<string[] | undefined>;
}

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
  // The job id breaks ties (not rowid, which only SQLite has).
  const order = [ended, col('started_at'), col('job_id')].filter((e) => e !== 'NULL').map((e) => `${e} DESC`);
  return [
    `SELECT ${col('job_id')} AS "jobId", ${col('job_name')} AS name, ${printer} AS printer,`,
    `       ${col('printer_serial')} AS "printerSerial", ${col('started_at')} AS "startedAt",`,
    `       ${ended} AS "endedAt", ${col('duration_s')} AS "durationS", ${outcome} AS outcome`,
    `  FROM ${shape.table} AS j`,
    joinPrinters && !has('printer_name')
      ? '  LEFT JOIN printers_raw AS p ON p.printer_serial = j.printer_serial'
      : '',
    order.length > 0 ? ` ORDER BY ${order.join(', ')}` : '',
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
export async function recentJobs(reader: PageReader, options: { limit?: number } = {}): Promise<RecentJobs> {
  const limit = options.limit ?? 20;
  const jobsColumns = await reader.columns('jobs_brz');
  if (!jobsColumns) return { source: null, jobs: [] };
  const printersRaw = (await reader.columns('printers_raw')) !== undefined;
  const outcomes = new Set((await reader.columns('job_outcomes_brz')) ?? []);
  const shape: JobsTableShape = outcomes.has('outcome')
    ? { table: 'job_outcomes_brz', columns: outcomes, printersRaw }
    : { table: 'jobs_brz', columns: new Set(jobsColumns), printersRaw };
  try {
    const rows = await reader.query(recentJobsSql(shape), [limit]);
    return { source: shape.table, jobs: rows.map(recentJobOf) };
  } catch {
    // A table being rebuilt by a run (drop + rename) or of an unexpected shape: show no rows this time.
    return { source: shape.table, jobs: [] };
  }
}

/** Printers the listener has seen, by name, with how long ago each last reported. */
export async function printersSeen(reader: PageReader, options: { now?: Date } = {}): Promise<PrinterSeen[]> {
  const now = (options.now ?? new Date()).getTime();
  let rows: Record<string, unknown>[];
  try {
    // cert_fingerprint is left out on purpose: the page lists what a user recognises, nothing more.
    rows = await reader.query(
      `SELECT printer_name, printer_serial, first_seen_at, last_report_at
         FROM printers_raw ORDER BY printer_name, printer_serial`,
    );
  } catch {
    return [];
  }
  const active = await activeJobs(reader.query);
  return rows.map((row) => {
    const lastReportAt = row.last_report_at == null ? null : String(row.last_report_at);
    const last = lastReportAt ? Date.parse(lastReportAt) : Number.NaN;
    const serial = String(row.printer_serial);
    return {
      name: String(row.printer_name),
      serial,
      firstSeenAt: row.first_seen_at == null ? null : String(row.first_seen_at),
      lastReportAt,
      lastReportAgeS: Number.isNaN(last) ? null : Math.max(0, Math.round((now - last) / 1000)),
      activeJob: active.get(serial) ?? null,
    };
  });
}

/** The newest running or paused job of each printer, from jobs_raw (none before the listener ran). */
async function activeJobs(query: QueryRows): Promise<Map<string, { name: string | null; status: string }>> {
  const active = new Map<string, { name: string | null; status: string }>();
  try {
    const rows = await query(
      `SELECT printer_serial, subtask_name, status FROM jobs_raw
        WHERE status IN ('running', 'paused') ORDER BY started_at DESC`,
    );
    for (const row of rows) {
      const serial = String(row.printer_serial);
      if (active.has(serial)) continue;
      active.set(serial, {
        name: row.subtask_name == null ? null : String(row.subtask_name),
        status: String(row.status),
      });
    }
  } catch (error) {
    if (!isMissingTable(error)) throw error;
  }
  return active;
}

function recentJobOf(row: Record<string, unknown>): RecentJob {
  const text = (value: unknown) => (value == null ? null : String(value));
  return {
    jobId: text(row.jobId),
    name: text(row.name),
    printer: text(row.printer),
    printerSerial: text(row.printerSerial),
    startedAt: text(row.startedAt),
    endedAt: text(row.endedAt),
    durationS: row.durationS == null ? null : Number(row.durationS),
    outcome: text(row.outcome),
  };
}
