import type { SqliteDatabase } from '../lib/index.js';
import type { JobEvent, JobRecord } from './job-record.js';
import type { JobStatus } from './raw-schema.js';
import { type JobRow, type RawWriter, recordOf } from './raw-writer.js';
import type { JsonObject } from './report-parser.js';

/**
 * A small kit on the real raw writer, for tests and benchmarks that need raw rows without playing
 * a printer: a job's lifecycle written as the listener writes it (its `started` transition, then its
 * ending one), so that the rows the models are tested on are rows the listener writes, with its job
 * keys, its hex codes and its change sequence. Not used by the listener itself.
 */

/** A job as jobs_raw will hold it after its last transition; what is left out is NULL, as the listener leaves it. */
export type KitJob = Pick<JobRecord, 'jobKey' | 'status' | 'startedAt'> & Partial<JobRecord>;

/** The full record the writer takes, with the listener's defaults for what a kit job leaves out. */
export function kitRecord(job: KitJob): JobRecord {
  return {
    endedAt: null,
    startApproximate: false,
    taskId: null,
    subtaskId: null,
    jobId: null,
    name: null,
    gcodeFile: null,
    printType: null,
    gcodeState: null,
    progressPercent: null,
    layerNum: null,
    totalLayers: null,
    remainingMin: null,
    printError: null,
    nozzleDiameter: null,
    nozzleType: null,
    filamentType: null,
    filamentColor: null,
    preparingMs: null,
    printingMs: null,
    pausedMs: null,
    phase: null,
    phaseSince: null,
    estimatedS: null,
    amsMapping: null,
    ...job,
  };
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
