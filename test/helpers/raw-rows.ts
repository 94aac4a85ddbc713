/**
 * Builds raw-layer rows (jobs_raw, job_events_raw, printers_raw) from recorded printer payloads, for
 * tests of the Dataform project, and writes them through the listener's own RawWriter (with its job
 * keys, hex codes and change sequence: test/helpers/raw-test-kit.ts), so that the models are tested on
 * rows the listener writes. It takes the job's
 * fields from the payload (subtask_name, gcode_file, total_layer_num, the active tray's filament, ...)
 * and the lifecycle (status, times) from the caller, since a single report does not carry them.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintJobKey } from '../../ingestion/job-key.js';
import type { JobStatus } from '../../ingestion/raw-schema.js';
import { RawWriter } from '../../ingestion/raw-writer.js';
import type { SqliteDatabase } from '../../lib/sqlite.js';
import { type KitJobRow, kitRecordOfRow, writeKitJob } from './raw-test-kit.js';

const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'bambu');

/** The slice of a `print` report that the raw layer keeps; everything else passes through untouched. */
export interface PrintReport {
  subtask_name?: string;
  gcode_file?: string;
  gcode_state?: string;
  print_type?: string;
  task_id?: string;
  subtask_id?: string;
  job_id?: string;
  mc_percent?: number;
  layer_num?: number;
  total_layer_num?: number;
  mc_remaining_time?: number;
  print_error?: number;
  nozzle_diameter?: string;
  nozzle_type?: string;
  ams?: {
    tray_now?: string;
    ams?: { id?: string; tray?: { id?: string; tray_type?: string; tray_color?: string }[] }[];
  };
  vt_tray?: { tray_type?: string; tray_color?: string };
  [key: string]: unknown;
}

/**
 * One row of jobs_raw, by column name (id and change_seq are the writer's), with the report kept and
 * the time of the last write; print_error_hex is not here because the writer derives it.
 */
export interface RawJobRow extends KitJobRow {
  last_report_json: string | null;
  updated_at: string;
}

/** What a single report does not say about a job: who ran it, when, and how it ended. */
export interface JobLifecycle {
  printerSerial: string;
  printerName?: string;
  status: JobStatus;
  startedAt: string;
  /** Required for ended statuses; ignored for running/paused jobs. */
  endedAt?: string;
  /** Defaults to a key built from the task ids, or from the start time for LAN prints. */
  jobKey?: string;
  /**
   * The tray that was active while printing (AMS index unit*4+tray, or 254 for the external spool).
   * Finished reports often show tray_now 255 (unloaded), so tests name the tray the job used.
   */
  activeTray?: number;
  /** Last-minute changes to the row, e.g. a job name full of quotes. */
  overrides?: Partial<RawJobRow>;
}

/** Reads a fixture file from test/fixtures/bambu as JSON. */
export function readFixture(fileName: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, fileName), 'utf8'));
}

/** The `print` object of a fixture that holds one report (`{"print": {...}}`). */
export function readPrintReport(fileName: string): PrintReport {
  const json = readFixture(fileName) as { print?: PrintReport };
  if (json.print === undefined) throw new Error(`${fileName} holds no "print" report`);
  return json.print;
}

/** Fields whose last non-zero value the listener keeps: firmware zeroes them on cancel or after FINISH. */
const KEEP_NON_ZERO = ['print_error', 'mc_percent', 'layer_num', 'total_layer_num'] as const;
/** Fields whose last non-empty value the listener keeps: P1 firmware blanks them once idle. */
const KEEP_NON_EMPTY = ['gcode_file', 'subtask_name'] as const;

/**
 * Merges a job's reports into the state the listener holds when the job ends. Deltas are merged
 * (a missing key keeps its value, as P1/A1 firmware requires), and the values that firmware resets
 * at the end (progress, layers, the transient cancel error, the file name, print_type 'idle') keep
 * what they were while the job ran. Nested objects are replaced, not merged.
 */
export function mergeReports(reports: readonly PrintReport[]): PrintReport {
  const state: PrintReport = {};
  for (const report of reports) {
    const previous = { ...state };
    Object.assign(state, report);
    for (const key of KEEP_NON_ZERO) if (report[key] === 0 && previous[key]) state[key] = previous[key];
    for (const key of KEEP_NON_EMPTY) if (report[key] === '' && previous[key]) state[key] = previous[key];
    if (report.print_type === 'idle' && previous.print_type) state.print_type = previous.print_type;
  }
  return state;
}

/** The reports of constructed_lifecycle_p1s_lan_print.json, in order, optionally up to a time. */
export function lifecycleReports(options: { until?: string; withCancel?: boolean } = {}): PrintReport[] {
  type Message = { t: string; msg: { print?: PrintReport } };
  const file = readFixture('constructed_lifecycle_p1s_lan_print.json') as {
    messages: Message[];
    cancel_variant: Message[];
  };
  const keep = (m: Message) => options.until === undefined || m.t <= options.until;
  const messages = file.messages.filter(keep);
  if (options.withCancel) messages.push(...file.cancel_variant);
  return messages.flatMap((m) => (m.msg.print === undefined ? [] : [m.msg.print]));
}

