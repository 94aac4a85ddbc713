import type { SqliteDatabase } from '../lib/index.js';
import { filamentRowValues, fileRowValues } from './filament-record-values.js';
import type { JobRecord, TimedPhase } from './job-record.js';
import { type JobStatus, migrateRawSchema } from './raw-schema.js';
import type { RawStore, WriteRefusal } from './raw-store.js';
import type { FilamentRecord, JobHints, ReportWrite, WrittenTransition } from './raw-write-types.js';
import type { JsonObject } from './report-parser.js';

export type {
  FilamentRecord,
  FilamentRow,
  JobHints,
  ReportWrite,
  WrittenTransition,
} from './raw-write-types.js';

const UPSERT_JOB = `
  INSERT INTO jobs_raw (
    job_key, printer_serial, printer_name, task_id, subtask_id, printer_job_id, subtask_name, gcode_file,
    print_type, status, gcode_state, started_at, ended_at, start_approximate, progress_percent, layer_num,
    total_layers, remaining_min, print_error, print_error_hex, nozzle_diameter, nozzle_type, filament_type,
    filament_color, last_report_json, change_seq, updated_at, preparing_ms, printing_ms, paused_ms, phase,
    phase_since, estimated_s, ams_mapping)
  VALUES (
    @job_key, @printer_serial, @printer_name, @task_id, @subtask_id, @printer_job_id, @subtask_name, @gcode_file,
    @print_type, @status, @gcode_state, @started_at, @ended_at, @start_approximate, @progress_percent, @layer_num,
    @total_layers, @remaining_min, @print_error, @print_error_hex, @nozzle_diameter, @nozzle_type, @filament_type,
    @filament_color, @last_report_json, COALESCE(@change_seq, 0), @updated_at, @preparing_ms, @printing_ms,
    @paused_ms, @phase, @phase_since, @estimated_s, @ams_mapping)
  ON CONFLICT (job_key) DO UPDATE SET
    printer_name = excluded.printer_name, task_id = excluded.task_id, subtask_id = excluded.subtask_id,
    printer_job_id = excluded.printer_job_id, subtask_name = excluded.subtask_name, gcode_file = excluded.gcode_file,
    print_type = excluded.print_type, status = excluded.status, gcode_state = excluded.gcode_state,
    ended_at = excluded.ended_at, start_approximate = excluded.start_approximate,
    progress_percent = excluded.progress_percent, layer_num = excluded.layer_num,
    total_layers = excluded.total_layers, remaining_min = excluded.remaining_min,
    print_error = excluded.print_error, print_error_hex = excluded.print_error_hex,
    nozzle_diameter = excluded.nozzle_diameter, nozzle_type = excluded.nozzle_type,
    filament_type = excluded.filament_type, filament_color = excluded.filament_color,
    last_report_json = COALESCE(excluded.last_report_json, jobs_raw.last_report_json),
    change_seq = COALESCE(@change_seq, jobs_raw.change_seq),
    updated_at = excluded.updated_at,
    preparing_ms = excluded.preparing_ms, printing_ms = excluded.printing_ms, paused_ms = excluded.paused_ms,
    phase = excluded.phase, phase_since = excluded.phase_since, estimated_s = excluded.estimated_s,
    ams_mapping = excluded.ams_mapping`;

