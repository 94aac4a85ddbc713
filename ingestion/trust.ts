import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
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
  tlsOptions: { ca?: Buffer; secureContext?: SecureContext; rejectUnauthorized: false };
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
  /**
   * Shared by the policies of one listener: TLS contexts built once per CA file and the pins read
   * once for all printers. Without it each policy builds its own (a single printer, tests).
   */
  shared?: SharedTrust;
}

/**
 * What the printers of one farm share, so that connecting 5,000 of them does not build 5,000 TLS
 * contexts, read the CA file 5,000 times or query the pin of each printer on every reconnect.
 */
export class SharedTrust {
  private readonly contexts = new Map<string, { ca: Buffer; secureContext: SecureContext }>();
  private plain: SecureContext | undefined;
  private store: ReturnType<typeof fingerprintStore> | undefined;
  private pins: Map<string, string> | undefined;

  constructor(private readonly db: SqliteDatabase) {}

  /** The CA file's bytes and one TLS context that trusts them; throws what readFileSync throws. */
  caContext(caFile: string): { ca: Buffer; secureContext: SecureContext } {
    let entry = this.contexts.get(caFile);
    if (!entry) {
      // Read once per file at start (a configuration error must stop the listener then).
      const ca = readFileSync(caFile);
      entry = { ca, secureContext: createSecureContext({ ca, minVersion: 'TLSv1.2' }) };
      this.contexts.set(caFile, entry);
    }
    return entry;
  }

  /** One TLS context for every connection that judges the peer itself (trust on first use, insecure). */
  plainContext(): SecureContext {
    this.plain ??= createSecureContext({ minVersion: 'TLSv1.2' });
    return this.plain;
  }

  fingerprints(): ReturnType<typeof fingerprintStore> {
    this.store ??= fingerprintStore(this.db);
    return this.store;
  }

  /**
   * The pin last seen for a serial, from one read of every pin; a pin that does not match what a
   * printer presents is read again from the database before anything is refused (it may have been
   * deleted by hand to accept a replaced printer).
   */
  cachedPin(serial: string): string | undefined {
    if (!this.pins) {
      this.pins = new Map();
      try {
        for (const row of this.db
          .prepare('SELECT printer_serial AS serial, cert_fingerprint AS fingerprint FROM printers_raw')
          .all() as { serial: string; fingerprint: string | null }[]) {
          if (row.fingerprint) this.pins.set(row.serial, row.fingerprint);
        }
      } catch {
        // A busy database: every printer then takes the slow path once.
      }
    }
    return this.pins.get(serial);
  }

  remember(serial: string, fingerprint: string): void {
    this.pins?.set(serial, fingerprint);
  }
}

/** Builds the policy the printer's config asks for; throws TrustConfigError for an unreadable ca_file. */
export function createTrustPolicy(options: TrustPolicyOptions): TrustPolicy {
  const { printer, db, logger, now = () => new Date() } = options;
  const shared = options.shared ?? new SharedTrust(db);
  const who = `printer "${printer.name}" (serial ${printer.serial})`;
  if (printer.insecure) {
    logger.warn(
      `${who}: certificate checking is off (insecure: true); anyone on the network could pose as this printer.`,
    );
    return {
      mode: 'insecure',
      tlsOptions: { secureContext: shared.plainContext(), rejectUnauthorized: false },
      verify: (socket) => ({ ok: true, fingerprint: peerFingerprint(socket) ?? '', pinnedNow: false }),
    };
  }
  if (printer.caFile) {
    let context: { ca: Buffer; secureContext: SecureContext };
    try {
      context = shared.caContext(printer.caFile);
    } catch (error) {
      throw new TrustConfigError(
        `Cannot read ca_file ${printer.caFile} for ${who}: ${(error as Error).message}. Fix the path, or remove ca_file to trust the printer's certificate on first use.`,
        { cause: error },
      );
    }
    return {
      mode: 'ca',
      tlsOptions: { ...context, rejectUnauthorized: false },
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
  return {
    mode: 'tofu',
    tlsOptions: { secureContext: shared.plainContext(), rejectUnauthorized: false },
    verify: (socket) => {
      const fingerprint = peerFingerprint(socket);
      if (fingerprint === null) {
        return {
          ok: false,
          fingerprint,
          message: `${who}: the peer presented no certificate. Refusing to connect.`,
        };
      }
      // The usual case, a reconnect to a printer already pinned, needs no database read.
      if (shared.cachedPin(printer.serial) === fingerprint)
        return { ok: true, fingerprint, pinnedNow: false };
      let pinned: string | null;
      try {
        const store = shared.fingerprints();
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
      shared.remember(printer.serial, pinned ?? fingerprint);
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
