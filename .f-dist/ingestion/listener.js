import { EventEmitter } from 'node:events';
import { redactSecrets } from '../lib/logger.js';
import { formatStatusLine, printerStatus } from './farm-status.js';
import { PrinterConnection, realTimers, } from './printer-connection.js';
import { PrinterTracker, } from './printer-tracker.js';
import { createTrustPolicy } from './trust.js';
const SILENT = { info: () => { }, warn: () => { }, error: () => { } };
/**
 * Starts listening to every printer of the config. Returns at once; connections are made in the
 * background, retried with back-off, and reported through status() and the 'status' event.
 * Throws only for a configuration error (an unreadable ca_file: TrustConfigError).
 */
export function startListener(options) {
    const { config, db } = options;
    const now = options.now ?? (() => new Date());
    const timers = options.timers ?? realTimers;
    const statusIntervalMs = options.timing?.statusIntervalMs ?? 60_000;
    // Every line of every part goes through here, so an access code can never reach a log.
    const secrets = config.printers.map((printer) => printer.accessCode);
    const base = options.logger ?? SILENT;
    const logger = {
        info: (message) => base.info(redactSecrets(message, secrets)),
        warn: (message) => base.warn(redactSecrets(message, secrets)),
        error: (message) => base.error(redactSecrets(message, secrets)),
    };
    const emitter = new EventEmitter();
    let closed = false;
    const members = config.printers.map((printer) => {
        const tracker = new PrinterTracker({
            printer: { name: printer.name, serial: printer.serial },
            db,
            now,
            checkIntervalS: config.checkIntervalS,
            logger,
        });
        tracker.on('transition', (event) => emitter.emit('transition', event));
        tracker.on('job-ended', (event) => emitter.emit('job-ended', event));
        tracker.on('bad-input', (event) => emitter.emit('bad-input', { ...event, printerName: printer.name, printerSerial: printer.serial }));
        const connection = new PrinterConnection({
            printer,
            trust: createTrustPolicy({ printer, db, logger, now }),
            onMessage: (topic, payload) => {
                if (!closed)
                    tracker.handleMessage(topic, payload);
            },
            // The tracker treats the next report as a state sync: right after a pushall, not on a
            // reconnect whose pushall is deferred (then the deltas that follow are live transitions).
            onSyncRequested: () => tracker.connected(),
            logger,
            now,
            timers,
            ...(options.connect ? { connect: options.connect } : {}),
            ...(options.timing ? { timing: options.timing } : {}),
        });
        return { printer, tracker, connection };
    });
    const status = () => members.map(({ printer, tracker, connection }) => printerStatus(printer, connection.snapshot(), tracker.status(), now()));
    let statusTimer;
    const tick = () => {
        statusTimer = undefined;
        if (closed)
            return;
        const current = status();
        for (const line of current)
            logger.info(formatStatusLine(line));
        emitter.emit('status', current);
        statusTimer = timers.setTimeout(tick, statusIntervalMs);
    };
    statusTimer = timers.setTimeout(tick, statusIntervalMs);
    logger.info(`listening to ${members.length} printer${members.length === 1 ? '' : 's'}: ${members
        .map(({ printer }) => `${printer.name} (${printer.serial}) at ${printer.host}:${printer.port}`)
        .join(', ')}.`);
    for (const member of members)
        member.connection.start();
    let closing;
    return Object.assign(emitter, {
        status,
        close: () => {
            closing ??= (async () => {
                closed = true;
                if (statusTimer !== undefined)
                    timers.clearTimeout(statusTimer);
                await Promise.all(members.map(({ connection }) => connection.close()));
            })();
            return closing;
        },
    });
}
//# sourceMappingURL=listener.js.map