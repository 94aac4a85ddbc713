/**
 * The run history, kept as a log in the database the run writes: a run is recorded RUNNING when it
 * starts, each action's result in the same transaction as that action's writes, and the run's end in
 * one more. A run whose process died stays RUNNING until the next open of the store marks it
 * INTERRUPTED. Portable SQL over the executor (`?` placeholders, ON CONFLICT, RETURNING).
 */
import { hostname as osHostname } from 'node:os';
import type { Dialect } from './engine/dialect.js';
import type { AsyncExecutor, Row, Statements } from './engine/executor.js';
import { holderIsLive, holderOf, LOCKS_DDL, LOCKS_TABLE, processIsAlive, RUN_LOCK_NAME } from './run-lock.js';
import type { ActionResult, ActionStatus, RunResult, RunStatus, RunSummary, Selection } from './types.js';

export const RUNS_TABLE = '_bambuzled_runs';
export const ACTION_RUNS_TABLE = '_bambuzled_action_runs';
export const ASSERTION_STATE_TABLE = '_bambuzled_assertion_state';

/** An older history's tables lack these; they are added when the store opens. */
const RUN_COLUMNS: Record<string, string> = {
  owner: 'TEXT',
  pid: 'INTEGER',
  hostname: 'TEXT',
  error: 'TEXT',
};
const ACTION_COLUMNS: Record<string, string> = { scope: 'TEXT', checked_rows: 'INTEGER', mode: 'TEXT' };

/** The history's tables; the auto-numbered run_id is written as the engine writes one. */
const ddl = (autoIncrementKey: string) => [
  `CREATE TABLE IF NOT EXISTS ${RUNS_TABLE} (
  run_id ${autoIncrementKey},
  status TEXT NOT NULL,
  trigger TEXT NOT NULL,
  selection TEXT NOT NULL,
  full_refresh INTEGER NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT NOT NULL,     -- '' while the run is RUNNING
  duration_ms INTEGER NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS ${ACTION_RUNS_TABLE} (
  run_id BIGINT NOT NULL REFERENCES ${RUNS_TABLE} (run_id) ON DELETE CASCADE,
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
  PRIMARY KEY (run_id, seq)
)`,
  `CREATE INDEX IF NOT EXISTS ${ACTION_RUNS_TABLE}_by_name ON ${ACTION_RUNS_TABLE} (name, run_id)`,
  // What a built-in assertion has verified of its table, and what merges wrote since: written in the
  // same transaction as the merge and as the check, so a crash between them cannot lose it.
  `CREATE TABLE IF NOT EXISTS ${ASSERTION_STATE_TABLE} (
  assertion TEXT PRIMARY KEY,
  table_name TEXT NOT NULL,
  view_sql TEXT,                      -- the check that last passed on the whole table
  verified INTEGER NOT NULL DEFAULT 0, -- 1: every row not pending below has passed view_sql
  pending_rowid_above BIGINT,         -- rows above this were written since and not yet checked
  pending_updates_run BIGINT,         -- the run whose upsert updated rows in place since
  stale INTEGER NOT NULL DEFAULT 0    -- 1: rows were changed in a way that cannot be scoped
)`,
  LOCKS_DDL,
];

/** The start of a run, as recorded before its first action. */
/**
 * Where an action's history rows are written: its transaction, or a queue of it that sends them in
 * one batch (run-action.ts). Only execute: nothing that records reads back what it wrote.
 */
export type HistoryWrites = Pick<Statements, 'execute'>;

export interface RunStart {
  trigger: string;
  selection: Selection;
  fullRefresh: boolean;
  startedAt: string;
  /** The run lock's owner id: a RUNNING run whose owner no longer holds the lock was interrupted. */
  owner: string;
}

/** What a built-in assertion's state says (see ASSERTION_STATE_TABLE). */
export interface AssertionState {
  viewSql: string | null;
  verified: boolean;
  pendingRowidAbove: number | null;
  pendingUpdatesRun: number | null;
  stale: boolean;
}

