/**
 * The raw layer on PostgreSQL, for tests of the project on both engines: the same five tables as
 * ingestion/raw-schema.ts, in schema main, filled with a copy of a SQLite raw layer's rows.
 *
 * Stand-in until the listener's PostgreSQL raw writer lands with its own migration: then the lead
 * switches createPostgresRawLayer to it. Keep the DDL here, and only here, in step with raw-schema.ts
 * (TEXT timestamps, as the listener writes them on both engines).
 */
import type { AsyncExecutor } from '../../adapter/index.js';
import type { SqliteDatabase } from '../../lib/sqlite.js';

export const RAW_TABLES = [
  'printers_raw',
  'jobs_raw',
  'job_events_raw',
  'job_files_raw',
  'job_filaments_raw',
];

const RAW_DDL = `
CREATE SCHEMA IF NOT EXISTS main;
CREATE TABLE main.jobs_raw (
  id BIGINT PRIMARY KEY, job_key TEXT NOT NULL UNIQUE, printer_serial TEXT NOT NULL, printer_name TEXT NOT NULL,
  task_id TEXT, subtask_id TEXT, printer_job_id TEXT, subtask_name TEXT, gcode_file TEXT, print_type TEXT,
  status TEXT NOT NULL, gcode_state TEXT, started_at TEXT NOT NULL, ended_at TEXT,
  start_approximate BIGINT NOT NULL DEFAULT 0, progress_percent BIGINT, layer_num BIGINT, total_layers BIGINT,
  remaining_min BIGINT, print_error BIGINT, print_error_hex TEXT, nozzle_diameter TEXT, nozzle_type TEXT,
  filament_type TEXT, filament_color TEXT, last_report_json TEXT, change_seq BIGINT NOT NULL, updated_at TEXT NOT NULL,
  preparing_ms BIGINT, printing_ms BIGINT, paused_ms BIGINT, phase TEXT, phase_since TEXT, estimated_s BIGINT,
  ams_mapping TEXT
);
CREATE INDEX jobs_raw_change_seq ON main.jobs_raw (change_seq);
CREATE TABLE main.job_events_raw (
  seq BIGINT PRIMARY KEY, job_key TEXT NOT NULL, printer_serial TEXT NOT NULL, event TEXT NOT NULL,
  from_status TEXT, to_status TEXT NOT NULL, gcode_state TEXT, print_error BIGINT, at TEXT NOT NULL
);
CREATE TABLE main.printers_raw (
  printer_serial TEXT PRIMARY KEY, printer_name TEXT NOT NULL, cert_fingerprint TEXT, first_seen_at TEXT NOT NULL,
  last_report_at TEXT
);
CREATE TABLE main.job_files_raw (
  job_key TEXT PRIMARY KEY, printer_serial TEXT NOT NULL, status TEXT NOT NULL, reason TEXT, remote_path TEXT,
  plate_index BIGINT, prediction_s BIGINT, plate_weight_g DOUBLE PRECISION, attempts BIGINT NOT NULL,
  recorded_at TEXT NOT NULL, change_seq BIGINT NOT NULL
);
CREATE INDEX job_files_raw_change_seq ON main.job_files_raw (change_seq);
CREATE TABLE main.job_filaments_raw (
  job_key TEXT NOT NULL, source TEXT NOT NULL, slot BIGINT NOT NULL, ams_tray BIGINT, tray_match TEXT,
  filament_type TEXT, filament_color TEXT, tray_info_idx TEXT, used_g DOUBLE PRECISION, used_m DOUBLE PRECISION,
  recorded_at TEXT NOT NULL, change_seq BIGINT NOT NULL, PRIMARY KEY (job_key, source, slot)
);
CREATE INDEX job_filaments_raw_change_seq ON main.job_filaments_raw (change_seq);
`;

/** Creates the raw tables in schema main of an empty database. */
export async function createPostgresRawLayer(pg: AsyncExecutor): Promise<void> {
  await pg.execute(RAW_DDL);
}

/**
 * Makes the PostgreSQL raw layer hold exactly the SQLite raw layer's rows (ids and change sequences
 * included), as if the listener had written both: replaced in one transaction.
 */
export async function copyRawLayer(from: SqliteDatabase, pg: AsyncExecutor): Promise<void> {
  await pg.transaction(async (tx) => {
    for (const table of RAW_TABLES) {
      await tx.execute(`DELETE FROM main.${table}`);
      const rows = from.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[];
      for (const row of rows) {
        const columns = Object.keys(row);
        await tx.execute(
          `INSERT INTO main.${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
          columns.map((c) => row[c]),
        );
      }
    }
  });
}
