import { isMissingTable, type QueryRows } from '../lib/index.js';

/**
 * Read-only queries over the raw layer's change sequence (the change feed), for the scheduler.
 * The sequence is job_events_raw.seq: one row per transition, so a job that started earlier
 * but finished later still gets a higher number than anything seen before. Portable SQL over an
 * injected query function, so that any engine (and any connection) can serve it.
 */

/**
 * A query function over the raw layer, with the change feed's table as the engine names it (SQLite:
 * `job_events_raw`; PostgreSQL: `"main"."job_events_raw"`, the raw schema). Plain QueryRows read
 * `job_events_raw` unqualified.
 */
export type ChangeFeedQuery = QueryRows & { readonly feedTable?: string };

/** The change feed's target: the raw schema (the Dataform sources' default schema) and its table. */
export const CHANGE_FEED_TARGET = { schema: 'main', name: 'job_events_raw' } as const;

/** `query`, reading the change feed from `feedTable`. */
export function changeFeed(query: QueryRows, feedTable: string): ChangeFeedQuery {
  return Object.assign((sql: string, params?: readonly unknown[]) => query(sql, params), { feedTable });
}

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
export async function latestChangeSeq(query: ChangeFeedQuery): Promise<number> {
  const rows = await orNothing(query(`SELECT COALESCE(MAX(seq), 0) AS seq FROM ${feedOf(query)}`));
  return Number(rows[0]?.seq ?? 0);
}

/**
 * Jobs that ended (finished, failed, cancelled, or ended while disconnected) after `cursor`, and
 * ended jobs whose filament was recorded after `cursor` (event filament_recorded).
 */
export async function jobsEndedSince(
  query: ChangeFeedQuery,
  cursor: number,
  limit = 1000,
): Promise<EndedJob[]> {
  const rows = await orNothing(
    query(
      `SELECT seq, job_key, printer_serial, event, at
         FROM ${feedOf(query)}
        WHERE seq > ? AND ${ENDING}
        ORDER BY seq
        LIMIT ?`,
      [cursor, limit],
    ),
  );
  return rows.map((row) => ({
    seq: Number(row.seq),
    jobKey: String(row.job_key),
    printerSerial: String(row.printer_serial),
    event: String(row.event),
    at: String(row.at),
  }));
}

function feedOf(query: ChangeFeedQuery): string {
  return query.feedTable ?? 'job_events_raw';
}

/** Before the listener first ran there is no raw layer: that is "no change", not a failure. */
async function orNothing(rows: Promise<Record<string, unknown>[]>): Promise<Record<string, unknown>[]> {
  try {
    return await rows;
  } catch (error) {
    if (isMissingTable(error)) return [];
    throw error;
  }
}
