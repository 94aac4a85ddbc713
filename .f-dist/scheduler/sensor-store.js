/**
 * Reads and writes the sensor's state and ticks. Each method is one statement, so that the caller
 * decides the transaction (the cursor is written inside the adapter's run-recording transaction).
 */
export class SensorStore {
    db;
    sensor;
    now;
    constructor(db, sensor, now) {
        this.db = db;
        this.sensor = sensor;
        this.now = now;
        // The row exists from here on, so that every later write is a plain UPDATE.
        db.prepare(`INSERT INTO _bambuzled_sensor_state (sensor, updated_at) VALUES (?, ?) ON CONFLICT (sensor) DO NOTHING`).run(sensor, now().toISOString());
    }
    state() {
        return this.db
            .prepare(`SELECT sensor, cursor, status, last_tick_at AS lastTickAt, last_run_id AS lastRunId, updated_at AS updatedAt
           FROM _bambuzled_sensor_state WHERE sensor = ?`)
            .get(this.sensor);
    }
    cursor() {
        return this.state().cursor;
    }
    setCursor(cursor, lastRunId) {
        this.db
            .prepare(`UPDATE _bambuzled_sensor_state
            SET cursor = ?, last_run_id = COALESCE(?, last_run_id), updated_at = ?
          WHERE sensor = ?`)
            .run(cursor, lastRunId ?? null, this.now().toISOString(), this.sensor);
    }
    setStatus(status) {
        this.db
            .prepare(`UPDATE _bambuzled_sensor_state SET status = ?, updated_at = ? WHERE sensor = ?`)
            .run(status, this.now().toISOString(), this.sensor);
    }
    /** Records a tick and the sensor's last tick time; returns the tick with its id. */
    addTick(tick) {
        const insert = this.db.transaction((t) => {
            const info = this.db
                .prepare(`INSERT INTO _bambuzled_sensor_ticks
             (sensor, at, woken_by, cursor_before, cursor_after, decision, reason, run_id, duration_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
                .run(t.sensor, t.at, t.wokenBy, t.cursorBefore, t.cursorAfter, t.decision, t.reason, t.runId, t.durationMs);
            this.db
                .prepare(`UPDATE _bambuzled_sensor_state SET last_tick_at = ? WHERE sensor = ?`)
                .run(t.at, this.sensor);
            return Number(info.lastInsertRowid);
        });
        return { tickId: insert(tick), ...tick };
    }
    /** Most recent ticks first. */
    ticks(limit = 50) {
        return this.db
            .prepare(`SELECT tick_id AS tickId, sensor, at, woken_by AS wokenBy, cursor_before AS cursorBefore,
                cursor_after AS cursorAfter, decision, reason, run_id AS runId, duration_ms AS durationMs
           FROM _bambuzled_sensor_ticks WHERE sensor = ? ORDER BY tick_id DESC LIMIT ?`)
            .all(this.sensor, limit);
    }
    /** Deletes all but the newest `keep` ticks of this sensor; returns how many went. */
    pruneTicks(keep) {
        return this.db
            .prepare(`DELETE FROM _bambuzled_sensor_ticks
          WHERE sensor = ? AND tick_id <= (
            SELECT tick_id FROM _bambuzled_sensor_ticks WHERE sensor = ? ORDER BY tick_id DESC LIMIT 1 OFFSET ?)`)
            .run(this.sensor, this.sensor, keep).changes;
    }
}
//# sourceMappingURL=sensor-store.js.map