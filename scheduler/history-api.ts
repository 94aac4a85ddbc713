import type { QueryRows } from '../lib/index.js';

/**
 * Moonraker's history API (`/server/history/list`, `/job`, `/totals`), answered from the models so
 * that tools that speak Moonraker read Bambu history. Shapes follow Moonraker's history component:
 * every answer is `{"result": …}`, an error `{"error": {"code", "message"}}`. Ended jobs come from
 * jobs_slv, jobs still printing from jobs_raw; nothing is kept as a counter. The totals are summed
 * over jobs_slv too: the gold tables round (hours and grams to two decimals) and have no per-job
 * maximum, so totals from them would not agree with the jobs to the second and the millimetre. Engine-neutral: every
 * read goes through QueryRows with `?` placeholders and times are converted here, not in SQL.
 */

/** One job in Moonraker's shape. */
export interface MoonrakerJob {
  job_id: string;
  user: string;
  filename: string;
  exists: boolean;
  status: 'completed' | 'cancelled' | 'error' | 'interrupted' | 'in_progress';
  start_time: number;
  end_time: number | null;
  print_duration: number;
  total_duration: number;
  filament_used: number;
  metadata: Record<string, unknown>;
  auxiliary_data: {
    provider: string;
    name: string;
    value: unknown;
    description: string;
    units: string | null;
  }[];
}

export interface HistoryAnswer {
  status: number;
  body: unknown;
}

/** jobs_slv's outcome in Moonraker's words. */
export const STATUS_OF_OUTCOME: Readonly<Record<string, MoonrakerJob['status']>> = {
  finished: 'completed',
  cancelled: 'cancelled',
  failed: 'error',
  ended_while_disconnected: 'interrupted',
};

class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const ENDED_JOBS = `
  SELECT job_id, printer_serial, printer_name, job_name, gcode_file, outcome, started_at, ended_at, duration_s,
         printing_s, estimated_s, filament_g, filament_m, filament_type, filament_color, total_layers, nozzle_diameter
  FROM jobs_slv`;

const OPEN_JOBS = `
  SELECT job_key AS job_id, printer_serial, printer_name, subtask_name AS job_name, gcode_file, status AS outcome,
         started_at, NULL AS ended_at, NULL AS duration_s, NULL AS printing_s, NULL AS estimated_s, NULL AS filament_g,
         NULL AS filament_m, filament_type, filament_color, total_layers, nozzle_diameter
  FROM jobs_raw WHERE status IN ('running', 'paused')`;

const TOTALS = `
  SELECT COUNT(*) AS total_jobs, COALESCE(SUM(duration_s), 0) AS total_time,
         COALESCE(SUM(printing_s), 0) AS total_print_time, COALESCE(SUM(filament_m), 0) AS total_filament_m,
         COALESCE(MAX(duration_s), 0) AS longest_job, COALESCE(MAX(printing_s), 0) AS longest_print
  FROM jobs_slv`;

/** The answer to a GET on a /server/history/ path; never throws for a user's mistake. */
export async function answerHistory(
  path: string,
  params: URLSearchParams,
  query: QueryRows,
  now: Date,
): Promise<HistoryAnswer> {
  try {
    if (path === '/server/history/list') return ok(await listJobs(params, query, now));
    if (path === '/server/history/job') return ok(await oneJob(params, query, now));
    if (path === '/server/history/totals') return ok(await totals(query));
    throw new BadRequest(404, `No history API at ${path}: use /server/history/list, /job?uid=… or /totals.`);
  } catch (error) {
    if (error instanceof BadRequest)
      return { status: error.status, body: moonrakerError(error.status, error.message) };
    throw error;
  }
}

export function moonrakerError(code: number, message: string) {
  return { error: { code, message } };
}

function ok(result: unknown): HistoryAnswer {
  return { status: 200, body: { result } };
}

async function listJobs(params: URLSearchParams, query: QueryRows, now: Date) {
  const limit = integerParam(params, 'limit', 50);
  const start = integerParam(params, 'start', 0);
  const since = timeParam(params, 'since');
  const before = timeParam(params, 'before');
  const order = (params.get('order') ?? 'desc').toLowerCase();
  if (order !== 'asc' && order !== 'desc') {
    throw new BadRequest(400, `Invalid \`order\` value "${params.get('order')}": use asc or desc.`);
  }
  // Moonraker: since keeps jobs that started after it, before those that ended before it (so a job
  // still printing, with no end, is left out by before: NULL < x is not true in SQL).
  const where: string[] = [];
  const values: unknown[] = [];
  if (since !== undefined) {
    where.push('started_at > ?');
    values.push(since);
  }
  if (before !== undefined) {
    where.push('ended_at < ?');
    values.push(before);
  }
  const direction = order === 'asc' ? 'ASC' : 'DESC';
  // Paged in SQL, so that a long history is never read whole. Limit 0 means every job (Moonraker);
  // then the offset is applied here, since an OFFSET without LIMIT is written differently per engine.
  const page = limit > 0 ? ' LIMIT ? OFFSET ?' : '';
  const tail = `${clause(where)} ORDER BY started_at ${direction}, job_id ${direction}${page}`;
  const pageValues = limit > 0 ? [...values, limit, start] : values;
  // Before the first run there is no jobs_slv (only the jobs still printing are known); a database
  // without the raw layer has no jobs_raw.
  const sources = [
    ...((await tableExists(query, 'jobs_slv')) ? [ENDED_JOBS] : []),
    ...((await tableExists(query, 'jobs_raw')) ? [OPEN_JOBS] : []),
  ];
  const rows =
    sources.length === 0
      ? []
      : await query(`SELECT * FROM (${sources.join(' UNION ALL ')}) AS j${tail}`, pageValues);
  const jobs = (limit > 0 ? rows : rows.slice(start)).map((row) => jobOf(row, now));
  return { count: jobs.length, jobs };
}

