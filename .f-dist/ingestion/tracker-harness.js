import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordingLogger } from '../lib/logger.js';
import { openDatabase } from '../lib/sqlite.js';
import { PrinterTracker } from './printer-tracker.js';
export function trackerHarness(options = {}) {
    const serial = options.serial ?? '01P00A000000000';
    const name = options.name ?? 'test-printer';
    const dir = mkdtempSync(join(tmpdir(), 'bambuzled-tracker-'));
    const dbPath = join(dir, 'raw.db');
    let clock = new Date(options.start ?? '2025-05-01T10:00:00.000Z').getTime();
    const logger = recordingLogger();
    const transitions = [];
    const ended = [];
    const bad = [];
    const make = (db) => {
        // Tests need the file, not its crash-safety: skip the fsync on every commit.
        db.pragma('synchronous = OFF');
        const tracker = new PrinterTracker({
            printer: { name, serial },
            db,
            now: () => new Date(clock),
            checkIntervalS: options.checkIntervalS ?? 60,
            logger,
        });
        tracker.on('transition', (event) => transitions.push(event));
        tracker.on('job-ended', (event) => ended.push(event));
        tracker.on('bad-input', (event) => bad.push(event));
        tracker.connected();
        return tracker;
    };
    const harness = {
        db: openDatabase(dbPath),
        dbPath,
        serial,
        topic: `device/${serial}/report`,
        logger,
        transitions,
        ended,
        bad,
        tracker: undefined,
        at(time) {
            clock = typeof time === 'number' ? clock + time : new Date(time).getTime();
        },
        now: () => new Date(clock),
        send(print, time) {
            if (time !== undefined)
                harness.at(time);
            harness.tracker.handleMessage(harness.topic, JSON.stringify({ print }));
        },
        sendRaw(payload, topic = harness.topic) {
            harness.tracker.handleMessage(topic, payload);
        },
        restart() {
            harness.db.close();
            harness.db = openDatabase(dbPath);
            harness.tracker = make(harness.db);
        },
        jobs: () => harness.db.prepare('SELECT * FROM jobs_raw ORDER BY id').all(),
        events: () => harness.db.prepare('SELECT * FROM job_events_raw ORDER BY seq').all(),
        close() {
            harness.db.close();
            rmSync(dir, { recursive: true, force: true });
        },
    };
    harness.tracker = make(harness.db);
    return harness;
}
/** Reads a printer payload fixture from test/fixtures/bambu/. */
export function bambuFixture(file) {
    return JSON.parse(readFileSync(new URL(`../test/fixtures/bambu/${file}`, import.meta.url), 'utf8'));
}
//# sourceMappingURL=tracker-harness.js.map