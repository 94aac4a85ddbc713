import type { Statements } from '../adapter/index.js';

/**
 * The scheduler's own tables, kept apart from the raw layer (the listener owns the raw layer's
 * migrations), as plain CREATE IF NOT EXISTS statements that every start can replay. Portable SQL:
 * no PRAGMA, no engine catalog. The run lock's table belongs to the adapter (adapter/run-lock.ts).
 */
export const sensorSchema = (autoIncrementKey: string): readonly string[] => [
  `
  CREATE TABLE IF NOT EXISTS _bambuzled_sensor_state (
    sensor       TEXT    PRIMARY KEY,
    cursor       INTEGER NOT NULL DEFAULT 0,   -- highest raw change seq already handled
    status       TEXT    NOT NULL DEFAULT 'STOPPED' CHECK (status IN ('RUNNING', 'STOPPED')),
    last_tick_at TEXT,
    last_run_id  INTEGER,
    updated_at   TEXT    NOT NULL
  )`,
  `
  CREATE TABLE IF NOT EXISTS _bambuzled_sensor_ticks (
    tick_id       ${autoIncrementKey},
    sensor        TEXT    NOT NULL,
    at            TEXT    NOT NULL,            -- when the evaluation started
    woken_by      TEXT    NOT NULL,            -- cron | wake | poll | start | retry
    cursor_before INTEGER NOT NULL,
    cursor_after  INTEGER NOT NULL,
    decision      TEXT    NOT NULL CHECK (decision IN ('REQUESTED', 'SKIPPED', 'FAILED')),
    reason        TEXT    NOT NULL,
    run_id        INTEGER,
    duration_ms   INTEGER NOT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS _bambuzled_sensor_ticks_sensor ON _bambuzled_sensor_ticks (sensor, tick_id)`,
];

/** SQLite's key column that numbers rows itself; another engine's dialect says its own. */
const SQLITE_AUTO_INCREMENT_KEY = 'INTEGER PRIMARY KEY AUTOINCREMENT';

/**
 * Creates the sensor's state and tick tables if they are missing. Idempotent. `autoIncrementKey` is
 * the engine's self-numbering key column (SQLite's by default).
 */
export async function migrateSensorSchema(
  db: Statements,
  autoIncrementKey: string = SQLITE_AUTO_INCREMENT_KEY,
): Promise<void> {
  await db.transaction(async (tx) => {
    for (const statement of sensorSchema(autoIncrementKey)) await tx.execute(statement);
  });
}