/** Whether a table can be read at all (an empty result is not the same as a missing table). */
async function tableExists(query: QueryRows, table: string): Promise<boolean> {
  try {
    await query(`SELECT 1 FROM ${table} WHERE 1 = 0`);
    return true;
  } catch {
    return false;
  }
}

async function oneJob(params: URLSearchParams, query: QueryRows, now: Date) {
  const uid = params.get('uid');
  if (uid === null || uid.trim() === '') {
    throw new BadRequest(
      400,
      'The `uid` parameter is missing: /server/history/job?uid=<job_id from /server/history/list>.',
    );
  }
  const rows = [
    ...(await rowsOrNone(query, `${ENDED_JOBS} WHERE job_id = ?`, [uid])),
    ...(await rowsOrNone(query, `${OPEN_JOBS} AND job_key = ?`, [uid])),
  ];
  const row = rows[0];
  if (!row) throw new BadRequest(404, `Invalid job uid: ${uid}`);
  return { job: jobOf(row, now) };
}

async function totals(query: QueryRows) {
  const row = (await rowsOrNone(query, TOTALS, []))[0] ?? {};
  return {
    job_totals: {
      total_jobs: num(row.total_jobs) ?? 0,
      total_time: num(row.total_time) ?? 0,
      total_print_time: num(row.total_print_time) ?? 0,
      total_filament_used: round((num(row.total_filament_m) ?? 0) * 1000, 3),
      longest_job: num(row.longest_job) ?? 0,
      longest_print: num(row.longest_print) ?? 0,
    },
    auxiliary_totals: [],
  };
}

/** A row of jobs_slv (or an open job of jobs_raw) in Moonraker's job shape. */
export function jobOf(row: Record<string, unknown>, now: Date): MoonrakerJob {
  const startMs = Date.parse(String(row.started_at));
  const endMs = row.ended_at ? Date.parse(String(row.ended_at)) : null;
  const open = endMs === null;
  const metadata: Record<string, unknown> = {};
  const put = (key: string, value: unknown) => {
    if (value !== null && value !== undefined) metadata[key] = value;
  };
  put('filament_weight_total', num(row.filament_g));
  put('estimated_time', num(row.estimated_s));
  put(
    'filament_total',
    row.filament_m === null || row.filament_m === undefined ? null : round(Number(row.filament_m) * 1000, 3),
  );
  put('layer_count', num(row.total_layers));
  put('filament_type', row.filament_type);
  put('filament_color', row.filament_color);
  put('nozzle_diameter', num(row.nozzle_diameter));
  const aux = (name: string, value: unknown, description: string) => ({
    provider: 'bambuzled',
    name,
    value: value ?? null,
    description,
    units: null,
  });
  return {
    job_id: String(row.job_id),
    user: 'No User',
    filename: String(row.gcode_file ?? row.job_name ?? ''),
    // Moonraker says whether the file is still in its gcodes folder; the printer's SD card is not ours to look at.
    exists: false,
    status: open ? 'in_progress' : (STATUS_OF_OUTCOME[String(row.outcome)] ?? 'error'),
    start_time: startMs / 1000,
    end_time: endMs === null ? null : endMs / 1000,
    print_duration: num(row.printing_s) ?? 0,
    total_duration: open ? Math.max(0, (now.getTime() - startMs) / 1000) : (num(row.duration_s) ?? 0),
    filament_used:
      row.filament_m === null || row.filament_m === undefined ? 0 : round(Number(row.filament_m) * 1000, 3),
    metadata,
    auxiliary_data: [
      aux('printer_serial', row.printer_serial, 'Serial number of the printer'),
      aux('printer_name', row.printer_name, 'The printer, as the listener names it'),
      aux('job_name', row.job_name, 'The job as the printer showed it'),
      aux('outcome', row.outcome, 'How Bambuzled recorded the job (running or paused while open)'),
    ],
  };
}

/** Before the first run there is no jobs_slv: that is an empty history, not an error. */
async function rowsOrNone(
  query: QueryRows,
  sql: string,
  params: unknown[],
): Promise<Record<string, unknown>[]> {
  try {
    return await query(sql, params);
  } catch (error) {
    if (error instanceof Error && /no such table|does not exist/i.test(error.message)) return [];
    throw error;
  }
}

function clause(conditions: string[]): string {
  return conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
}

function integerParam(params: URLSearchParams, name: string, fallback: number): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new BadRequest(400, `Invalid \`${name}\` value "${raw}": use a whole number of 0 or more.`);
  }
  return value;
}

/** Unix seconds → the listener's ISO-8601 text, which compares as text in every engine. */
function timeParam(params: URLSearchParams, name: string): string | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 253_402_300_799) {
    throw new BadRequest(
      400,
      `Invalid \`${name}\` value "${raw}": use a unix time in seconds, e.g. 1714550400.`,
    );
  }
  // Rounded to the millisecond the listener clock has: 1714550400.123 * 1000 is not exact in floating point.
  return new Date(Math.round(seconds * 1000)).toISOString();
}

function num(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
