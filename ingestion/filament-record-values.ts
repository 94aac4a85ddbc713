/**
 * The positional values of the job_files_raw and job_filaments_raw upserts, in the order both raw
 * stores' statements (SQLite and PostgreSQL) list their columns: one place, so the two cannot drift.
 */
import type { FilamentRecord, FilamentRow } from './raw-write-types.js';

/** job_key, printer_serial, status, reason, remote_path, plate_index, prediction_s, plate_weight_g, attempts, recorded_at, change_seq */
export function fileRowValues(record: FilamentRecord, seq: number): unknown[] {
  return [
    record.jobKey,
    record.printerSerial,
    record.status,
    record.reason,
    record.remotePath,
    record.plateIndex,
    record.predictionS,
    record.plateWeightG,
    record.attempts,
    record.at,
    seq,
  ];
}

/** job_key, source, slot, ams_tray, tray_match, filament_type, filament_color, tray_info_idx, used_g, used_m, recorded_at, change_seq */
export function filamentRowValues(record: FilamentRecord, row: FilamentRow, seq: number): unknown[] {
  return [
    record.jobKey,
    row.source,
    row.slot,
    row.amsTray,
    row.trayMatch,
    row.filamentType,
    row.filamentColor,
    row.trayInfoIdx,
    row.usedG,
    row.usedM,
    record.at,
    seq,
  ];
}
