/**
 * The run history in the same SQLite file: one row per run and one per action result. Written in
 * one transaction at the end of a run; read by the scheduler's status page and the docs site.
 */
import type { SqliteDatabase } from '../lib/sqlite.js';
import type { ActionResult, ActionStatus, RunResult, RunSummary, Selection } from './types.js';

export const RUNS_TABLE = '_bambuzled_runs';
export const ACTION_RUNS_TABLE = '_bambuzled_action_runs';

const DDL = `
CREATE TABLE IF NOT EXISTS ${RUNS_TABLE} (
  run_id INTEGER PRIMARY KEY AUTOINCREMENT,
  status TEXT NOT NULL,
  trigger TEXT NOT NULL,
  selection TEXT NOT NULL,
  full_refresh INTEGER NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT NOT NULL,
  duration_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ${ACTION_RUNS_TABLE} (
  run_id INTEGER NOT NULL REFERENCES ${RUNS_TABLE} (run_id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  name TEXT NOT NULL,
  target TEXT NOT NULL,
  sqlite_name TEXT NOT NULL,
  kind TEXT NOT NULL,
  tags TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  rows_affected INTEGER,
  error TEXT,
  sql TEXT NOT NULL,
  failing_rows TEXT,
  scope TEXT,
  checked_rows INTEGER,
  mode TEXT,
  PRIMARY KEY (run_id, seq)
);
CREATE INDEX IF NOT EXISTS ${ACTION_RUNS_TABLE}_by_name ON ${ACTION_RUNS_TABLE} (name, run_id);
`;

/** Creates the history tables if needed, then records the run and its actions. Returns the run id. */
export function recordRun(db: SqliteDatabase, result: RunResult): number {
  db.exec(DDL);
  addMissingColumns(db);
  const info = db
    .prepare(
      `INSERT INTO ${RUNS_TABLE} (status, trigger, selection, full_refresh, started_at, ended_at, duration_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      result.status,
      result.trigger,
      JSON.stringify(result.selection),
      result.fullRefresh ? 1 : 0,
      result.startedAt,
      result.endedAt,
      result.durationMs,
    );
  const runId = Number(info.lastInsertRowid);
  const insert = db.prepare(
    `INSERT INTO ${ACTION_RUNS_TABLE} (run_id, seq, name, target, sqlite_name, kind, tags, status, started_at,
       ended_at, duration_ms, rows_affected, error, sql, failing_rows, scope, checked_rows, mode)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  result.actions.forEach((a, seq) => {
    insert.run(
      runId,
      seq,
      a.name,
      JSON.stringify(a.target),
      a.sqliteName,
      a.kind,
      JSON.stringify(a.tags),
      a.status,
      a.startedAt,
      a.endedAt,
      a.durationMs,
      a.rowsAffected,
      a.error ?? null,
      JSON.stringify(a.sql),
      a.failingRows ? JSON.stringify(a.failingRows) : null,
      a.scope ?? null,
      a.checkedRows ?? null,
      a.mode ?? null,
    );
  });
  return runId;
}

/** Columns added after the first release: a history written by an older version lacks them. */
const LATER_COLUMNS: Record<string, string> = { scope: 'TEXT', checked_rows: 'INTEGER', mode: 'TEXT' };

function addMissingColumns(db: SqliteDatabase): void {
  const present = new Set(
    (db.prepare(`PRAGMA table_info(${ACTION_RUNS_TABLE})`).all() as { name: string }[]).map((c) => c.name),
  );
  for (const [name, type] of Object.entries(LATER_COLUMNS)) {
    if (!present.has(name)) db.exec(`ALTER TABLE ${ACTION_RUNS_TABLE} ADD COLUMN ${name} ${type}`);
  }
}

function hasHistory(db: SqliteDatabase): boolean {
  const found = db
    .prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)")
    .pluck()
    .get(RUNS_TABLE, ACTION_RUNS_TABLE) as number;
  return found === 2;
}

interface RunRow {
  run_id: number;
  status: RunResult['status'];
  trigger: string;
  selection: string;
  full_refresh: number;
  started_at: string;
  ended_at: string;
  duration_ms: number;
}

interface ActionRow {
  name: string;
  target: string;
  sqlite_name: string;
  kind: ActionResult['kind'];
  tags: string;
  status: ActionStatus;
  started_at: string;
  ended_at: string;
  duration_ms: number;
  rows_affected: number | null;
  error: string | null;
  sql: string;
  failing_rows: string | null;
  /** Absent (undefined) in a history written before these columns existed. */
  scope?: ActionResult['scope'] | null;
  checked_rows?: number | null;
  mode?: ActionResult['mode'] | null;
}

