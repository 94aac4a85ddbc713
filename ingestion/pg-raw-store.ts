import pg from 'pg';
import { filamentRowValues, fileRowValues } from './filament-record-values.js';
import type { JobRecord, JobWrite } from './job-record.js';
import { pgRefusal, serverPlace } from './pg-refusal.js';
import type { JobStatus } from './raw-schema.js';
import {
  CHANGE_SEQ_LOCK,
  migratePostgresRawSchema,
  POSTGRES_RAW_SCHEMA,
  pgIdentifier,
} from './raw-schema-postgres.js';
import type { RawStore, WriteRefusal } from './raw-store.js';
import {
  type FilamentRecord,
  type JobHints,
  type JobRow,
  type ReportWrite,
  recordOf,
  rowOf,
  type WrittenTransition,
  withoutSecrets,
} from './raw-writer.js';

/** jobs_raw's columns as rowOf names them, in the order of the statements' parameters. */
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
  'preparing_ms',
  'printing_ms',
  'paused_ms',
  'phase',
  'phase_since',
  'estimated_s',
  'ams_mapping',
] as const;

const EVENT_COLUMNS = 'job_key, printer_serial, event, from_status, to_status, gcode_state, print_error, at';
const UPDATED = JOB_COLUMNS.filter((c) => c !== 'job_key' && c !== 'printer_serial' && c !== 'started_at');
const SET = UPDATED.map((c) =>
  c === 'last_report_json' ? `${c} = COALESCE(EXCLUDED.${c}, jobs_raw.${c})` : `${c} = EXCLUDED.${c}`,
).join(', ');
const JOB_PARAMS = JOB_COLUMNS.map((_, i) => `$${i + 9}`).join(', ');

// A transition: its event row and the job row in one statement, the job's change_seq = the event's seq.
const UPSERT_WITH_EVENT = `
  WITH e AS (
    INSERT INTO job_events_raw (${EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq)
  INSERT INTO jobs_raw (${JOB_COLUMNS.join(', ')}, change_seq)
  VALUES (${JOB_PARAMS}, (SELECT seq FROM e))
  ON CONFLICT (job_key) DO UPDATE SET ${SET}, change_seq = EXCLUDED.change_seq
  RETURNING change_seq`;
// Progress only: the job's change_seq stays what its last transition made it.
const UPSERT_PROGRESS = `
  INSERT INTO jobs_raw (${JOB_COLUMNS.join(', ')}, change_seq)
  VALUES (${JOB_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}, 0)
  ON CONFLICT (job_key) DO UPDATE SET ${SET}`;
const TOUCH_PRINTER = `
  INSERT INTO printers_raw (printer_serial, printer_name, first_seen_at, last_report_at) VALUES ($1, $2, $3, $4)
  ON CONFLICT (printer_serial) DO UPDATE SET
    printer_name = EXCLUDED.printer_name, last_report_at = EXCLUDED.last_report_at`;
const INSERT_EVENT = `INSERT INTO job_events_raw (${EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq`;
const UPSERT_FILE = `
  INSERT INTO job_files_raw (job_key, printer_serial, status, reason, remote_path, plate_index, prediction_s,
    plate_weight_g, attempts, recorded_at, change_seq)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
  ON CONFLICT (job_key) DO UPDATE SET
    status = EXCLUDED.status, reason = EXCLUDED.reason, remote_path = EXCLUDED.remote_path,
    plate_index = EXCLUDED.plate_index, prediction_s = EXCLUDED.prediction_s,
    plate_weight_g = EXCLUDED.plate_weight_g, attempts = EXCLUDED.attempts,
    recorded_at = EXCLUDED.recorded_at, change_seq = EXCLUDED.change_seq`;
