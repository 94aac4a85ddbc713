import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startListener } from '../ingestion/listener.js';
import { PrinterTracker } from '../ingestion/printer-tracker.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { openDatabase } from '../lib/sqlite.js';
import { buildLoad, publishLoad, startLoadFarm, } from '../simulator/load-generator.js';
/**
 * How many reports per second one listener process takes from N simulated printers through the
 * real local TLS broker, with every transition written, against a floor measured in the same run:
 * the same kind of payloads parsed, merged and written by the same trackers in a loop, no network.
 * Built (dist/), the broker and the printers run in a child process, so that the rate and the peak
 * RSS are the listener's own; from the TypeScript sources they share the process.
 */
const SPEC = { printers: 8, jobsPerPrinter: 12, noisePerStep: 60 };
const TARGET_RATE = 5_000;
const TARGET_RSS_MB = 150;
const DEADLINE_MS = 60_000;
async function childLoad(script) {
    const child = spawn(process.execPath, [script, JSON.stringify(SPEC)], {
        stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => JSON.parse(String((await lines.next()).value));
    const { ready } = (await next());
    return {
        ...ready,
        inProcess: false,
        go: async () => {
            child.stdin.write('go\n');
            const done = await next();
            return { peakRssMb: Number(done.peakRssMb) };
        },
        close: async () => {
            const exited = new Promise((resolve) => child.once('exit', resolve));
            child.stdin.write('stop\n');
            await exited;
        },
    };
}
async function inProcessLoad() {
    const loads = buildLoad(SPEC);
    const farm = await startLoadFarm(loads);
    return {
        config: farm.config,
        totalReports: loads.reduce((sum, load) => sum + load.payloads.length, 0),
        expectedEvents: loads.reduce((sum, load) => sum + load.expectedEvents, 0),
        inProcess: true,
        go: async () => {
            await publishLoad(farm, loads);
            return { peakRssMb: null };
        },
        close: () => farm.close(),
    };
}
function eventCount(db) {
    return db.prepare('SELECT COUNT(*) FROM job_events_raw').pluck().get();
}
/** The floor: the same kind of payloads through the same trackers and writes, in a loop. */
function measureFloor(dir) {
    const loads = buildLoad(SPEC);
    const db = openDatabase(join(dir, 'floor.db'));
    migrateRawSchema(db);
    const trackers = loads.map((load, i) => new PrinterTracker({ printer: { name: `floor-${i}`, serial: load.serial }, db, checkIntervalS: 60 }));
    const total = loads.reduce((sum, load) => sum + load.payloads.length, 0);
    const longest = Math.max(...loads.map((load) => load.payloads.length));
    const started = performance.now();
    // Interleaved by printer, as the broker delivers them.
    for (let i = 0; i < longest; i++) {
        for (let p = 0; p < loads.length; p++) {
            const payload = loads[p].payloads[i];
            if (payload !== undefined)
                trackers[p].handleMessage(`device/${loads[p].serial}/report`, payload);
        }
    }
    const seconds = (performance.now() - started) / 1000;
    const events = eventCount(db);
    db.close();
    return {
        rate: total / seconds,
        events,
        expected: loads.reduce((sum, load) => sum + load.expectedEvents, 0),
    };
}
async function waitFor(condition, limitMs) {
    const until = Date.now() + limitMs;
    while (!condition() && Date.now() < until)
        await new Promise((resolve) => setTimeout(resolve, 10));
    return condition();
}
export async function run() {
    const dir = mkdtempSync(join(tmpdir(), 'bambuzled-bench-listener-'));
    const generator = fileURLToPath(new URL('../simulator/load-generator.js', import.meta.url));
    const load = import.meta.url.endsWith('.js') ? await childLoad(generator) : await inProcessLoad();
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 50);
    const db = openDatabase(join(dir, 'listener.db'));
    migrateRawSchema(db);
    const listener = startListener({ config: load.config, db });
    const received = () => listener.status().reduce((sum, s) => sum + s.reports, 0);
    // Each printer first answers pushall and get_version: two reports before the load starts.
    await waitFor(() => listener.status().every((s) => s.connected && s.reports >= 2), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const baseline = received();
    const started = performance.now();
    const sender = await load.go();
    const complete = await waitFor(() => received() - baseline >= load.totalReports, DEADLINE_MS);
    const seconds = (performance.now() - started) / 1000;
    const delivered = received() - baseline;
    await waitFor(() => eventCount(db) >= load.expectedEvents, 2_000);
    const events = eventCount(db);
    clearInterval(sampler);
    await listener.close();
    await load.close();
    db.close();
    const floor = measureFloor(dir);
    rmSync(dir, { recursive: true, force: true });
    const rate = delivered / seconds;
    const lost = load.expectedEvents - events;
    const rssMb = peakRss / (1024 * 1024);
    const where = load.inProcess ? 'listener + broker + simulators' : 'listener process';
    return {
        title: `Listener: ${SPEC.printers} simulated printers through the local TLS broker`,
        figures: [
            {
                name: 'reports/s through the broker',
                value: Math.round(rate),
                unit: 'reports/s',
                target: `≥ ${TARGET_RATE}`,
                pass: rate >= TARGET_RATE,
            },
            {
                name: 'floor: same payloads, trackers and writes, no network',
                value: Math.round(floor.rate),
                unit: 'reports/s',
            },
            { name: 'share of the floor', value: Math.round((rate / floor.rate) * 1000) / 10, unit: '%' },
            {
                name: 'reports delivered',
                value: delivered,
                unit: `of ${load.totalReports}`,
                target: 'all',
                pass: complete && delivered === load.totalReports,
            },
            {
                name: 'transitions lost',
                value: lost,
                unit: `of ${load.expectedEvents}`,
                target: '0',
                pass: lost === 0 && floor.events === floor.expected,
            },
            {
                name: `peak RSS (${where})`,
                value: Math.round(rssMb),
                unit: 'MB',
                target: `< ${TARGET_RSS_MB}`,
                pass: rssMb < TARGET_RSS_MB,
            },
        ],
        notes: [
            `${SPEC.printers} printers × ${SPEC.jobsPerPrinter} jobs (finish, cancel, pause, fail), ${SPEC.noisePerStep} noise deltas between scripted steps; check_interval 60.`,
            load.inProcess
                ? 'The broker and the simulated printers ran in this process (TypeScript sources): rate and RSS include them.'
                : `The broker and the simulated printers ran in a child process (its peak RSS: ${sender.peakRssMb} MB).`,
            `The floor wrote ${floor.events} of ${floor.expected} transitions from the same kind of payloads.`,
        ],
    };
}
//# sourceMappingURL=listener.bench.js.map