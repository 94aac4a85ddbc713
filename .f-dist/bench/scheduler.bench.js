import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileProject } from '../adapter/index.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { openDatabase } from '../lib/sqlite.js';
import { RawLayerWriter, writeSensorProject } from '../scheduler/sandbox.js';
import { createScheduler } from '../scheduler/scheduler.js';
const JOBS = 20;
const TARGET_MS = 2000;
/**
 * Job end (a raw transition committed) → its row in jobs_brz, both ways the scheduler learns of it:
 * wake() in the listener's process, and the once-a-second poll when another connection commits.
 */
export async function run() {
    const dir = mkdtempSync(join(tmpdir(), 'bambuzled-scheduler-bench-'));
    try {
        const projectDir = writeSensorProject(join(dir, 'project'));
        const compiled = await compileProject({ projectDir });
        if (!compiled.ok)
            throw new Error(`the bench project does not compile: ${compiled.message}`);
        const inProcess = await measure(join(dir, 'wake.db'), projectDir, 'wake');
        const polled = await measure(join(dir, 'poll.db'), projectDir, 'poll');
        const figure = (name, values, p, withTarget) => {
            const value = Math.round(percentile(values, p));
            return {
                name,
                value,
                unit: 'ms',
                ...(withTarget ? { target: `< ${TARGET_MS} ms`, pass: value < TARGET_MS } : {}),
            };
        };
        return {
            title: 'Scheduler: job end → row in jobs_brz',
            figures: [
                figure('in-process wake(), p50', inProcess, 50, false),
                figure('in-process wake(), p95', inProcess, 95, true),
                figure('cross-connection poll (1 s), p50', polled, 50, false),
                figure('cross-connection poll (1 s), p95', polled, 95, true),
            ],
            notes: [
                `${JOBS} jobs each way, one printer after another, on a temp SQLite file (WAL).`,
                'The poll looks at PRAGMA data_version once a second, so its latency is the wait for the next look plus the run.',
                `The graph is compiled once before (compile cache); each run re-reads the cache: ${Math.round(compiled.durationMs)} ms for the first compile.`,
            ],
        };
    }
    finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
async function measure(dbPath, projectDir, way) {
    const db = openDatabase(dbPath);
    migrateRawSchema(db);
    // The listener's connection: a separate one, as in `bambuzled start` or another process.
    const listenerDb = openDatabase(dbPath);
    const writer = new RawLayerWriter(listenerDb);
    const scheduler = createScheduler({
        db,
        projectDir,
        pollIntervalMs: way === 'poll' ? 1000 : 0,
        // Only the fast path under test may trigger runs here.
        cron: { schedule: () => ({ stop: () => undefined }), validate: () => true },
    });
    scheduler.start();
    await scheduler.idle();
    const latencies = [];
    try {
        for (let i = 0; i < JOBS; i++) {
            const jobKey = `${way}-${i}`;
            writer.start(i % 2 ? 'P1S-A' : 'X1C-B', jobKey);
            const started = performance.now();
            writer.end(jobKey);
            if (way === 'wake')
                scheduler.wake('job-ended');
            await untilBronzeHas(listenerDb, jobKey);
            latencies.push(performance.now() - started);
            // Spread the ends over the poll's phase, as real jobs do.
            await sleep(37 + ((i * 211) % 400));
        }
    }
    finally {
        await scheduler.stop();
        listenerDb.close();
        db.close();
    }
    return latencies;
}
async function untilBronzeHas(db, jobKey) {
    const deadline = performance.now() + 60_000;
    const exists = () => {
        const table = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'jobs_brz'`).get();
        return (table !== undefined && db.prepare('SELECT 1 FROM jobs_brz WHERE job_id = ?').get(jobKey) !== undefined);
    };
    while (!exists()) {
        if (performance.now() > deadline)
            throw new Error(`${jobKey} never reached jobs_brz`);
        await sleep(5);
    }
}
function percentile(values, p) {
    const sorted = [...values].sort((a, b) => a - b);
    const rank = Math.max(0, Math.ceil((p / 100) * sorted.length) - 1);
    return sorted[rank] ?? Number.NaN;
}
function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
//# sourceMappingURL=scheduler.bench.js.map