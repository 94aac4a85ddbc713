import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SqliteDatabase } from '../lib/index.js';

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
 * Writes raw rows as the listener does: the job row and its transition in one transaction. It is
 * IMMEDIATE (the write lock first, waiting for it): a deferred one that reads first fails at once
 * with "database is locked" when another connection (a scheduler's, in its own process) commits
 * between its read and its first write.
 */
export class RawLayerWriter {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A job starts on a printer; returns the change seq of the transition. */
  start(printerSerial: string, jobKey: string, jobName = jobKey): number {
    const at = this.now().toISOString();
    return this.db
      .transaction(() => {
        const seq = this.event(jobKey, printerSerial, 'started', null, 'running', at);
        this.db
          .prepare(
            `INSERT INTO jobs_raw (job_key, printer_serial, printer_name, subtask_name, gcode_file, status,
             gcode_state, started_at, total_layers, change_seq, updated_at)
           VALUES (?, ?, ?, ?, ?, 'running', 'RUNNING', ?, 120, ?, ?)`,
          )
          .run(
            jobKey,
            printerSerial,
            `printer ${printerSerial}`,
            jobName,
            `${jobName}.gcode.3mf`,
            at,
            seq,
            at,
          );
        return seq;
      })
      .immediate();
  }

  /** A job ends (finished by default); returns the change seq of the transition. */
  end(jobKey: string, event: 'finished' | 'failed' | 'cancelled' = 'finished'): number {
    const at = this.now().toISOString();
    return this.db
      .transaction(() => {
        const job = this.db
          .prepare('SELECT printer_serial, status FROM jobs_raw WHERE job_key = ?')
          .get(jobKey) as { printer_serial: string; status: string } | undefined;
        if (!job) throw new Error(`RawLayerWriter: no job ${jobKey}; start it first`);
        const seq = this.event(jobKey, job.printer_serial, event, job.status, event, at);
        this.db
          .prepare(
            `UPDATE jobs_raw SET status = ?, gcode_state = ?, ended_at = ?, change_seq = ?, updated_at = ?
            WHERE job_key = ?`,
          )
          .run(event, event === 'finished' ? 'FINISH' : 'FAILED', at, seq, at, jobKey);
        return seq;
      })
      .immediate();
  }

  private event(
    jobKey: string,
    printerSerial: string,
    event: string,
    from: string | null,
    to: string,
    at: string,
  ): number {
    const info = this.db
      .prepare(
        `INSERT INTO job_events_raw (job_key, printer_serial, event, from_status, to_status, at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(jobKey, printerSerial, event, from, to, at);
    return Number(info.lastInsertRowid);
  }
}
