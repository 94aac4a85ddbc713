import type { SqliteDatabase } from '../lib/sqlite.js';

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
 * Reads and writes the sensor's state and ticks. Each method is one statement, so that the caller
 * decides the transaction (the cursor is written inside the adapter's run-recording transaction).
 */
export class SensorStore {
  constructor(
    private readonly db: SqliteDatabase,
    readonly sensor: string,
    private readonly now: () => Date,
  ) {
    // The row exists from here on, so that every later write is a plain UPDATE.
    db.prepare(
      `INSERT INTO _bambuzled_sensor_state (sensor, updated_at) VALUES (?, ?) ON CONFLICT (sensor) DO NOTHING`,
    ).run(sensor, now().toISOString());
  }

  state(): SensorState {
    return this.db
      .prepare(
        `SELECT sensor, cursor, status, last_tick_at AS lastTickAt, last_run_id AS lastRunId, updated_at AS updatedAt
           FROM _bambuzled_sensor_state WHERE sensor = ?`,
      )
      .get(this.sensor) as SensorState;
  }

  cursor(): number {
    return this.state().cursor;
  }

  setCursor(cursor: number, lastRunId?: number): void {
    this.db
      .prepare(
        `UPDATE _bambuzled_sensor_state
            SET cursor = ?, last_run_id = COALESCE(?, last_run_id), updated_at = ?
          WHERE sensor = ?`,
      )
      .run(cursor, lastRunId ?? null, this.now().toISOString(), this.sensor);
  }

  setStatus(status: SensorState['status']): void {
    this.db
      .prepare(`UPDATE _bambuzled_sensor_state SET status = ?, updated_at = ? WHERE sensor = ?`)
      .run(status, this.now().toISOString(), this.sensor);
  }

  /** Records a tick and the sensor's last tick time; returns the tick with its id. */
  addTick(tick: NewTick): TickRecord {
    const insert = this.db.transaction((t: NewTick): number => {
      const info = this.db
        .prepare(
          `INSERT INTO _bambuzled_sensor_ticks
             (sensor, at, woken_by, cursor_before, cursor_after, decision, reason, run_id, duration_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          t.sensor,
          t.at,
          t.wokenBy,
          t.cursorBefore,
          t.cursorAfter,
          t.decision,
          t.reason,
          t.runId,
          t.durationMs,
        );
      this.db
        .prepare(`UPDATE _bambuzled_sensor_state SET last_tick_at = ? WHERE sensor = ?`)
        .run(t.at, this.sensor);
      return Number(info.lastInsertRowid);
    });
    return { tickId: insert(tick), ...tick };
  }

  /** Most recent ticks first. */
  ticks(limit = 50): TickRecord[] {
    return this.db
      .prepare(
        `SELECT tick_id AS tickId, sensor, at, woken_by AS wokenBy, cursor_before AS cursorBefore,
                cursor_after AS cursorAfter, decision, reason, run_id AS runId, duration_ms AS durationMs
           FROM _bambuzled_sensor_ticks WHERE sensor = ? ORDER BY tick_id DESC LIMIT ?`,
      )
      .all(this.sensor, limit) as TickRecord[];
  }

  /** Deletes all but the newest `keep` ticks of this sensor; returns how many went. */
  pruneTicks(keep: number): number {
    return this.db
      .prepare(
        `DELETE FROM _bambuzled_sensor_ticks
          WHERE sensor = ? AND tick_id <= (
            SELECT tick_id FROM _bambuzled_sensor_ticks WHERE sensor = ? ORDER BY tick_id DESC LIMIT 1 OFFSET ?)`,
      )
      .run(this.sensor, this.sensor, keep).changes;
  }
}
