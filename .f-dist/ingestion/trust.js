import { readFileSync } from 'node:fs';
/** A ca_file that cannot be read: a configuration error, raised at start. */
export class TrustConfigError extends Error {
    constructor(message, options) {
        super(message, options);
        this.name = 'TrustConfigError';
    }
}
/** Builds the policy the printer's config asks for; throws TrustConfigError for an unreadable ca_file. */
export function createTrustPolicy(options) {
    const { printer, db, logger, now = () => new Date() } = options;
    const who = `printer "${printer.name}" (serial ${printer.serial})`;
    if (printer.insecure) {
        logger.warn(`${who}: certificate checking is off (insecure: true); anyone on the network could pose as this printer.`);
        return {
            mode: 'insecure',
            tlsOptions: { rejectUnauthorized: false },
            verify: (socket) => ({ ok: true, fingerprint: peerFingerprint(socket) ?? '', pinnedNow: false }),
        };
    }
    if (printer.caFile) {
        let ca;
        try {
            ca = readFileSync(printer.caFile);
        }
        catch (error) {
            throw new TrustConfigError(`Cannot read ca_file ${printer.caFile} for ${who}: ${error.message}. Fix the path, or remove ca_file to trust the printer's certificate on first use.`, { cause: error });
        }
        return {
            mode: 'ca',
            tlsOptions: { ca, rejectUnauthorized: false },
            verify: (socket) => {
                const fingerprint = peerFingerprint(socket);
                if (socket.authorized)
                    return { ok: true, fingerprint: fingerprint ?? '', pinnedNow: false };
                return {
                    ok: false,
                    fingerprint,
                    message: `${who}: its certificate is not trusted by ca_file ${printer.caFile} for the name ${printer.serial} (${String(socket.authorizationError)}). Refusing to connect; the access code was not sent. Check serial_number and ca_file, or remove ca_file to trust on first use.`,
                };
            },
        };
    }
    const store = fingerprintStore(db);
    return {
        mode: 'tofu',
        tlsOptions: { rejectUnauthorized: false },
        verify: (socket) => {
            const fingerprint = peerFingerprint(socket);
            if (fingerprint === null) {
                return {
                    ok: false,
                    fingerprint,
                    message: `${who}: the peer presented no certificate. Refusing to connect.`,
                };
            }
            const pinned = store.get(printer.serial);
            if (pinned === null) {
                store.pin(printer.serial, printer.name, fingerprint, now());
                logger.info(`${who}: trusting its certificate on first use, SHA-256 ${fingerprint}.`);
                return { ok: true, fingerprint, pinnedNow: true };
            }
            if (pinned === fingerprint)
                return { ok: true, fingerprint, pinnedNow: false };
            return { ok: false, fingerprint, message: certificateChangedMessage(printer, pinned, fingerprint) };
        },
    };
}
/** The refusal a changed certificate gets: both fingerprints and the three ways forward. */
export function certificateChangedMessage(printer, pinned, presented) {
    return [
        `Printer "${printer.name}" (serial ${printer.serial}) presented a different TLS certificate than the one trusted on first use:`,
        `trusted SHA-256 ${pinned}, presented SHA-256 ${presented}.`,
        'Refusing to connect; the access code was not sent.',
        `If the printer was replaced or reset, delete its pin (DELETE FROM printers_raw WHERE printer_serial = '${printer.serial}', or set cert_fingerprint to NULL),`,
        "or set ca_file to Bambu Lab's CA bundle, or set insecure: true to turn certificate checking off.",
    ].join(' ');
}
/** SHA-256 of the peer's leaf certificate as `AB:CD:…`, or null when there is none. */
export function peerFingerprint(socket) {
    const certificate = socket.getPeerCertificate();
    if (!certificate || typeof certificate.fingerprint256 !== 'string' || certificate.fingerprint256 === '') {
        return null;
    }
    return certificate.fingerprint256;
}
/** Reads and pins fingerprints in printers_raw (the raw layer's printer table). */
export function fingerprintStore(db) {
    const select = db.prepare('SELECT cert_fingerprint AS fingerprint FROM printers_raw WHERE printer_serial = ?');
    // Pin only where nothing is pinned yet: a row written by the raw writer keeps its other columns.
    const pin = db.prepare(`INSERT INTO printers_raw (printer_serial, printer_name, cert_fingerprint, first_seen_at)
     VALUES (?, ?, ?, ?)
     ON CONFLICT (printer_serial) DO UPDATE SET cert_fingerprint = excluded.cert_fingerprint
     WHERE printers_raw.cert_fingerprint IS NULL`);
    return {
        get(serial) {
            const row = select.get(serial);
            return row?.fingerprint ?? null;
        },
        pin(serial, name, fingerprint, at) {
            pin.run(serial, name, fingerprint, at.toISOString());
        },
    };
}
//# sourceMappingURL=trust.js.map