export interface RunHistoryOptions {
  /** The engine's dialect (for the DDL of the history's tables); SQLite's by default. */
  dialect?: Pick<Dialect, 'autoIncrementKey'>;
  now?: () => Date;
  pid?: number;
  hostname?: string;
  isProcessAlive?: (pid: number) => boolean;
}

/**
 * Opens the run history of the database behind `executor`: creates or completes its tables, then
 * marks the runs whose process died as INTERRUPTED.
 */
export async function openRunHistory(
  executor: AsyncExecutor,
  options: RunHistoryOptions = {},
): Promise<RunHistory> {
  const history = new RunHistory(executor, options);
  await history.migrate();
  await history.markInterrupted();
  return history;
}

export class RunHistory {
  private readonly now: () => Date;
  private readonly pid: number;
  private readonly hostname: string;
  private readonly isProcessAlive: (pid: number) => boolean;
  private readonly ddl: string[];

  constructor(
    private readonly executor: AsyncExecutor,
    options: RunHistoryOptions = {},
  ) {
    this.ddl = ddl(options.dialect?.autoIncrementKey ?? 'INTEGER PRIMARY KEY AUTOINCREMENT');
    this.now = options.now ?? (() => new Date());
    this.pid = options.pid ?? process.pid;
    this.hostname = options.hostname ?? osHostname();
    this.isProcessAlive = options.isProcessAlive ?? processIsAlive;
  }

  /** Creates or completes the history's tables (in `tx` when given, else in a transaction of its own). */
  async migrate(tx?: Statements): Promise<void> {
    // Readers first: only a database that lacks something is written (taking its write lock).
    if (!tx && (await this.isComplete(this.executor))) return;
    const steps = async (db: Statements) => {
      for (const statement of this.ddl) await db.execute(statement);
      await addMissingColumns(db, RUNS_TABLE, RUN_COLUMNS);
      await addMissingColumns(db, ACTION_RUNS_TABLE, ACTION_COLUMNS);
    };
    await (tx ? steps(tx) : this.executor.transaction(steps));
  }

  private async isComplete(db: Statements): Promise<boolean> {
    const complete = async (table: string, columns: Record<string, string>) => {
      const info = await db.describe(table);
      return info !== undefined && Object.keys(columns).every((c) => info.columns.some((k) => k.name === c));
    };
    return (
      (await complete(RUNS_TABLE, RUN_COLUMNS)) &&
      (await complete(ACTION_RUNS_TABLE, ACTION_COLUMNS)) &&
      (await complete(ASSERTION_STATE_TABLE, {})) &&
      (await complete(LOCKS_TABLE, {}))
    );
  }

  /** Marks RUNNING runs whose owner no longer holds a live run lock as INTERRUPTED; returns how many. */
  async markInterrupted(): Promise<number> {
    // Reads first, so that looking at the history never waits for a run's long statement; the
    // write lock is taken only when there is something to mark, and the choice made again under it.
    if ((await this.orphanRuns(this.executor)).length === 0) return 0;
    return this.executor.transaction(async (tx) => {
      const at = this.now().toISOString();
      let marked = 0;
      for (const runId of await this.orphanRuns(tx)) {
        marked += (
          await tx.execute(
            `UPDATE ${RUNS_TABLE} SET status = 'INTERRUPTED', ended_at = ?,
               error = 'the process running it stopped before the run ended (killed, crashed or the machine restarted)'
             WHERE run_id = ? AND status = 'RUNNING'`,
            [at, runId],
          )
        ).changes;
      }
      return marked;
    });
  }

  /** RUNNING runs whose owner does not hold a live run lock. */
  private async orphanRuns(db: Statements): Promise<number[]> {
    const running = await db.query(`SELECT run_id, owner FROM ${RUNS_TABLE} WHERE status = 'RUNNING'`);
    if (running.length === 0) return [];
    const row = (await db.query(`SELECT * FROM ${LOCKS_TABLE} WHERE name = ?`, [RUN_LOCK_NAME]))[0];
    const holder = row ? holderOf(row) : undefined;
    const liveOwner =
      holder && holderIsLive(holder, this.now().getTime(), this.hostname, this.isProcessAlive)
        ? holder.owner
        : undefined;
    return running.filter((run) => run.owner !== liveOwner).map((run) => Number(run.run_id));
  }