function toAction(row: ActionRow): ActionResult {
  return {
    name: row.name,
    target: JSON.parse(row.target),
    sqliteName: row.sqlite_name,
    kind: row.kind,
    tags: JSON.parse(row.tags),
    status: row.status,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    durationMs: row.duration_ms,
    rowsAffected: row.rows_affected,
    ...(row.error !== null ? { error: row.error } : {}),
    ...(row.failing_rows !== null ? { failingRows: JSON.parse(row.failing_rows) } : {}),
    ...(row.scope != null ? { scope: row.scope } : {}),
    ...(row.checked_rows != null ? { checkedRows: row.checked_rows } : {}),
    ...(row.mode != null ? { mode: row.mode } : {}),
    sql: JSON.parse(row.sql),
  };
}

/** Most recent runs first. Returns [] when the database has no run history yet. */
export function listRuns(db: SqliteDatabase, options: { limit?: number } = {}): RunSummary[] {
  if (!hasHistory(db)) return [];
  const runs = db
    .prepare(`SELECT * FROM ${RUNS_TABLE} ORDER BY run_id DESC LIMIT ?`)
    .all(options.limit ?? 50) as RunRow[];
  const counts = db.prepare(
    `SELECT status, count(*) AS n FROM ${ACTION_RUNS_TABLE} WHERE run_id = ? GROUP BY status`,
  );
  return runs.map((run) => {
    const tally: Record<ActionStatus, number> = { SUCCESSFUL: 0, FAILED: 0, SKIPPED: 0, DISABLED: 0 };
    for (const { status, n } of counts.all(run.run_id) as { status: ActionStatus; n: number }[]) {
      tally[status] = n;
    }
    return { ...runFields(run), counts: tally };
  });
}

/** The fields a run summary and a whole run share, from a row of the runs table. */
function runFields(run: RunRow): Omit<RunSummary, 'counts'> {
  return {
    runId: run.run_id,
    status: run.status,
    trigger: run.trigger,
    selection: JSON.parse(run.selection) as Selection,
    fullRefresh: run.full_refresh === 1,
    startedAt: run.started_at,
    endedAt: run.ended_at,
    durationMs: run.duration_ms,
  };
}

/** One run with its action results, or undefined. */
export function getRun(db: SqliteDatabase, runId: number): RunResult | undefined {
  if (!hasHistory(db)) return undefined;
  const run = db.prepare(`SELECT * FROM ${RUNS_TABLE} WHERE run_id = ?`).get(runId) as RunRow | undefined;
  if (!run) return undefined;
  const actions = db
    .prepare(`SELECT * FROM ${ACTION_RUNS_TABLE} WHERE run_id = ? ORDER BY seq`)
    .all(runId) as ActionRow[];
  return { ...runFields(run), dryRun: false, actions: actions.map(toAction) };
}

/** The latest recorded result of each action, keyed by `schema.name`. */
export function latestActionResults(db: SqliteDatabase): Map<string, ActionResult> {
  const latest = new Map<string, ActionResult>();
  if (!hasHistory(db)) return latest;
  const rows = db
    .prepare(
      `SELECT a.* FROM ${ACTION_RUNS_TABLE} a
       JOIN (SELECT name, max(run_id) AS run_id FROM ${ACTION_RUNS_TABLE} GROUP BY name) m
         ON a.name = m.name AND a.run_id = m.run_id
       ORDER BY a.name`,
    )
    .all() as ActionRow[];
  for (const row of rows) latest.set(row.name, toAction(row));
  return latest;
}

/**
 * The status and statements of the latest recorded result of one action (`schema.name`), or
 * undefined when it has none. One index lookup, cheap enough to ask before every assertion.
 */
export function lastActionOutcome(
  db: SqliteDatabase,
  name: string,
): { status: ActionStatus; sql: string[] } | undefined {
  if (!hasHistory(db)) return undefined;
  const row = db
    .prepare(`SELECT status, sql FROM ${ACTION_RUNS_TABLE} WHERE name = ? ORDER BY run_id DESC LIMIT 1`)
    .get(name) as { status: ActionStatus; sql: string } | undefined;
  return row && { status: row.status, sql: JSON.parse(row.sql) as string[] };
}

/** Deletes all but the newest `keepRuns` runs (and their action results). Returns how many were deleted. */
export function pruneRunHistory(db: SqliteDatabase, options: { keepRuns: number }): number {
  if (!hasHistory(db)) return 0;
  const keep = Math.max(0, Math.floor(options.keepRuns));
  return db.transaction(() => {
    const cutoff = `SELECT run_id FROM ${RUNS_TABLE} ORDER BY run_id DESC LIMIT -1 OFFSET ?`;
    db.prepare(`DELETE FROM ${ACTION_RUNS_TABLE} WHERE run_id IN (${cutoff})`).run(keep);
    return db.prepare(`DELETE FROM ${RUNS_TABLE} WHERE run_id IN (${cutoff})`).run(keep).changes;
  })();
}