/** The filament of a tray: AMS index unit*4+tray, 254 = external spool, 255 = none loaded. */
export function trayFilament(
  report: PrintReport,
  tray: number,
): { type: string | null; color: string | null } {
  if (tray === 254) {
    return { type: report.vt_tray?.tray_type || null, color: report.vt_tray?.tray_color || null };
  }
  const unit = report.ams?.ams?.find((u) => Number(u.id) === Math.floor(tray / 4));
  const slot = unit?.tray?.find((t) => Number(t.id) === tray % 4);
  return { type: slot?.tray_type || null, color: slot?.tray_color || null };
}

/** A reported id, or null for the "0" / "" that LAN prints send. */
function reportedId(value: string | undefined): string | null {
  return value === undefined || value === '' || value === '0' ? null : value;
}

/** The jobs_raw row the listener would hold for this job after its last transition. */
export function rawJobFromReport(report: PrintReport, job: JobLifecycle): RawJobRow {
  const ended = job.status !== 'running' && job.status !== 'paused';
  if (ended && job.endedAt === undefined) throw new Error(`a ${job.status} job needs endedAt`);
  const taskId = reportedId(report.task_id);
  const subtaskId = reportedId(report.subtask_id);
  // The listener's key: serial:id for a job with ids, serial:local:startedAt:name for a LAN print.
  const jobKey =
    job.jobKey ??
    mintJobKey(
      job.printerSerial,
      { jobId: reportedId(report.job_id), subtaskId, taskId },
      job.startedAt,
      report.subtask_name ?? '',
      () => false,
    );
  const trayNow = Number(report.ams?.tray_now ?? 255);
  const tray = job.activeTray ?? trayNow;
  const filament = tray === 255 ? { type: null, color: null } : trayFilament(report, tray);
  const endedAt = ended ? (job.endedAt as string) : null;
  return {
    job_key: jobKey,
    printer_serial: job.printerSerial,
    printer_name: job.printerName ?? job.printerSerial,
    task_id: taskId,
    subtask_id: subtaskId,
    printer_job_id: reportedId(report.job_id),
    subtask_name: report.subtask_name ?? null,
    gcode_file: report.gcode_file ?? null,
    print_type: report.print_type ?? null,
    status: job.status,
    gcode_state: report.gcode_state ?? null,
    started_at: job.startedAt,
    ended_at: endedAt,
    start_approximate: 0,
    progress_percent: report.mc_percent ?? null,
    layer_num: report.layer_num ?? null,
    total_layers: report.total_layer_num ?? null,
    remaining_min: report.mc_remaining_time ?? null,
    print_error: report.print_error ?? null,
    nozzle_diameter: report.nozzle_diameter ?? null,
    nozzle_type: report.nozzle_type ?? null,
    filament_type: filament.type,
    filament_color: filament.color,
    last_report_json: JSON.stringify(report),
    updated_at: endedAt ?? job.startedAt,
    ...job.overrides,
  };
}

const writers = new WeakMap<SqliteDatabase, RawWriter>();
function writerOf(db: SqliteDatabase): RawWriter {
  let writer = writers.get(db);
  if (!writer) {
    writer = new RawWriter(db);
    writers.set(db, writer);
  }
  return writer;
}

/**
 * Writes a job as the listener does, through its RawWriter: its transitions into job_events_raw
 * (started, then the ending one), and the jobs_raw row (inserted or updated in place) with
 * change_seq = the last event's seq. Returns that change sequence.
 */
export function writeRawJob(db: SqliteDatabase, row: RawJobRow): number {
  const writer = writerOf(db);
  const known = db.prepare('SELECT status FROM jobs_raw WHERE job_key = ?').get(row.job_key) as
    | { status: JobStatus }
    | undefined;
  const record = kitRecordOfRow(row);
  const lastReport = row.last_report_json === null ? null : JSON.parse(row.last_report_json);
  return db.transaction(() =>
    writeKitJob(
      writer,
      { serial: row.printer_serial, name: row.printer_name },
      record,
      known?.status ?? null,
      {
        lastReport,
        at: row.updated_at,
      },
    ),
  )();
}

/** Registers a printer in printers_raw, as the listener does with its first report (and later ones). */
export function writeRawPrinter(
  db: SqliteDatabase,
  printer: { serial: string; name: string; firstSeenAt: string; lastReportAt?: string },
): void {
  const writer = writerOf(db);
  const touch = (at: string) => writer.write({ printer, at, writes: [], state: {}, touchPrinter: true });
  touch(printer.firstSeenAt);
  if (printer.lastReportAt !== undefined) touch(printer.lastReportAt);
}
