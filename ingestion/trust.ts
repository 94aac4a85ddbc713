import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import type { Logger, SqliteDatabase } from '../lib/index.js';

/**
 * How the listener decides whether the TLS peer is the printer it means to talk to:
 * - `ca`: the certificate must chain to `ca_file` and name the serial (servername = serial);
 * - `tofu`: trust on first use — the SHA-256 fingerprint seen first is pinned in
 *   printers_raw.cert_fingerprint and a different one later is refused;
 * - `insecure`: no check at all, chosen explicitly in the config.
 */
export type TrustMode = 'ca' | 'tofu' | 'insecure';

export type TrustVerdict =
  | { ok: true; fingerprint: string; pinnedNow: boolean }
  | {
      ok: false;
      fingerprint: string | null;
      message: string;
      /** A passing failure (the database was busy): retry at the usual back-off, not the longest. */
      retry?: boolean;
    };

export interface TrustPolicy {
  mode: TrustMode;
  /** TLS options for the connection. Verification is ours (see verify), so Node never rejects first. */
  tlsOptions: { ca?: Buffer; rejectUnauthorized: false };
  /**
   * Judges the peer once the handshake is done and before any MQTT byte (the access code) leaves:
   * Node holds data written before `secureConnect` until that event's listeners have run.
   */
  verify(socket: TLSSocket): TrustVerdict;
}

/** The printer a policy is for (a slice of PrinterConfig). */
export interface TrustedPrinter {
  name: string;
  serial: string;
  caFile?: string;
  insecure?: boolean;
}

/** A ca_file that cannot be read: a configuration error, raised at start. */
export class TrustConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrustConfigError';
  }
}

export interface TrustPolicyOptions {
  printer: TrustedPrinter;
  db: SqliteDatabase;
  logger: Logger;
  now?: () => Date;
}

/** Builds the policy the printer's config asks for; throws TrustConfigError for an unreadable ca_file. */
export function createTrustPolicy(options: TrustPolicyOptions): TrustPolicy {
  const { printer, db, logger, now = () => new Date() } = options;
  const who = `printer "${printer.name}" (serial ${printer.serial})`;
  if (printer.insecure) {
    logger.warn(
      `${who}: certificate checking is off (insecure: true); anyone on the network could pose as this printer.`,
    );
    return {
      mode: 'insecure',
      tlsOptions: { rejectUnauthorized: false },
      verify: (socket) => ({ ok: true, fingerprint: peerFingerprint(socket) ?? '', pinnedNow: false }),
    };
  }
  if (printer.caFile) {
    let ca: Buffer;
    try {
      ca = readFileSync(printer.caFile);
    } catch (error) {
      throw new TrustConfigError(
        `Cannot read ca_file ${printer.caFile} for ${who}: ${(error as Error).message}. Fix the path, or remove ca_file to trust the printer's certificate on first use.`,
        { cause: error },
      );
    }
    return {
      mode: 'ca',
      tlsOptions: { ca, rejectUnauthorized: false },
      verify: (socket) => {
        const fingerprint = peerFingerprint(socket);
        if (socket.authorized) return { ok: true, fingerprint: fingerprint ?? '', pinnedNow: false };
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
      let pinned: string | null;
      try {
        pinned = store.get(printer.serial);
        if (pinned === null) store.pin(printer.serial, printer.name, fingerprint, now());
      } catch (error) {
        // A busy or broken database must not crash the listener from a socket event: refuse this
        // connection (nothing was sent yet) and let the back-off retry.
        return {
          ok: false,
          fingerprint,
          retry: true,
          message: `${who}: could not read or pin its certificate in the database (${error instanceof Error ? error.message : String(error)}). Refusing to connect for now; retrying.`,
        };
      }
      if (pinned === null) {
        logger.info(`${who}: trusting its certificate on first use, SHA-256 ${fingerprint}.`);
        return { ok: true, fingerprint, pinnedNow: true };
      }
      if (pinned === fingerprint) return { ok: true, fingerprint, pinnedNow: false };
      return { ok: false, fingerprint, message: certificateChangedMessage(printer, pinned, fingerprint) };
    },
  };
}

/** The refusal a changed certificate gets: both fingerprints and the three ways forward. */
export function certificateChangedMessage(
  printer: TrustedPrinter,
  pinned: string,
  presented: string,
): string {
  return [
    `Printer "${printer.name}" (serial ${printer.serial}) presented a different TLS certificate than the one trusted on first use:`,
    `trusted SHA-256 ${pinned}, presented SHA-256 ${presented}.`,
    'Refusing to connect; the access code was not sent.',
    `If the printer was replaced or reset, delete its pin (DELETE FROM printers_raw WHERE printer_serial = '${printer.serial}', or set cert_fingerprint to NULL),`,
    "or set ca_file to Bambu Lab's CA bundle, or set insecure: true to turn certificate checking off.",
  ].join(' ');
}

/** SHA-256 of the peer's leaf certificate as `AB:CD:…`, or null when there is none. */
export function peerFingerprint(socket: TLSSocket): string | null {
  const certificate = socket.getPeerCertificate();
  if (!certificate || typeof certificate.fingerprint256 !== 'string' || certificate.fingerprint256 === '') {
    return null;
  }
  return certificate.fingerprint256;
}

/** Reads and pins fingerprints in printers_raw (the raw layer's printer table). */
export function fingerprintStore(db: SqliteDatabase) {
  const select = db.prepare(
    'SELECT cert_fingerprint AS fingerprint FROM printers_raw WHERE printer_serial = ?',
  );
  // Pin only where nothing is pinned yet: a row written by the raw writer keeps its other columns.
  const pin = db.prepare(
    `INSERT INTO printers_raw (printer_serial, printer_name, cert_fingerprint, first_seen_at)
     VALUES (?, ?, ?, ?)
     ON CONFLICT (printer_serial) DO UPDATE SET cert_fingerprint = excluded.cert_fingerprint
     WHERE printers_raw.cert_fingerprint IS NULL`,
  );
  return {
    get(serial: string): string | null {
      const row = select.get(serial) as { fingerprint: string | null } | undefined;
      return row?.fingerprint ?? null;
    },
    pin(serial: string, name: string, fingerprint: string, at: Date): void {
      pin.run(serial, name, fingerprint, at.toISOString());
    },
  };
}