const INSERT_EVENT = `
  INSERT INTO job_events_raw (job_key, printer_serial, event, from_status, to_status, gcode_state, print_error, at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

const TOUCH_PRINTER = `
  INSERT INTO printers_raw (printer_serial, printer_name, first_seen_at, last_report_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (printer_serial) DO UPDATE SET
    printer_name = excluded.printer_name, last_report_at = excluded.last_report_at`;

const UPSERT_FILE = `
  INSERT INTO job_files_raw (job_key, printer_serial, status, reason, remote_path, plate_index, prediction_s,
    plate_weight_g, attempts, recorded_at, change_seq)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (job_key) DO UPDATE SET
    status = excluded.status, reason = excluded.reason, remote_path = excluded.remote_path,
    plate_index = excluded.plate_index, prediction_s = excluded.prediction_s,
    plate_weight_g = excluded.plate_weight_g, attempts = excluded.attempts,
    recorded_at = excluded.recorded_at, change_seq = excluded.change_seq`;

const UPSERT_FILAMENT = `
  INSERT INTO job_filaments_raw (job_key, source, slot, ams_tray, tray_match, filament_type, filament_color,
    tray_info_idx, used_g, used_m, recorded_at, change_seq)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (job_key, source, slot) DO UPDATE SET
    ams_tray = excluded.ams_tray, tray_match = excluded.tray_match, filament_type = excluded.filament_type,
    filament_color = excluded.filament_color, tray_info_idx = excluded.tray_info_idx,
    used_g = excluded.used_g, used_m = excluded.used_m, recorded_at = excluded.recorded_at,
    change_seq = excluded.change_seq`;

const JOB_HINTS =
  'SELECT subtask_name, gcode_file, status, ams_mapping, phase FROM jobs_raw WHERE job_key = ?';
const FILE_FETCHED = `SELECT 1 FROM job_files_raw WHERE job_key = ? AND status = 'fetched'`;

const OPEN_JOBS = `SELECT * FROM jobs_raw WHERE printer_serial = ? AND status IN ('running', 'paused') ORDER BY id`;
const KEY_EXISTS = 'SELECT 1 FROM jobs_raw WHERE job_key = ?';

/**
 * Writes the raw layer into SQLite: jobs_raw rows updated in place, job_events_raw appended, one
 * transaction per report. The rows hold only what the printer reported and the listener's clock; no
 * secret ever reaches them (the tracker is never given the access code, and keys that look like one
 * are dropped). Synchronous underneath (better-sqlite3): every RawStore method answers at once.
 * Transactions are IMMEDIATE: the write lock first, so another connection that commits between our
 * first read and first write cannot fail us half-way (a refusal comes at BEGIN, and is retried).
 */
export class RawWriter implements RawStore {
  readonly location: string;
  private readonly upsertJob;
  private readonly insertEvent;
  private readonly touchPrinter;
  private readonly openJobsQuery;
  private readonly keyExistsQuery;
  private readonly writeReport: (report: ReportWrite) => WrittenTransition[];
  private readonly writeFilament: (record: FilamentRecord) => WrittenTransition | null;
  private readonly hintsQuery;
  private readonly fetchedQuery;

  constructor(db: SqliteDatabase) {
    migrateRawSchema(db);
    this.location = db.name;
    this.upsertJob = db.prepare(UPSERT_JOB);
    this.insertEvent = db.prepare(INSERT_EVENT);
    this.touchPrinter = db.prepare(TOUCH_PRINTER);
    this.openJobsQuery = db.prepare(OPEN_JOBS);
    this.keyExistsQuery = db.prepare(KEY_EXISTS);
    const writeReport = db.transaction((report: ReportWrite) => this.apply(report));
    this.writeReport = (report) => writeReport.immediate(report);
    const upsertFile = db.prepare(UPSERT_FILE);
    const upsertFilament = db.prepare(UPSERT_FILAMENT);
    this.hintsQuery = db.prepare(JOB_HINTS);
    this.fetchedQuery = db.prepare(FILE_FETCHED);
    const writeFilament = db.transaction((record: FilamentRecord): WrittenTransition | null => {
      const hints = this.jobHints(record.jobKey);
      if (!hints) return null;
      // The event bumps the change sequence, so figures that arrive after the job ended still
      // reach the models; the job's status is unchanged (from = to).
      const seq = Number(
        this.insertEvent.run(
          record.jobKey,
          record.printerSerial,
          'filament_recorded',
          hints.status,
          hints.status,
          null,
          null,
          record.at,
        ).lastInsertRowid,
      );
      if (record.status !== null) upsertFile.run(...fileRowValues(record, seq));
      for (const f of record.filaments) {
        upsertFilament.run(...filamentRowValues(record, f, seq));
      }
      return {
        jobKey: record.jobKey,
        event: 'filament_recorded',
        fromStatus: hints.status,
        toStatus: hints.status,
        seq,
        at: record.at,
      };
    });
    this.writeFilament = (record) => writeFilament.immediate(record);
  }

  /** better-sqlite3 raises SqliteError for SQLite's errors (busy, full disk…) and a TypeError once closed. */
  refusal(error: unknown): WriteRefusal | null {
    if (!(error instanceof Error)) return null;
    if (/database connection is not open/i.test(error.message))
      return { kind: 'unavailable', message: error.message };
    if (error.name !== 'SqliteError') return null;
    const code = String((error as { code?: unknown }).code ?? '');
    const kind =
      code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
        ? 'busy'
        : code.startsWith('SQLITE_FULL')
          ? 'disk-full'
          : code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM')
            ? 'permission'
            : 'refused';
    return { kind, message: error.message };
  }

  /**
   * Records what the listener learned of a job's filament (or why it could not), with a
   * `filament_recorded` event; null when the job is unknown.
   */
  recordFilament(record: FilamentRecord): WrittenTransition | null {
    return this.writeFilament(record);
  }

  /** The job's name, file, status and slot mapping as jobs_raw now holds them. */
  jobHints(key: string): JobHints | null {
    const row = this.hintsQuery.get(key) as
      | {
          subtask_name: string | null;
          gcode_file: string | null;
          status: JobStatus;
          ams_mapping: string | null;
          phase: string | null;
        }
      | undefined;
    if (!row) return null;
    return {
      name: row.subtask_name,
      gcodeFile: row.gcode_file,
      status: row.status,
      amsMapping: row.ams_mapping,
      phase: row.phase,
    };
  }

  /** Whether the job's .3mf was already read (a re-attached job is not fetched twice). */
  fileFetched(key: string): boolean {
    return this.fetchedQuery.get(key) !== undefined;
  }

  /** Writes everything one report produced, atomically; returns the transitions with their seq. */
  write(report: ReportWrite): WrittenTransition[] {
    if (report.writes.length === 0 && !report.touchPrinter) return [];
    return this.writeReport(report);
  }

  /** Jobs of this printer that jobs_raw holds as running or paused. */
  openJobs(serial: string): JobRecord[] {
    return (this.openJobsQuery.all(serial) as JobRow[]).map(recordOf);
  }

  keyTaken(key: string): boolean {
    return this.keyExistsQuery.get(key) !== undefined;
  }

  private apply({ printer, at, writes, state, touchPrinter }: ReportWrite): WrittenTransition[] {
    const written: WrittenTransition[] = [];
    const stateJson = writes.length > 0 ? JSON.stringify(withoutSecrets(state)) : null;
    for (const { job, transition, lastReport } of writes) {
      let seq: number | null = null;
      if (transition) {
        const result = this.insertEvent.run(
          job.jobKey,
          printer.serial,
          transition.event,
          transition.fromStatus,
          transition.toStatus,
          job.gcodeState,
          job.printError,
          at,
        );
        seq = Number(result.lastInsertRowid);
        written.push({ jobKey: job.jobKey, ...transition, seq, at });
      }
      const reportJson =
        lastReport === undefined ? stateJson : lastReport && JSON.stringify(withoutSecrets(lastReport));
      this.upsertJob.run(rowOf(job, printer, reportJson, seq, at));
    }
    if (touchPrinter) this.touchPrinter.run(printer.serial, printer.name, at, at);
    return written;
  }
}

/** `XXXX_XXXX`, the form Bambu's error catalogue and wiki use. */
export function printErrorHex(code: number | null): string | null {
  if (code === null || code === 0) return null;
  const hex = (code >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `${hex.slice(0, 4)}_${hex.slice(4)}`;
}

export interface JobRow {
  job_key: string;
  printer_serial: string;
  printer_name: string;
  status: JobStatus;
  started_at: string;
  ended_at: string | null;
  start_approximate: number;
  task_id: string | null;
  subtask_id: string | null;
  printer_job_id: string | null;
  subtask_name: string | null;
  gcode_file: string | null;
  print_type: string | null;
  gcode_state: string | null;
  progress_percent: number | null;
  layer_num: number | null;
  total_layers: number | null;
  remaining_min: number | null;
  print_error: number | null;
  nozzle_diameter: string | null;
  nozzle_type: string | null;
  filament_type: string | null;
  filament_color: string | null;
  preparing_ms: number | null;
  printing_ms: number | null;
  paused_ms: number | null;
  phase: string | null;
  phase_since: string | null;
  estimated_s: number | null;
  ams_mapping: string | null;
}

export function rowOf(
  job: JobRecord,
  printer: { serial: string; name: string },
  stateJson: string | null,
  seq: number | null,
  at: string,
): Record<string, unknown> {
  return {
    job_key: job.jobKey,
    printer_serial: printer.serial,
    printer_name: printer.name,
    task_id: job.taskId,
    subtask_id: job.subtaskId,
    printer_job_id: job.jobId,
    subtask_name: job.name,
    gcode_file: job.gcodeFile,
    print_type: job.printType,
    status: job.status,
    gcode_state: job.gcodeState,
    started_at: job.startedAt,
    ended_at: job.endedAt,
    start_approximate: job.startApproximate ? 1 : 0,
    progress_percent: job.progressPercent,
    layer_num: job.layerNum,
    total_layers: job.totalLayers,
    remaining_min: job.remainingMin,
    print_error: job.printError,
    print_error_hex: printErrorHex(job.printError),
    nozzle_diameter: job.nozzleDiameter,
    nozzle_type: job.nozzleType,
    filament_type: job.filamentType,
    filament_color: job.filamentColor,
    last_report_json: stateJson,
    change_seq: seq,
    updated_at: at,
    preparing_ms: job.preparingMs,
    printing_ms: job.printingMs,
    paused_ms: job.pausedMs,
    phase: job.phase,
    phase_since: job.phaseSince,
    estimated_s: job.estimatedS,
    ams_mapping: job.amsMapping,
  };
}

export function recordOf(row: JobRow): JobRecord {
  return {
    jobKey: row.job_key,
    status: row.status,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    startApproximate: row.start_approximate === 1,
    taskId: row.task_id,
    subtaskId: row.subtask_id,
    jobId: row.printer_job_id,
    name: row.subtask_name,
    gcodeFile: row.gcode_file,
    printType: row.print_type,
    gcodeState: row.gcode_state,
    progressPercent: row.progress_percent,
    layerNum: row.layer_num,
    totalLayers: row.total_layers,
    remainingMin: row.remaining_min,
    printError: row.print_error,
    nozzleDiameter: row.nozzle_diameter,
    nozzleType: row.nozzle_type,
    filamentType: row.filament_type,
    filamentColor: row.filament_color,
    preparingMs: row.preparing_ms,
    printingMs: row.printing_ms,
    pausedMs: row.paused_ms,
    phase: isTimedPhase(row.phase) ? row.phase : null,
    phaseSince: row.phase_since,
    estimatedS: row.estimated_s,
    amsMapping: row.ams_mapping,
  };
}

function isTimedPhase(value: string | null): value is TimedPhase {
  return value === 'preparing' || value === 'printing' || value === 'paused';
}

/** Printers never put their access code in a status report, but a key that looks like one is not stored. */
export function withoutSecrets(state: JsonObject): JsonObject {
  const copy: JsonObject = {};
  for (const [key, value] of Object.entries(state)) {
    if (!/access_?code|password|token/i.test(key)) copy[key] = value;
  }
  return copy;
}
