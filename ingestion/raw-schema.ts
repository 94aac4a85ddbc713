import type { SqliteDatabase } from '../lib/index.js';

/**
 * The raw layer's schema. The listener owns it and is its only writer; the Dataform project
 * declares these tables as sources (definitions/sources/) and documents every column there.
 *
 * Migrations are append-only: a released step is never edited, a change is a new step.
 * `PRAGMA user_version` records how many steps a file has had.
 *
 * jobs_raw.ended_at is set for every ended job; for `ended_while_disconnected` it is when the listener
 * noticed (an upper bound), as started_at of a `start_approximate` job is a lower bound.
 */
export const RAW_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS jobs_raw (
    id               INTEGER PRIMARY KEY,
    job_key          TEXT    NOT NULL UNIQUE,   -- stable across restarts; synthesized for LAN prints
    printer_serial   TEXT    NOT NULL,
    printer_name     TEXT    NOT NULL,
    task_id          TEXT,                      -- as reported; NULL when the printer sent "0" or ""
    subtask_id       TEXT,
    printer_job_id   TEXT,                      -- the report's job_id (newer firmware)
    subtask_name     TEXT,                      -- the job's name as the printer shows it
    gcode_file       TEXT,
    print_type       TEXT,                      -- cloud | local | ...
    status           TEXT    NOT NULL,          -- running | paused | finished | failed | cancelled | ended_while_disconnected
    gcode_state      TEXT,                      -- last gcode_state seen for this job
    started_at       TEXT    NOT NULL,          -- listener clock, YYYY-MM-DDTHH:MM:SS.sssZ
    ended_at         TEXT,
    start_approximate INTEGER NOT NULL DEFAULT 0, -- 1 when the job was first seen mid-print
    progress_percent INTEGER,
    layer_num        INTEGER,
    total_layers     INTEGER,
    remaining_min    INTEGER,
    print_error      INTEGER,
    print_error_hex  TEXT,                      -- XXXX_XXXX
    nozzle_diameter  TEXT,
    nozzle_type      TEXT,
    filament_type    TEXT,                      -- the active tray's, snapshot while printing
    filament_color   TEXT,                      -- RRGGBBAA
    last_report_json TEXT,                      -- the merged printer state at the last write
    change_seq       INTEGER NOT NULL,          -- job_events_raw.seq of this job's last transition
    updated_at       TEXT    NOT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS jobs_raw_change_seq ON jobs_raw (change_seq)`,
  `CREATE INDEX IF NOT EXISTS jobs_raw_open ON jobs_raw (printer_serial, status)`,
  `
  CREATE TABLE IF NOT EXISTS job_events_raw (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT, -- the change sequence: bumped on every transition
    job_key        TEXT    NOT NULL,
    printer_serial TEXT    NOT NULL,
    event          TEXT    NOT NULL,  -- started | paused | resumed | finished | failed | cancelled | ended_while_disconnected | reattached
    from_status    TEXT,
    to_status      TEXT    NOT NULL,
    gcode_state    TEXT,
    print_error    INTEGER,
    at             TEXT    NOT NULL   -- listener clock
  )`,
  `CREATE INDEX IF NOT EXISTS job_events_raw_job ON job_events_raw (job_key)`,
  `
  CREATE TABLE IF NOT EXISTS printers_raw (
    printer_serial       TEXT PRIMARY KEY,
    printer_name         TEXT NOT NULL,
    cert_fingerprint     TEXT,          -- SHA-256 of the printer's TLS certificate, trusted on first use
    first_seen_at        TEXT NOT NULL,
    last_report_at       TEXT
  )`,
  // When and why the raw layer was rebuilt from the report archive (`bambuzled restate`).
  `
  CREATE TABLE IF NOT EXISTS raw_restatements (
    id             INTEGER PRIMARY KEY,
    restated_at    TEXT    NOT NULL,  -- listener-style clock, YYYY-MM-DDTHH:MM:SS.sssZ
    reason         TEXT    NOT NULL,
    printers       TEXT    NOT NULL,  -- the serials replayed, comma-separated
    since          TEXT,              -- rows of jobs started from then on were replaced; NULL: all archived
    reports        INTEGER NOT NULL,  -- archived reports replayed
    skipped        INTEGER NOT NULL,  -- damaged archive blocks or lines skipped
    jobs_replaced  INTEGER NOT NULL,  -- jobs_raw rows removed
    jobs_written   INTEGER NOT NULL   -- jobs_raw rows written from the replay
  )`,
  // Honest durations (issue 12): the time of each phase is accumulated on the job row as it
  // happens, so that preparing + printing + paused always adds up to ended_at - started_at.
  `
  ALTER TABLE jobs_raw ADD COLUMN preparing_ms INTEGER;
  ALTER TABLE jobs_raw ADD COLUMN printing_ms INTEGER;
  ALTER TABLE jobs_raw ADD COLUMN paused_ms INTEGER;
  ALTER TABLE jobs_raw ADD COLUMN phase TEXT;
  ALTER TABLE jobs_raw ADD COLUMN phase_since TEXT;
  ALTER TABLE jobs_raw ADD COLUMN estimated_s INTEGER;
  ALTER TABLE jobs_raw ADD COLUMN ams_mapping TEXT;
  `,
  // Filament per job (issue 12): what the job's .3mf said, or the AMS remain % change, per filament;
  // and how the fetch of the file went, so that a job without figures says why.
  `
  CREATE TABLE IF NOT EXISTS job_files_raw (
    job_key        TEXT    PRIMARY KEY,
    printer_serial TEXT    NOT NULL,
    status         TEXT    NOT NULL,  -- fetched | not_found | unreadable | no_filaments | login_refused | timeout | error
    reason         TEXT,              -- in words, for a user; never holds the access code
    remote_path    TEXT,              -- where the file was found on the printer
    plate_index    INTEGER,
    prediction_s   INTEGER,           -- the slicer's estimate for the plate
    plate_weight_g REAL,              -- the slicer's grams for the whole plate
    attempts       INTEGER NOT NULL,
    recorded_at    TEXT    NOT NULL,  -- listener clock
    change_seq     INTEGER NOT NULL   -- job_events_raw.seq of the filament_recorded event
  );
  CREATE TABLE IF NOT EXISTS job_filaments_raw (
    job_key        TEXT    NOT NULL,
    source         TEXT    NOT NULL,  -- 3mf | ams_remain
    slot           INTEGER NOT NULL,  -- 1-based slicer slot (3mf) or the AMS tray (ams_remain)
    ams_tray       INTEGER,           -- ams_id * 4 + tray, 254 external; NULL when unknown
    tray_match     TEXT,              -- how ams_tray was found: ams_mapping | type_color | NULL
    filament_type  TEXT,
    filament_color TEXT,              -- RRGGBBAA
    tray_info_idx  TEXT,
    used_g         REAL,              -- for the whole plate (3mf) or the change seen (ams_remain)
    used_m         REAL,
    recorded_at    TEXT    NOT NULL,
    change_seq     INTEGER NOT NULL,
    PRIMARY KEY (job_key, source, slot)
  );
  `,
  // The bronze models read these incrementally by change sequence, as they read jobs_raw.
  `CREATE INDEX IF NOT EXISTS job_files_raw_change_seq ON job_files_raw (change_seq);
  CREATE INDEX IF NOT EXISTS job_filaments_raw_change_seq ON job_filaments_raw (change_seq)`,
];

/** The statuses a job in jobs_raw can have; the terminal ones mean the job has ended. */
export const JOB_STATUSES = [
  'running',
  'paused',
  'finished',
  'failed',
  'cancelled',
  'ended_while_disconnected',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const ENDED_JOB_STATUSES: readonly JobStatus[] = [
  'finished',
  'failed',
  'cancelled',
  'ended_while_disconnected',
];

/** Brings a raw-layer database up to the newest schema, in one transaction. Idempotent. */
export function migrateRawSchema(db: SqliteDatabase): void {
  const applied = db.pragma('user_version', { simple: true }) as number;
  if (applied >= RAW_MIGRATIONS.length) return;
  db.transaction(() => {
    for (const step of RAW_MIGRATIONS.slice(applied)) db.exec(step);
    db.pragma(`user_version = ${RAW_MIGRATIONS.length}`);
  })();
}