const UPSERT_FILAMENT = `
  INSERT INTO job_filaments_raw (job_key, source, slot, ams_tray, tray_match, filament_type, filament_color,
    tray_info_idx, used_g, used_m, recorded_at, change_seq)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
  ON CONFLICT (job_key, source, slot) DO UPDATE SET
    ams_tray = EXCLUDED.ams_tray, tray_match = EXCLUDED.tray_match, filament_type = EXCLUDED.filament_type,
    filament_color = EXCLUDED.filament_color, tray_info_idx = EXCLUDED.tray_info_idx,
    used_g = EXCLUDED.used_g, used_m = EXCLUDED.used_m, recorded_at = EXCLUDED.recorded_at,
    change_seq = EXCLUDED.change_seq`;
// Takes the change-sequence lock: see PgRawStore.
const LOCK_SEQ = `SELECT pg_advisory_xact_lock(${CHANGE_SEQ_LOCK})`;

// BIGINT comes back as text by default (it may exceed 2^53); the raw layer's never do.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

export interface PgRawStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** The PostgreSQL schema of the raw tables (the Dataform sources' schema). */
  schema?: string;
  /** Connections kept; one write transaction holds one. */
  maxConnections?: number;
  /** How long to wait for a connection to the server before the write counts as refused. */
  connectTimeoutMs?: number;
}

/**
 * Writes the raw layer into PostgreSQL, one transaction per report, through a small pool that
 * reconnects by itself: a server that is down, restarting or refusing is a refusal (the tracker
 * keeps the reports and retries), never a crash. The schema is migrated on the first connection
 * that works, so the listener starts even while the server is away.
 *
 * The change sequence across listeners: job_events_raw.seq is one PostgreSQL sequence, and every
 * transaction that draws from it first takes a transaction-scoped advisory lock, held until it
 * commits. So seqs are committed in the order they are drawn, and a reader that has seen seq N
 * will never later find a committed seq below N (which `seq > cursor` would miss). The lock is
 * only taken by writes with a transition (a start, an end, a filament record): progress updates,
 * the bulk of the reports, do not wait for it.
 */
export class PgRawStore implements RawStore {
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly schema: string;
  private migrated: Promise<void> | null = null;
  private readonly place;

