/**
 * Builds raw-layer rows (jobs_raw, job_events_raw, printers_raw) from recorded printer payloads, the
 * way the listener would have written them, for tests of the Dataform project. It takes the job's
 * fields from the payload (subtask_name, gcode_file, total_layer_num, the active tray's filament, ...)
 * and the lifecycle (status, times) from the caller, since a single report does not carry them.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobStatus } from '../../ingestion/raw-schema.js';
import type { SqliteDatabase } from '../../lib/sqlite.js';

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

/** One row of jobs_raw, by column name (id is left to SQLite). */
export interface RawJobRow {
  job_key: string;
  printer_serial: string;
  printer_name: string;
  task_id: string | null;
  subtask_id: string | null;
  printer_job_id: string | null;
  subtask_name: string | null;
  gcode_file: string | null;
  print_type: string | null;
  status: JobStatus;
  gcode_state: string | null;
  started_at: string;
  ended_at: string | null;
  start_approximate: number;
  progress_percent: number | null;
  layer_num: number | null;
  total_layers: number | null;
  remaining_min: number | null;
  print_error: number | null;
  print_error_hex: string | null;
  nozzle_diameter: string | null;
  nozzle_type: string | null;
  filament_type: string | null;
  filament_color: string | null;
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

/** Bambu writes error codes as XXXX_XXXX hex (50348044 -> 0300_400C). */
export function printErrorHex(code: number | null | undefined): string | null {
  if (code === null || code === undefined || code === 0) return null;
  const hex = code.toString(16).toUpperCase().padStart(8, '0');
  return `${hex.slice(0, 4)}_${hex.slice(4)}`;
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
  const jobKey =
    job.jobKey ??
    (taskId !== null
      ? `${job.printerSerial}:${taskId}:${subtaskId ?? ''}`
      : `${job.printerSerial}:lan:${job.startedAt}`);
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
    print_error_hex: printErrorHex(report.print_error),
    nozzle_diameter: report.nozzle_diameter ?? null,
    nozzle_type: report.nozzle_type ?? null,
    filament_type: filament.type,
    filament_color: filament.color,
    last_report_json: JSON.stringify(report),
    updated_at: endedAt ?? job.startedAt,
    ...job.overrides,
  };
}

const JOB_COLUMNS = [
  'job_key',
  'printer_serial',
  'printer_name',
  'task_id',
  'subtask_id',
  'printer_job_id',
  'subtask_name',
  'gcode_file',
  'print_type',
  'status',
  'gcode_state',
  'started_at',
  'ended_at',
  'start_approximate',
  'progress_percent',
  'layer_num',
  'total_layers',
  'remaining_min',
  'print_error',
  'print_error_hex',
  'nozzle_diameter',
  'nozzle_type',
  'filament_type',
  'filament_color',
  'last_report_json',
  'updated_at',
] as const satisfies readonly (keyof RawJobRow)[];

/**
 * Writes a job as the listener does: its transitions into job_events_raw (started, then the ending
 * one), then the jobs_raw row (inserted or updated in place) with change_seq = the last event's seq.
 * Returns that change sequence.
 */
export function writeRawJob(db: SqliteDatabase, row: RawJobRow): number {
  const insertEvent = db.prepare(
    `INSERT INTO job_events_raw (job_key, printer_serial, event, from_status, to_status, gcode_state, print_error, at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const upsertJob = db.prepare(
    `INSERT INTO jobs_raw (${JOB_COLUMNS.join(', ')}, change_seq)
     VALUES (${JOB_COLUMNS.map((c) => `@${c}`).join(', ')}, @change_seq)
     ON CONFLICT (job_key) DO UPDATE SET
       ${[...JOB_COLUMNS.filter((c) => c !== 'job_key'), 'change_seq'].map((c) => `${c} = excluded.${c}`).join(', ')}`,
  );
  return db.transaction(() => {
    const known = db.prepare('SELECT status FROM jobs_raw WHERE job_key = ?').get(row.job_key) as
      | { status: string }
      | undefined;
    let seq = 0;
    if (known === undefined) {
      seq = Number(
        insertEvent.run(
          row.job_key,
          row.printer_serial,
          'started',
          null,
          'running',
          'RUNNING',
          null,
          row.started_at,
        ).lastInsertRowid,
      );
    }
    const from = known?.status ?? 'running';
    if (row.status !== from) {
      seq = Number(
        insertEvent.run(
          row.job_key,
          row.printer_serial,
          row.status,
          from,
          row.status,
          row.gcode_state,
          row.print_error,
          row.ended_at ?? row.updated_at,
        ).lastInsertRowid,
      );
    }
    if (seq === 0) throw new Error(`job ${row.job_key} is already ${row.status}: nothing to write`);
    upsertJob.run({ ...row, change_seq: seq });
    return seq;
  })();
}

/** Registers a printer in printers_raw, as the listener does on first connection. */
export function writeRawPrinter(
  db: SqliteDatabase,
  printer: { serial: string; name: string; firstSeenAt: string; lastReportAt?: string },
): void {
  db.prepare(
    `INSERT INTO printers_raw (printer_serial, printer_name, first_seen_at, last_report_at)
     VALUES (?, ?, ?, ?)
     ON CONFLICT (printer_serial) DO UPDATE SET printer_name = excluded.printer_name, last_report_at = excluded.last_report_at`,
  ).run(printer.serial, printer.name, printer.firstSeenAt, printer.lastReportAt ?? null);
}
