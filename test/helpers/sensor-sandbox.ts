import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RawWriter } from '../../ingestion/index.js';
import type { SqliteDatabase } from '../../lib/index.js';
import { kitRecord, readKitJob, writeKitJob } from './raw-test-kit.js';

/**
 * A small stand-in for the real pipeline, for the scheduler's tests and benchmark: a Dataform project
 * with a declaration of jobs_raw and an incremental jobs_brz tagged bronze (plus an assertion that
 * fails on a job named "poison"), and a writer that plays the listener's part in the raw layer.
 */
export function writeSensorProject(dir: string): string {
  mkdirSync(join(dir, 'definitions'), { recursive: true });
  writeFileSync(
    join(dir, 'workflow_settings.yaml'),
    'defaultProject: bambuzled\ndefaultDataset: main\ndefaultAssertionDataset: assertions\n',
  );
  writeFileSync(
    join(dir, 'definitions', 'jobs_raw.sqlx'),
    'config { type: "declaration", name: "jobs_raw" }\n',
  );
  writeFileSync(
    join(dir, 'definitions', 'jobs_brz.sqlx'),
    `config { type: "incremental", tags: ["bronze"], uniqueKey: ["job_id"] }
SELECT job_key AS job_id, printer_serial, subtask_name AS job_name, gcode_file, started_at,
       ended_at AS finished_at,
       CAST((julianday(ended_at) - julianday(started_at)) * 86400 AS INTEGER) AS duration_s,
       total_layers
  FROM \${ref("jobs_raw")}
 WHERE status = 'finished'
`,
  );
  writeFileSync(
    join(dir, 'definitions', 'no_poison_jobs.sqlx'),
    `config { type: "assertion", tags: ["bronze"] }
SELECT job_id, job_name FROM \${ref("jobs_brz")} WHERE job_name = 'poison'
`,
  );
  return dir;
}

/**
 * Adds `slow_brz` to a sensor project: a bronze table downstream of jobs_brz whose query counts to a
 * billion (minutes of work), so that a test or a benchmark can cancel a run in the middle of it.
 */
export function writeSlowAction(dir: string): string {
  writeFileSync(
    join(dir, 'definitions', 'slow_brz.sqlx'),
    `config { type: "table", tags: ["bronze"] }
WITH RECURSIVE counter(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM counter WHERE n < 1000000000)
SELECT (SELECT count(*) FROM counter) AS counted, job_id FROM \${ref("jobs_brz")}
`,
  );
  return dir;
}

/**
 * Writes raw rows through the listener's own RawWriter (test/helpers/raw-test-kit.ts): the job row and
 * its transition in one transaction. The writer's transactions are IMMEDIATE (the write lock first,
 * waiting for it up to the connection's busy timeout): a deferred one that reads first fails at once
 * with "database is locked" when another connection (a scheduler's, in its own process) commits
 * between its read and its first write.
 */
export class RawLayerWriter {
  private readonly writer: RawWriter;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.writer = new RawWriter(db);
  }

  /** A job starts on a printer; returns the change seq of the transition. */
  start(printerSerial: string, jobKey: string, jobName = jobKey): number {
    const job = kitRecord({
      jobKey,
      status: 'running',
      startedAt: this.now().toISOString(),
      name: jobName,
      gcodeFile: `${jobName}.gcode.3mf`,
      gcodeState: 'RUNNING',
      totalLayers: 120,
    });
    return writeKitJob(this.writer, { serial: printerSerial, name: `printer ${printerSerial}` }, job, null);
  }

  /** A job ends (finished by default); returns the change seq of the transition. */
  end(jobKey: string, event: 'finished' | 'failed' | 'cancelled' = 'finished'): number {
    const known = readKitJob(this.db, jobKey);
    if (!known) throw new Error(`RawLayerWriter: no job ${jobKey}; start it first`);
    const { job, printer } = known;
    const ended = {
      ...job,
      status: event,
      gcodeState: event === 'finished' ? 'FINISH' : 'FAILED',
      endedAt: this.now().toISOString(),
    };
    return writeKitJob(this.writer, printer, ended, job.status, { lastReport: null });
  }
}
