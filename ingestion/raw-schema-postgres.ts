/**
 * The raw layer's schema on PostgreSQL: the same tables and column names as on SQLite
 * (raw-schema.ts), with types the same models read on both engines: TEXT timestamps in the
 * listener's ISO format, BIGINT integers, DOUBLE PRECISION for SQLite's REAL, and the change
 * sequence (job_events_raw.seq) a BIGSERIAL, i.e. a PostgreSQL sequence shared by every listener.
 *
 * The tables live in the PostgreSQL schema the Dataform sources declare (their default schema,
 * `main`: a Dataform schema is a PostgreSQL schema of the same name). Append-only, like
 * RAW_MIGRATIONS: a released step is never edited; `raw_schema_version` records how many ran.
 * Statements are unqualified: they run with the raw schema as the search_path.
 */
export const POSTGRES_RAW_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS jobs_raw (
    id                BIGSERIAL PRIMARY KEY,
    job_key           TEXT    NOT NULL UNIQUE,
    printer_serial    TEXT    NOT NULL,
    printer_name      TEXT    NOT NULL,
    task_id           TEXT,
    subtask_id        TEXT,
    printer_job_id    TEXT,
    subtask_name      TEXT,
    gcode_file        TEXT,
    print_type        TEXT,
    status            TEXT    NOT NULL,
    gcode_state       TEXT,
    started_at        TEXT    NOT NULL,
    ended_at          TEXT,
    start_approximate INTEGER NOT NULL DEFAULT 0,
    progress_percent  BIGINT,
    layer_num         BIGINT,
    total_layers      BIGINT,
    remaining_min     BIGINT,
    print_error       BIGINT,
    print_error_hex   TEXT,
    nozzle_diameter   TEXT,
    nozzle_type       TEXT,
    filament_type     TEXT,
    filament_color    TEXT,
    last_report_json  TEXT,
    change_seq        BIGINT  NOT NULL,
    updated_at        TEXT    NOT NULL,
    preparing_ms      BIGINT,
    printing_ms       BIGINT,
    paused_ms         BIGINT,
    phase             TEXT,
    phase_since       TEXT,
    estimated_s       BIGINT,
    ams_mapping       TEXT
  );
  CREATE INDEX IF NOT EXISTS jobs_raw_change_seq ON jobs_raw (change_seq);
  CREATE INDEX IF NOT EXISTS jobs_raw_open ON jobs_raw (printer_serial, status);
  CREATE TABLE IF NOT EXISTS job_events_raw (
    seq            BIGSERIAL PRIMARY KEY,
    job_key        TEXT   NOT NULL,
    printer_serial TEXT   NOT NULL,
    event          TEXT   NOT NULL,
    from_status    TEXT,
    to_status      TEXT   NOT NULL,
    gcode_state    TEXT,
    print_error    BIGINT,
    at             TEXT   NOT NULL
  );
  CREATE INDEX IF NOT EXISTS job_events_raw_job ON job_events_raw (job_key);
  CREATE TABLE IF NOT EXISTS printers_raw (
    printer_serial   TEXT PRIMARY KEY,
    printer_name     TEXT NOT NULL,
    cert_fingerprint TEXT,
    first_seen_at    TEXT NOT NULL,
    last_report_at   TEXT
  );
  CREATE TABLE IF NOT EXISTS raw_restatements (
    id            BIGSERIAL PRIMARY KEY,
    restated_at   TEXT   NOT NULL,
    reason        TEXT   NOT NULL,
    printers      TEXT   NOT NULL,
    since         TEXT,
    reports       BIGINT NOT NULL,
    skipped       BIGINT NOT NULL,
    jobs_replaced BIGINT NOT NULL,
    jobs_written  BIGINT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS job_files_raw (
    job_key        TEXT   PRIMARY KEY,
    printer_serial TEXT   NOT NULL,
    status         TEXT   NOT NULL,
    reason         TEXT,
    remote_path    TEXT,
    plate_index    BIGINT,
    prediction_s   BIGINT,
    plate_weight_g DOUBLE PRECISION,
    attempts       BIGINT NOT NULL,
    recorded_at    TEXT   NOT NULL,
    change_seq     BIGINT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS job_filaments_raw (
    job_key        TEXT   NOT NULL,
    source         TEXT   NOT NULL,
    slot           BIGINT NOT NULL,
    ams_tray       BIGINT,
    tray_match     TEXT,
    filament_type  TEXT,
    filament_color TEXT,
    tray_info_idx  TEXT,
    used_g         DOUBLE PRECISION,
    used_m         DOUBLE PRECISION,
    recorded_at    TEXT   NOT NULL,
    change_seq     BIGINT NOT NULL,
    PRIMARY KEY (job_key, source, slot)
  );
  CREATE INDEX IF NOT EXISTS job_files_raw_change_seq ON job_files_raw (change_seq);
  CREATE INDEX IF NOT EXISTS job_filaments_raw_change_seq ON job_filaments_raw (change_seq);
  `,
];

/** The PostgreSQL schema of the raw tables: the Dataform sources' default schema. */
export const POSTGRES_RAW_SCHEMA = 'main';

/** Advisory lock keys (pg_advisory_xact_lock): one for migrations, one for the change sequence. */
export const MIGRATION_LOCK = 0x62616d01;
export const CHANGE_SEQ_LOCK = 0x62616d02;

/** The slice of a node-postgres client the migration uses. */
export interface PgQueryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** `"name"`, for a schema name in SQL. */
export function pgIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Brings the raw layer on PostgreSQL up to the newest schema, in one transaction, under an
 * advisory lock: listeners that start together take turns instead of racing on CREATE SCHEMA.
 * Idempotent. The client's search_path must name the raw schema.
 */
export async function migratePostgresRawSchema(
  client: PgQueryable,
  schema: string = POSTGRES_RAW_SCHEMA,
): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${pgIdentifier(schema)}`);
    await client.query(`SET LOCAL search_path TO ${pgIdentifier(schema)}`);
    await client.query('CREATE TABLE IF NOT EXISTS raw_schema_version (version INTEGER NOT NULL)');
    const { rows } = await client.query(
      'SELECT COALESCE(MAX(version), 0) AS version FROM raw_schema_version',
    );
    const applied = Number(rows[0]?.version ?? 0);
    for (const step of POSTGRES_RAW_MIGRATIONS.slice(applied)) await client.query(step);
    if (applied < POSTGRES_RAW_MIGRATIONS.length) {
      await client.query('DELETE FROM raw_schema_version');
      await client.query('INSERT INTO raw_schema_version (version) VALUES ($1)', [
        POSTGRES_RAW_MIGRATIONS.length,
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
