const ENDING_EVENTS = `('finished', 'failed', 'cancelled', 'ended_while_disconnected')`;
/** The highest change sequence in the raw layer, or 0 when there is none (or no raw layer yet). */
export function latestChangeSeq(db) {
    if (!hasEventsTable(db))
        return 0;
    const row = db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM job_events_raw').get();
    return row.seq;
}
/** Jobs that ended (finished, failed, cancelled, or ended while disconnected) after `cursor`. */
export function jobsEndedSince(db, cursor, limit = 1000) {
    if (!hasEventsTable(db))
        return [];
    return db
        .prepare(`SELECT seq, job_key AS jobKey, printer_serial AS printerSerial, event, at
         FROM job_events_raw
        WHERE seq > ? AND event IN ${ENDING_EVENTS}
        ORDER BY seq
        LIMIT ?`)
        .all(cursor, limit);
}
function hasEventsTable(db) {
    return (db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'job_events_raw'`).get() !==
        undefined);
}
//# sourceMappingURL=raw-changes.js.map