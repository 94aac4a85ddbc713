/**
 * The scheduler's own tables, kept apart from the raw layer (the listener owns PRAGMA user_version,
 * so these are plain CREATE IF NOT EXISTS statements that every start can replay).
 */
export const SENSOR_SCHEMA = [
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
    tick_id       INTEGER PRIMARY KEY AUTOINCREMENT,
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
    `
  CREATE TABLE IF NOT EXISTS _bambuzled_locks (
    name          TEXT    PRIMARY KEY,
    owner         TEXT    NOT NULL,            -- one id per scheduler instance
    pid           INTEGER NOT NULL,
    hostname      TEXT    NOT NULL,
    purpose       TEXT    NOT NULL,            -- what the holder is doing, for the skip reason
    acquired_at   TEXT    NOT NULL,
    heartbeat_at  TEXT    NOT NULL,
    expires_at_ms INTEGER NOT NULL             -- a holder that stops beating loses the lock after this
  )`,
];
/** Creates the sensor's state, tick and lock tables if they are missing. Idempotent. */
export function migrateSensorSchema(db) {
    db.transaction(() => {
        for (const statement of SENSOR_SCHEMA)
            db.exec(statement);
    })();
}
//# sourceMappingURL=sensor-schema.js.map