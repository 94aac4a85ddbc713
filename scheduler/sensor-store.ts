import type { Row, Statements } from '../adapter/index.js';

/** What an evaluation decided, as Dagster's sensor ticks record it. */
export type TickDecision = 'REQUESTED' | 'SKIPPED' | 'FAILED';

/** One evaluation of the sensor, as stored in `_bambuzled_sensor_ticks`. */
export interface TickRecord {
  tickId: number;
  sensor: string;
  at: string;
  /** What woke the sensor: 'cron', 'start', 'poll', 'wake (job-ended)', ... */
  wokenBy: string;
  cursorBefore: number;
  cursorAfter: number;
  decision: TickDecision;
  reason: string;
  runId: number | null;
  durationMs: number;
}

export type NewTick = Omit<TickRecord, 'tickId'>;

/** The sensor's persisted state: the cursor and whether it is meant to be running. */
export interface SensorState {
  sensor: string;
  cursor: number;
  status: 'RUNNING' | 'STOPPED';
  lastTickAt: string | null;
  lastRunId: number | null;
  updatedAt: string;
}

/**
 * Reads and writes the sensor's state and ticks over the scheduler's control connection. The
 * cursor can also be written through another connection's transaction (`via`): the run's, so that it
 * commits with the run's end record or not at all. Portable SQL with `?` placeholders.
 */
export class SensorStore {
  constructor(
    private readonly db: Statements,
    readonly sensor: string,
    private readonly now: () => Date,
  ) {}

  /** Creates the sensor's row if it is missing, so that every later write is a plain UPDATE. */
  async ensureRow(): Promise<void> {
    await this.db.execute(
      `INSERT INTO _bambuzled_sensor_state (sensor, updated_at) VALUES (?, ?) ON CONFLICT (sensor) DO NOTHING`,
      [this.sensor, this.now().toISOString()],
    );
  }

  async state(): Promise<SensorState> {
    const row = (
      await this.db.query(
        `SELECT sensor, cursor, status, last_tick_at, last_run_id, updated_at
           FROM _bambuzled_sensor_state WHERE sensor = ?`,
        [this.sensor],
      )
    )[0];
    if (!row) throw new Error(`The sensor ${this.sensor} has no state row; ensureRow() was not called.`);
    return {
      sensor: String(row.sensor),
      cursor: Number(row.cursor),
      status: row.status as SensorState['status'],
      lastTickAt: row.last_tick_at == null ? null : String(row.last_tick_at),
      lastRunId: row.last_run_id == null ? null : Number(row.last_run_id),
      updatedAt: String(row.updated_at),
    };
  }

  async cursor(): Promise<number> {
    return (await this.state()).cursor;
  }

  /** Moves the cursor; `via` is the transaction to write it in (the run's end record's). */
  async setCursor(cursor: number, lastRunId?: number, via: Statements = this.db): Promise<void> {
    await via.execute(
      `UPDATE _bambuzled_sensor_state
          SET cursor = ?, last_run_id = COALESCE(?, last_run_id), updated_at = ?
        WHERE sensor = ?`,
      [cursor, lastRunId ?? null, this.now().toISOString(), this.sensor],
    );
  }

  async setStatus(status: SensorState['status']): Promise<void> {
    await this.db.execute(`UPDATE _bambuzled_sensor_state SET status = ?, updated_at = ? WHERE sensor = ?`, [
      status,
      this.now().toISOString(),
      this.sensor,
    ]);
  }

  /** Records a tick and the sensor's last tick time; returns the tick with its id. */
  async addTick(tick: NewTick): Promise<TickRecord> {
    const tickId = await this.db.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO _bambuzled_sensor_ticks
           (sensor, at, woken_by, cursor_before, cursor_after, decision, reason, run_id, duration_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING tick_id`,
        [
          tick.sensor,
          tick.at,
          tick.wokenBy,
          tick.cursorBefore,
          tick.cursorAfter,
          tick.decision,
          tick.reason,
          tick.runId,
          tick.durationMs,
        ],
      );
      await tx.execute(`UPDATE _bambuzled_sensor_state SET last_tick_at = ? WHERE sensor = ?`, [
        tick.at,
        this.sensor,
      ]);
      return Number(inserted[0]?.tick_id);
    });
    return { tickId, ...tick };
  }

  /** Most recent ticks first. */
  async ticks(limit = 50): Promise<TickRecord[]> {
    const rows = await this.db.query(
      `SELECT tick_id, sensor, at, woken_by, cursor_before, cursor_after, decision, reason, run_id, duration_ms
         FROM _bambuzled_sensor_ticks WHERE sensor = ? ORDER BY tick_id DESC LIMIT ?`,
      [this.sensor, limit],
    );
    return rows.map(tickOf);
  }

  /** Deletes all but the newest `keep` ticks of this sensor; returns how many went. */
  async pruneTicks(keep: number): Promise<number> {
    const { changes } = await this.db.execute(
      `DELETE FROM _bambuzled_sensor_ticks
        WHERE sensor = ? AND tick_id <= (
          SELECT tick_id FROM _bambuzled_sensor_ticks WHERE sensor = ? ORDER BY tick_id DESC LIMIT 1 OFFSET ?)`,
      [this.sensor, this.sensor, keep],
    );
    return changes;
  }
}

function tickOf(row: Row): TickRecord {
  return {
    tickId: Number(row.tick_id),
    sensor: String(row.sensor),
    at: String(row.at),
    wokenBy: String(row.woken_by),
    cursorBefore: Number(row.cursor_before),
    cursorAfter: Number(row.cursor_after),
    decision: row.decision as TickDecision,
    reason: String(row.reason),
    runId: row.run_id == null ? null : Number(row.run_id),
    durationMs: Number(row.duration_ms),
  };
}
