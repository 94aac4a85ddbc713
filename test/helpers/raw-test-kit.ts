import { type JobEvent, type JobRecord, newJob } from '../../ingestion/job-record.js';
import type { JobStatus } from '../../ingestion/raw-schema.js';
import { type JobRow, type RawWriter, recordOf } from '../../ingestion/raw-writer.js';
import type { JsonObject } from '../../ingestion/report-parser.js';
import type { SqliteDatabase } from '../../lib/index.js';

/**
 * A small kit on the real raw writer, for tests and benchmarks that need raw rows without playing
 * a printer: a job's lifecycle written as the listener writes it (its `started` transition, then its
 * ending one), so that the rows the models are tested on are rows the listener writes, with its job
 * keys, its hex codes and its change sequence. It lives under test/, so it never ships in dist/
 * (`npm run bench` builds it into dist-bench/ for the scheduler benchmark).
 */

/** A job as jobs_raw will hold it after its last transition; what is left out is NULL, as the listener leaves it. */
export type KitJob = Pick<JobRecord, 'jobKey' | 'status' | 'startedAt'> & Partial<JobRecord>;

/**
 * The full record the writer takes: the listener's new job (job-record.ts's newJob), with what the
 * kit job says. The phase timings stay NULL unless given, as on a row the listener wrote before it
 * counted phases (jobs_raw's column docs): the fixtures' jobs have no phase history to replay, so
 * jobs_slv's phase seconds are NULL for them rather than a made-up 0.
 */
export function kitRecord(job: KitJob): JobRecord {
  return {
    ...newJob(job.jobKey, job.status, job.startedAt, false),
    preparingMs: null,
    printingMs: null,
    pausedMs: null,
    ...job,
  };
}

/** Columns of jobs_raw the listener added later (phase timing, the AMS mapping): a test may leave them out. */
type LaterColumn =
  | 'preparing_ms'
  | 'printing_ms'
  | 'paused_ms'
  | 'phase'
  | 'phase_since'
  | 'estimated_s'
  | 'ams_mapping';

/** A jobs_raw row as a test names it, by column; the later columns are NULL when left out. */
export type KitJobRow = Omit<JobRow, LaterColumn> & Partial<Pick<JobRow, LaterColumn>>;

/** The record the writer takes for a jobs_raw row: the writer's own mapping (raw-writer.ts's recordOf). */
export function kitRecordOfRow(row: KitJobRow): JobRecord {
  return recordOf({
    preparing_ms: null,
    printing_ms: null,
    paused_ms: null,
    phase: null,
    phase_since: null,
    estimated_s: null,
    ams_mapping: null,
    ...row,
  });
}

/**
 * Writes the transitions that bring the job from `known` (its status in jobs_raw now, null when it
 * is new) to `job.status`: `started` for a new job (at startedAt), then the ending one (at endedAt,
 * else `at`). Returns the job row's change sequence afterwards; throws when there is nothing to write.
 */
export function writeKitJob(
  writer: RawWriter,
  printer: { serial: string; name: string },
  job: JobRecord,
  known: JobStatus | null,
  options: { lastReport?: JsonObject | null; at?: string } = {},
): number {
  const lastReport = options.lastReport === undefined ? {} : options.lastReport;
  let seq = 0;
  if (known === null) {
    const running: JobRecord =
      job.status === 'running' || job.status === 'paused'
        ? job
        : {
            ...job,
            status: 'running',
            endedAt: null,
            gcodeState: 'RUNNING',
            printError: null,
          };
    const [started] = writer.write({
      printer,
      at: job.startedAt,
      writes: [
        {
          job: running,
          transition: { event: 'started', fromStatus: null, toStatus: running.status },
          lastReport,
        },
      ],
      state: {},
      touchPrinter: false,
    });
    seq = started?.seq ?? 0;
  }
  const from = known ?? (job.status === 'paused' ? 'paused' : 'running');
  if (job.status !== from) {
    const [ended] = writer.write({
      printer,
      at: job.endedAt ?? options.at ?? job.startedAt,
      writes: [
        {
          job,
          transition: { event: job.status as JobEvent, fromStatus: from, toStatus: job.status },
          lastReport,
        },
      ],
      state: {},
      touchPrinter: false,
    });
    seq = ended?.seq ?? seq;
  }
  if (seq === 0) throw new Error(`job ${job.jobKey} is already ${job.status}: nothing to write`);
  return seq;
}

/** A job as jobs_raw holds it now, with its printer; null when there is none of this key. */
export function readKitJob(
  db: SqliteDatabase,
  jobKey: string,
): { job: JobRecord; printer: { serial: string; name: string } } | null {
  const row = db.prepare('SELECT * FROM jobs_raw WHERE job_key = ?').get(jobKey) as JobRow | undefined;
  if (!row) return null;
  return { job: recordOf(row), printer: { serial: row.printer_serial, name: row.printer_name } };
}
