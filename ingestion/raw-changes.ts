import type { SqliteDatabase } from '../lib/sqlite.js';

/**
 * Read-only queries over the raw layer's change sequence, for the scheduler.
 * The sequence is job_events_raw.seq: one row per transition, so a job that started earlier
 * but finished later still gets a higher number than anything seen before.
 */

export interface EndedJob {
  seq: number;
  jobKey: string;
  printerSerial: string;
  event: string;
  at: string;
}

const ENDED = `('finished', 'failed', 'cancelled', 'ended_while_disconnected')`;
// A job's filament figures that arrive after it ended are news for the models as much as its end.
const ENDING = `(event IN ${ENDED} OR (event = 'filament_recorded' AND to_status IN ${ENDED}))`;

/** The highest change sequence in the raw layer, or 0 when there is none (or no raw layer yet). */
export function latestChangeSeq(db: SqliteDatabase): number {
  if (!hasEventsTable(db)) return 0;
  const row = db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM job_events_raw').get() as { seq: number };
  return row.seq;
}

/**
 * Jobs that ended (finished, failed, cancelled, or ended while disconnected) after `cursor`, and
 * ended jobs whose filament was recorded after `cursor` (event filament_recorded).
 */
export function jobsEndedSince(db: SqliteDatabase, cursor: number, limit = 1000): EndedJob[] {
  if (!hasEventsTable(db)) return [];
  return db
    .prepare(
      `SELECT seq, job_key AS jobKey, printer_serial AS printerSerial, event, at
         FROM job_events_raw
        WHERE seq > ? AND ${ENDING}
        ORDER BY seq
        LIMIT ?`,
    )
    .all(cursor, limit) as EndedJob[];
}

function hasEventsTable(db: SqliteDatabase): boolean {
  return (
    db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'job_events_raw'`).get() !==
    undefined
  );
}