  /** Records a run as RUNNING; returns its id. */
  async startRun(run: RunStart): Promise<number> {
    const rows = await this.executor.query(
      `INSERT INTO ${RUNS_TABLE} (status, trigger, selection, full_refresh, started_at, ended_at, duration_ms, owner, pid, hostname)
       VALUES ('RUNNING', ?, ?, ?, ?, '', 0, ?, ?, ?) RETURNING run_id`,
      [
        run.trigger,
        JSON.stringify(run.selection),
        run.fullRefresh ? 1 : 0,
        run.startedAt,
        run.owner,
        this.pid,
        this.hostname,
      ],
    );
    return Number(rows[0]?.run_id);
  }

  /** The RUNNING run of a lock owner, if any: which run a waiting runner waits for. */
  async runningRunOf(owner: string): Promise<number | undefined> {
    const row = (
      await this.executor.query(
        `SELECT run_id FROM ${RUNS_TABLE} WHERE owner = ? AND status = 'RUNNING' ORDER BY run_id DESC LIMIT 1`,
        [owner],
      )
    )[0];
    return row ? Number(row.run_id) : undefined;
  }

  /** Records one action's result, inside `tx` (the transaction of the action's writes, if it wrote). */
  async recordAction(tx: HistoryWrites, runId: number, seq: number, a: ActionResult): Promise<void> {
    await tx.execute(
      `INSERT INTO ${ACTION_RUNS_TABLE} (run_id, seq, name, target, sqlite_name, kind, tags, status, started_at,
         ended_at, duration_ms, rows_affected, error, sql, failing_rows, scope, checked_rows, mode)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
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
      ],
    );
  }

  /** Records the run's end, inside `tx`. */
  async finishRun(tx: Statements, result: RunResult): Promise<void> {
    await tx.execute(
      `UPDATE ${RUNS_TABLE} SET status = ?, ended_at = ?, duration_ms = ?, error = ? WHERE run_id = ?`,
      [result.status, result.endedAt, result.durationMs, result.error ?? null, result.runId],
    );
  }

  async assertionState(tx: Statements, assertion: string): Promise<AssertionState | undefined> {
    const row = (
      await tx.query(`SELECT * FROM ${ASSERTION_STATE_TABLE} WHERE assertion = ?`, [assertion])
    )[0];
    if (!row) return undefined;
    return {
      viewSql: (row.view_sql as string | null) ?? null,
      verified: Number(row.verified) === 1,
      pendingRowidAbove: row.pending_rowid_above == null ? null : Number(row.pending_rowid_above),
      pendingUpdatesRun: row.pending_updates_run == null ? null : Number(row.pending_updates_run),
      stale: Number(row.stale) === 1,
    };
  }

  /**
   * In a merge's transaction: the rows it wrote are pending for each of the table's built-in
   * assertions. Inserted rows lie above `rowidAbove`; `upsertRun` is set when rows may have been
   * updated in place; `unscopable` when they may have been changed where no predicate finds them.
   */
  async noteMerge(
    tx: HistoryWrites,
    merge: {
      table: string;
      assertions: string[];
      rowidAbove: number;
      upsertRun: number | null;
      unscopable: boolean;
    },
  ): Promise<void> {
    for (const assertion of merge.assertions) {
      await tx.execute(
        `INSERT INTO ${ASSERTION_STATE_TABLE} (assertion, table_name, verified, pending_rowid_above, pending_updates_run, stale)
         VALUES (?, ?, 0, ?, ?, ?)
         ON CONFLICT (assertion) DO UPDATE SET
           table_name = excluded.table_name,
           pending_rowid_above = CASE
             WHEN ${ASSERTION_STATE_TABLE}.pending_rowid_above IS NULL
               OR excluded.pending_rowid_above < ${ASSERTION_STATE_TABLE}.pending_rowid_above
             THEN excluded.pending_rowid_above ELSE ${ASSERTION_STATE_TABLE}.pending_rowid_above END,
           stale = CASE
             WHEN excluded.stale = 1 THEN 1
             WHEN ${ASSERTION_STATE_TABLE}.pending_updates_run IS NOT NULL AND excluded.pending_updates_run IS NOT NULL
               AND ${ASSERTION_STATE_TABLE}.pending_updates_run <> excluded.pending_updates_run THEN 1
             WHEN ${ASSERTION_STATE_TABLE}.pending_updates_run IS NOT NULL AND excluded.pending_updates_run IS NULL THEN 1
             ELSE ${ASSERTION_STATE_TABLE}.stale END,
           pending_updates_run = COALESCE(excluded.pending_updates_run, ${ASSERTION_STATE_TABLE}.pending_updates_run)`,
        [assertion, merge.table, merge.rowidAbove, merge.upsertRun, merge.unscopable ? 1 : 0],
      );
    }
  }

  /** In a rebuild's transaction: nothing of the table has been verified any more. */
  async noteRebuild(tx: HistoryWrites, table: string): Promise<void> {
    await tx.execute(`DELETE FROM ${ASSERTION_STATE_TABLE} WHERE table_name = ?`, [table]);
  }

  /** In an assertion's transaction: what its check found. */
  async noteCheck(
    tx: HistoryWrites,
    check: { assertion: string; table: string; viewSql: string; passed: boolean },
  ): Promise<void> {
    await tx.execute(
      `INSERT INTO ${ASSERTION_STATE_TABLE} (assertion, table_name, view_sql, verified, pending_rowid_above, pending_updates_run, stale)
       VALUES (?, ?, ?, ?, NULL, NULL, 0)
       ON CONFLICT (assertion) DO UPDATE SET table_name = excluded.table_name, view_sql = excluded.view_sql,
         verified = excluded.verified, pending_rowid_above = CASE WHEN excluded.verified = 1 THEN NULL
           ELSE ${ASSERTION_STATE_TABLE}.pending_rowid_above END,
         pending_updates_run = CASE WHEN excluded.verified = 1 THEN NULL ELSE ${ASSERTION_STATE_TABLE}.pending_updates_run END,
         stale = CASE WHEN excluded.verified = 1 THEN 0 ELSE ${ASSERTION_STATE_TABLE}.stale END`,
      [check.assertion, check.table, check.viewSql, check.passed ? 1 : 0],
    );
  }

  /** Most recent runs first. */
  async listRuns(options: { limit?: number } = {}): Promise<RunSummary[]> {
    const runs = await this.executor.query(`SELECT * FROM ${RUNS_TABLE} ORDER BY run_id DESC LIMIT ?`, [
      options.limit ?? 50,
    ]);
    if (runs.length === 0) return [];
    const ids = runs.map((r) => Number(r.run_id));
    const counts = await this.executor.query(
      `SELECT run_id, status, count(*) AS n FROM ${ACTION_RUNS_TABLE}
        WHERE run_id BETWEEN ? AND ? GROUP BY run_id, status`,
      [Math.min(...ids), Math.max(...ids)],
    );
    return runs.map((run) => {
      const tally: Record<ActionStatus, number> = {
        SUCCESSFUL: 0,
        FAILED: 0,
        SKIPPED: 0,
        DISABLED: 0,
        CANCELLED: 0,
      };
      for (const c of counts)
        if (Number(c.run_id) === Number(run.run_id)) tally[c.status as ActionStatus] = Number(c.n);
      return { ...runFields(run), counts: tally };
    });
  }

  /** One run with its action results, or undefined. */
  async getRun(runId: number): Promise<RunResult | undefined> {
    const run = (await this.executor.query(`SELECT * FROM ${RUNS_TABLE} WHERE run_id = ?`, [runId]))[0];
    if (!run) return undefined;
    const actions = await this.executor.query(
      `SELECT * FROM ${ACTION_RUNS_TABLE} WHERE run_id = ? ORDER BY seq`,
      [runId],
    );
    return { ...runFields(run), dryRun: false, actions: actions.map(toAction) };
  }

  /** The newest runs with their actions, newest first (what `bambuzled runs --json` prints). */
  async recentRuns(limit: number): Promise<RunResult[]> {
    const runs: RunResult[] = [];
    for (const summary of await this.listRuns({ limit })) {
      const run = await this.getRun(summary.runId);
      if (run) runs.push(run);
    }
    return runs;
  }

  /** The latest recorded result of each action, keyed by `schema.name`. */
  async latestActionResults(): Promise<Map<string, ActionResult>> {
    const rows = await this.executor.query(
      `SELECT a.* FROM ${ACTION_RUNS_TABLE} a
         JOIN (SELECT name, max(run_id) AS run_id FROM ${ACTION_RUNS_TABLE} GROUP BY name) m
           ON a.name = m.name AND a.run_id = m.run_id
        ORDER BY a.name`,
    );
    return new Map(rows.map((row) => [String(row.name), toAction(row)]));
  }

  /** Deletes all but the newest `keepRuns` runs and their action results; returns how many went. */
  async prune(options: { keepRuns: number }): Promise<number> {
    const keep = Math.max(0, Math.floor(options.keepRuns));
    return this.executor.transaction(async (tx) => {
      const cutoff = (
        await tx.query(`SELECT run_id FROM ${RUNS_TABLE} ORDER BY run_id DESC LIMIT 1 OFFSET ?`, [keep])
      )[0];
      if (!cutoff) return 0;
      await tx.execute(`DELETE FROM ${ACTION_RUNS_TABLE} WHERE run_id <= ?`, [cutoff.run_id]);
      return (await tx.execute(`DELETE FROM ${RUNS_TABLE} WHERE run_id <= ?`, [cutoff.run_id])).changes;
    });
  }
}

async function addMissingColumns(
  tx: Statements,
  table: string,
  columns: Record<string, string>,
): Promise<void> {
  const present = new Set((await tx.describe(table))?.columns.map((c) => c.name) ?? []);
  for (const [name, type] of Object.entries(columns)) {
    if (!present.has(name)) await tx.execute(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
  }
}

function runFields(run: Row): Omit<RunSummary, 'counts'> {
  const endedAt = String(run.ended_at ?? '');
  return {
    runId: Number(run.run_id),
    status: run.status as RunStatus,
    trigger: String(run.trigger),
    selection: JSON.parse(String(run.selection)) as Selection,
    fullRefresh: Number(run.full_refresh) === 1,
    startedAt: String(run.started_at),
    endedAt: endedAt === '' ? null : endedAt,
    durationMs: endedAt === '' ? null : Number(run.duration_ms),
    ...(run.error != null ? { error: String(run.error) } : {}),
  };
}

function toAction(row: Row): ActionResult {
  return {
    name: String(row.name),
    target: JSON.parse(String(row.target)),
    sqliteName: String(row.sqlite_name),
    kind: row.kind as ActionResult['kind'],
    tags: JSON.parse(String(row.tags)),
    status: row.status as ActionStatus,
    startedAt: String(row.started_at),
    endedAt: String(row.ended_at),
    durationMs: Number(row.duration_ms),
    rowsAffected: row.rows_affected == null ? null : Number(row.rows_affected),
    ...(row.error != null ? { error: String(row.error) } : {}),
    ...(row.failing_rows != null ? { failingRows: JSON.parse(String(row.failing_rows)) } : {}),
    ...(row.scope != null ? { scope: row.scope as ActionResult['scope'] } : {}),
    ...(row.checked_rows != null ? { checkedRows: Number(row.checked_rows) } : {}),
    ...(row.mode != null ? { mode: row.mode as ActionResult['mode'] } : {}),
    sql: JSON.parse(String(row.sql)),
  };
}
