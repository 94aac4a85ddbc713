import { initialMachineState, step } from './job-state-machine.js';
import { ENDED_JOB_STATUSES } from './raw-schema.js';
import { RawWriter } from './raw-writer.js';
import { parseReport } from './report-parser.js';
import { mergeState } from './state-merge.js';
import { TypedEmitter } from './typed-emitter.js';
const silentLogger = { info: () => { }, warn: () => { }, error: () => { } };
/**
 * Follows one printer: parses each report, merges it into the printer's state, runs the job state
 * machine and writes the raw layer, one transaction per report. It never throws from
 * `handleMessage`: bad input is a 'bad-input' event and a counter, a database failure is logged and
 * retried with the next report.
 */
export class PrinterTracker extends TypedEmitter {
    printer;
    writer;
    now;
    checkIntervalS;
    logger;
    machine = initialMachineState();
    state;
    lastReportAt = null;
    printerWrittenAtMs = Number.NEGATIVE_INFINITY;
    reports = 0;
    writeFailures = 0;
    badInput = {};
    constructor(options) {
        super();
        this.printer = { name: options.printer.name, serial: options.printer.serial };
        this.writer = new RawWriter(options.db);
        this.now = options.now ?? (() => new Date());
        this.checkIntervalS = options.checkIntervalS;
        this.logger = options.logger ?? silentLogger;
    }
    /** Call on every (re)connect: the next status report is a state sync, not a transition. */
    connected() {
        this.machine = { ...this.machine, syncPending: true };
    }
    /** Handles one message from `device/{serial}/report`. Never throws. */
    handleMessage(topic, payload) {
        try {
            this.handle(topic, payload);
        }
        catch (error) {
            // A bug of ours must not take the listener down; the report is lost, the state stays consistent.
            this.reportBad({
                kind: 'internal-error',
                message: error instanceof Error ? error.message : String(error),
            });
        }
    }
    status() {
        const job = this.machine.job;
        return {
            name: this.printer.name,
            serial: this.printer.serial,
            lastReportAt: this.lastReportAt,
            reports: this.reports,
            gcodeState: typeof this.state?.gcode_state === 'string' ? this.state.gcode_state : null,
            currentJob: job
                ? {
                    jobKey: job.jobKey,
                    name: job.name,
                    status: job.status,
                    progressPercent: job.progressPercent,
                    layer: job.layerNum,
                    totalLayers: job.totalLayers,
                }
                : null,
            badInput: { ...this.badInput },
            writeFailures: this.writeFailures,
        };
    }
    handle(topic, payload) {
        const parsed = parseReport(topic, payload, this.printer.serial);
        if (parsed.kind === 'ignored')
            return;
        if (parsed.kind === 'bad') {
            this.reportBad(parsed.bad);
            return;
        }
        for (const dropped of parsed.dropped)
            this.reportBad(dropped);
        const now = this.now();
        const at = now.toISOString();
        const previous = this.state;
        // The merged state is the printer's truth whatever happens to the write below.
        this.state = mergeState(previous, parsed.print, parsed.full);
        this.reports++;
        this.lastReportAt = at;
        let result;
        let written;
        const touchPrinter = now.getTime() - this.printerWrittenAtMs >= this.checkIntervalS * 1000;
        try {
            result = step(this.machine, {
                serial: this.printer.serial,
                now,
                report: parsed.print,
                full: parsed.full,
                previous,
                merged: this.state,
                openJobs: () => this.writer.openJobs(this.printer.serial),
                keyTaken: (key) => this.writer.keyTaken(key),
                checkIntervalS: this.checkIntervalS,
            });
            written = this.writer.write({
                printer: this.printer,
                at,
                writes: result.writes,
                state: this.state,
                touchPrinter,
            });
        }
        catch (error) {
            if (!isDatabaseError(error))
                throw error;
            // The machine state is not advanced, so the next report finds the same transition and retries it.
            this.writeFailures++;
            this.logger.error(`[${this.printer.name}] could not write the raw layer: ${error.message}`);
            return;
        }
        this.machine = result.machine;
        if (touchPrinter)
            this.printerWrittenAtMs = now.getTime();
        for (const transition of written) {
            const event = {
                ...transition,
                printerSerial: this.printer.serial,
                printerName: this.printer.name,
            };
            this.logger.info(`[${this.printer.name}] job ${event.jobKey}: ${event.event} (${event.fromStatus ?? '-'} -> ${event.toStatus})`);
            this.safeEmit('transition', event);
            if (ENDED_JOB_STATUSES.includes(event.toStatus) && event.fromStatus !== event.toStatus) {
                this.safeEmit('job-ended', event);
            }
        }
    }
    reportBad(bad) {
        const count = (this.badInput[bad.kind] ?? 0) + 1;
        this.badInput[bad.kind] = count;
        // Once per kind: a printer that sends garbage every second must not flood the log.
        if (count === 1) {
            this.logger.warn(`[${this.printer.name}] bad input (${bad.kind}): ${bad.message}; further ones are only counted`);
        }
        this.safeEmit('bad-input', bad);
    }
    safeEmit(event, ...args) {
        try {
            this.emit(event, ...args);
        }
        catch (error) {
            this.logger.error(`[${this.printer.name}] a '${event}' listener threw: ${error instanceof Error ? error.message : String(error)}`);
        }
    }
}
/** better-sqlite3 raises SqliteError for SQLite's errors (busy, full disk…) and a TypeError once closed. */
function isDatabaseError(error) {
    return (error instanceof Error &&
        (error.name === 'SqliteError' || /database connection is not open/i.test(error.message)));
}
//# sourceMappingURL=printer-tracker.js.map