  constructor(options: PgRawStoreOptions) {
    this.place = serverPlace(options.url);
    this.location = `the PostgreSQL database "${this.place.database}" on ${this.place.host}:${this.place.port}`;
    this.schema = options.schema ?? POSTGRES_RAW_SCHEMA;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      options: `-c search_path=${pgIdentifier(this.schema)}`,
      types,
    });
    // An idle connection the server dropped: the pool discards it; the next write reconnects.
    this.pool.on('error', () => {});
  }

  /** Creates or upgrades the raw schema now (the CLI calls this at start to report a bad URL at once). */
  async migrate(): Promise<void> {
    await this.withClient(async () => {});
  }

  async write(report: ReportWrite): Promise<WrittenTransition[]> {
    if (report.writes.length === 0 && !report.touchPrinter) return [];
    return this.transaction(
      report.writes.some((w) => w.transition),
      async (client) => {
        const { printer, at, writes, state, touchPrinter } = report;
        const written: WrittenTransition[] = [];
        const stateJson = writes.length > 0 ? JSON.stringify(withoutSecrets(state)) : null;
        for (const write of writes) {
          const row = rowOf(write.job, printer, reportJsonOf(write, stateJson), null, at);
          const values = JOB_COLUMNS.map((c) => row[c]);
          const { transition, job } = write;
          if (!transition) {
            await client.query(UPSERT_PROGRESS, values);
            continue;
          }
          const event = [
            job.jobKey,
            printer.serial,
            transition.event,
            transition.fromStatus,
            transition.toStatus,
            job.gcodeState,
            job.printError,
            at,
          ];
          const { rows } = await client.query(UPSERT_WITH_EVENT, [...event, ...values]);
          written.push({ jobKey: job.jobKey, ...transition, seq: Number(rows[0]?.change_seq), at });
        }
        if (touchPrinter) await client.query(TOUCH_PRINTER, [printer.serial, printer.name, at, at]);
        return written;
      },
    );
  }

  async openJobs(serial: string): Promise<JobRecord[]> {
    const { rows } = await this.withClient((client) =>
      client.query(
        `SELECT * FROM jobs_raw WHERE printer_serial = $1 AND status IN ('running', 'paused') ORDER BY id`,
        [serial],
      ),
    );
    return (rows as unknown as JobRow[]).map(recordOf);
  }

  async keyTaken(key: string): Promise<boolean> {
    const { rows } = await this.withClient((client) =>
      client.query('SELECT 1 FROM jobs_raw WHERE job_key = $1', [key]),
    );
    return rows.length > 0;
  }

  async jobHints(key: string): Promise<JobHints | null> {
    const { rows } = await this.withClient((client) =>
      client.query(
        'SELECT subtask_name, gcode_file, status, ams_mapping, phase FROM jobs_raw WHERE job_key = $1',
        [key],
      ),
    );
    return hintsOf(rows[0]);
  }

  async fileFetched(key: string): Promise<boolean> {
    const { rows } = await this.withClient((client) =>
      client.query(`SELECT 1 FROM job_files_raw WHERE job_key = $1 AND status = 'fetched'`, [key]),
    );
    return rows.length > 0;
  }

  async recordFilament(record: FilamentRecord): Promise<WrittenTransition | null> {
    return this.transaction(true, async (client) => {
      const { rows } = await client.query(
        'SELECT subtask_name, gcode_file, status, ams_mapping, phase FROM jobs_raw WHERE job_key = $1',
        [record.jobKey],
      );
      const hints = hintsOf(rows[0]);
      if (!hints) return null;
      const inserted = await client.query(INSERT_EVENT, [
        record.jobKey,
        record.printerSerial,
        'filament_recorded',
        hints.status,
        hints.status,
        null,
        null,
        record.at,
      ]);
      const seq = Number(inserted.rows[0]?.seq);
      if (record.status !== null) {
        await client.query(UPSERT_FILE, fileRowValues(record, seq));
      }
      for (const f of record.filaments) {
        await client.query(UPSERT_FILAMENT, filamentRowValues(record, f, seq));
      }
      return {
        jobKey: record.jobKey,
        event: 'filament_recorded' as const,
        fromStatus: hints.status,
        toStatus: hints.status,
        seq,
        at: record.at,
      };
    });
  }

  refusal(error: unknown): WriteRefusal | null {
    return pgRefusal(this.place, error);
  }

  /** Closes the pool's connections; writes in flight finish first. */
  async close(): Promise<void> {
    await this.pool.end();
  }

  private async transaction<T>(drawsSeq: boolean, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        if (drawsSeq) await client.query(LOCK_SEQ);
        const result = await body(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }

  private async withClient<T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      if (!this.migrated) {
        this.migrated = migratePostgresRawSchema(client, this.schema);
        // A failed migration is tried again with the next write.
        this.migrated.catch(() => {
          this.migrated = null;
        });
      }
      await this.migrated;
      return await body(client);
    } catch (error) {
      // A connection the server dropped must not go back to the pool.
      if (isConnectionLoss(error)) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

function reportJsonOf(write: JobWrite, stateJson: string | null): string | null {
  const { lastReport } = write;
  return lastReport === undefined ? stateJson : lastReport && JSON.stringify(withoutSecrets(lastReport));
}

function hintsOf(row: Record<string, unknown> | undefined): JobHints | null {
  if (!row) return null;
  return {
    name: row.subtask_name as string | null,
    gcodeFile: row.gcode_file as string | null,
    status: row.status as JobStatus,
    amsMapping: row.ams_mapping as string | null,
    phase: row.phase as string | null,
  };
}

function isConnectionLoss(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P') || code.startsWith('E')))
    return true;
  return error instanceof Error && /connection|terminat/i.test(error.message);
}
