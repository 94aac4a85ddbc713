import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { TLSSocket } from 'node:tls';
import { type IClientOptions, type MqttClient, connect as mqttConnect } from 'mqtt';
import type { Logger } from '../lib/index.js';
import type { ConnectPacer, PacedAttempt } from './connect-pacer.js';
import { realTimers, type Timers } from './timers.js';
import type { TrustMode, TrustPolicy, TrustVerdict } from './trust.js';

/** The slice of a printer's config a connection needs. */
export interface ConnectionPrinter {
  name: string;
  host: string;
  port: number;
  accessCode: string;
  serial: string;
}

// The timers a connection uses, injectable so that tests can drive time.
export { realTimers, type Timers };

/** Reconnect, liveness and request pacing (the protocol notes in the README's Listener section). */
export interface ConnectionTiming {
  /** Reconnect (and ask for pushall) after this long without a report. */
  watchdogMs: number;
  /** Back-off between attempts: doubles from the initial delay up to the maximum. */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /**
   * The back-off starts again from its initial delay only once a connection has stayed up this
   * long: a flapping connection (each reconnect asks for pushall) then reconnects at most every
   * backoffMaxMs.
   */
  stableAfterMs: number;
  /** pushall makes P1 printers lag: the watchdog's reconnect asks for it at most this often per printer. */
  pushallMinIntervalMs: number;
  connectTimeoutMs: number;
  keepaliveS: number;
}

export const DEFAULT_CONNECTION_TIMING: ConnectionTiming = {
  watchdogMs: 60_000,
  backoffInitialMs: 1_000,
  backoffMaxMs: 30_000,
  stableAfterMs: 60_000,
  pushallMinIntervalMs: 5 * 60_000,
  connectTimeoutMs: 10_000,
  keepaliveS: 30,
};

/**
 * mqtt.js loads its transports (ws, tcp, tls: ~25 ms) on its first connect; loaded with this module
 * instead, that time is spent at start-up, not in the first turn of a farm's connect phase.
 */
for (const transport of ['mqtt/lib/connect/tcp', 'mqtt/lib/connect/tls', 'mqtt/lib/connect/ws']) {
  createRequire(import.meta.url)(transport);
}

/** What a connection knows before its first attempt. */
export function notConnected(trust: TrustMode): ConnectionSnapshot {
  return {
    connected: false,
    trust,
    fingerprint: null,
    connectedSince: null,
    lastReportAt: null,
    reports: 0,
    connects: 0,
    lastPushallAt: null,
    lastError: null,
  };
}

/** mqtt.connect's shape, injectable. */
export type MqttConnect = (url: string, options: IClientOptions) => MqttClient;

/** What a connection knows about itself, for status lines. */
export interface ConnectionSnapshot {
  connected: boolean;
  trust: TrustMode;
  /** SHA-256 of the certificate seen at the last handshake. */
  fingerprint: string | null;
  connectedSince: string | null;
  lastReportAt: string | null;
  reports: number;
  connects: number;
  lastPushallAt: string | null;
  /** Why the last attempt or connection ended, when it did not end on purpose. */
  lastError: string | null;
}

export interface PrinterConnectionOptions {
  printer: ConnectionPrinter;
  trust: TrustPolicy;
  /** Every message on the report topic, in order. */
  onMessage(topic: string, payload: Buffer): void;
  /**
   * Called whenever a pushall goes out: the next full report is a state sync, not a transition.
   * After a lost connection the pushall goes out at once (see requestPushall); after the watchdog's
   * reconnect it may be deferred by the 5-minute spacing, and until then the printer's deltas are
   * live changes (a FINISH among them is a real FINISH).
   */
  onSyncRequested(): void;
  logger: Logger;
  now?: () => Date;
  connect?: MqttConnect;
  timers?: Timers;
  timing?: Partial<ConnectionTiming>;
  /** Shared by a farm's connections so that their handshakes do not all run at once. */
  pacer?: ConnectPacer;
}

const PUSHALL = JSON.stringify({
  pushing: { sequence_id: '0', command: 'pushall', version: 1, push_target: 1 },
});
const GET_VERSION = JSON.stringify({ info: { sequence_id: '0', command: 'get_version' } });
const NOT_AUTHORIZED_CODES = new Set([4, 5]);

/**
 * One MQTT-over-TLS connection to one printer: login as `bblp`, check the certificate before the
 * access code leaves, subscribe to the report topic, ask for get_version and pushall, reconnect
 * with back-off, and reconnect when the printer goes quiet (a known P1 firmware stall).
 */
export class PrinterConnection {
  private readonly options: PrinterConnectionOptions;
  private readonly timing: ConnectionTiming;
  private readonly timers: Timers;
  private readonly now: () => Date;
  private readonly who: string;
  private client: MqttClient | undefined;
  private closing = false;
  private attempt = 0;
  private nextDelayMs: number;
  private reconnectTimer: unknown;
  private watchdogTimer: unknown;
  private pushallTimer: unknown;
  private stableTimer: unknown;
  /** The last connection was lost (not ended by our watchdog): the next connect must resync at once. */
  private lostConnection = false;
  /** The watchdog is ending the current connection on purpose. */
  private watchdogClosing = false;
  private reportsThisSession = 0;
  private snap: ConnectionSnapshot;
  /** This connection's place in the pacer's queue, or its slot while its handshake runs. */
  private attemptSlot: PacedAttempt | undefined;

  constructor(options: PrinterConnectionOptions) {
    this.options = options;
    this.timing = { ...DEFAULT_CONNECTION_TIMING, ...options.timing };
    this.timers = options.timers ?? realTimers;
    this.now = options.now ?? (() => new Date());
    this.nextDelayMs = this.timing.backoffInitialMs;
    this.who = `printer "${options.printer.name}" (serial ${options.printer.serial})`;
    this.snap = notConnected(options.trust.mode);
  }

  snapshot(): ConnectionSnapshot {
    return { ...this.snap };
  }

  /** Starts connecting; failures are logged and retried, never thrown. */
  start(): void {
    this.closing = false;
    this.openPaced();
  }

  /** Stops every timer and closes the connection. */
  async close(): Promise<void> {
    this.closing = true;
    this.clearTimer('reconnectTimer');
    this.clearTimer('watchdogTimer');
    this.clearTimer('pushallTimer');
    this.clearTimer('stableTimer');
    this.releaseSlot();
    const client = this.client;
    this.client = undefined;
    this.snap.connected = false;
    if (client) await client.endAsync(true).catch(() => {});
  }

  /** Opens now, or when the pacer gives this connection its turn. */
  private openPaced(): void {
    const pacer = this.options.pacer;
    if (!pacer) {
      this.open();
      return;
    }
    this.releaseSlot();
    this.attemptSlot = pacer.run(() => {
      if (!this.closing) this.open();
    });
  }

  private releaseSlot(): void {
    this.attemptSlot?.done();
    this.attemptSlot = undefined;
  }

  private open(): void {
    const { printer, trust, logger } = this.options;
    this.attempt += 1;
    const connect = this.options.connect ?? mqttConnect;
    const client = connect(`mqtts://${printer.host}:${printer.port}`, {
      clientId: `bambuzled_${printer.serial}_${process.pid}_${this.attempt}_${randomBytes(3).toString('hex')}`,
      username: 'bblp',
      password: printer.accessCode,
      clean: true,
      protocolVersion: 4,
      // Our own back-off and watchdog decide when to reconnect, so mqtt.js never does.
      reconnectPeriod: 0,
      connectTimeout: this.timing.connectTimeoutMs,
      keepalive: this.timing.keepaliveS,
      // The printer's certificate names its serial, not its IP address.
      servername: printer.serial,
      ...trust.tlsOptions,
    });
    this.client = client;
    let refused: string | null = null;
    let retrySoon = false;

    const stream = client.stream as TLSSocket | undefined;
    stream?.once?.('secureConnect', () => {
      let verdict: TrustVerdict;
      try {
        verdict = trust.verify(stream);
      } catch (error) {
        // An exception thrown from a socket event would be uncaught and end the listener.
        const reason = error instanceof Error ? error.message : String(error);
        verdict = {
          ok: false,
          fingerprint: null,
          retry: true,
          message: `${this.who}: the certificate check failed (${reason}). Refusing to connect for now; the access code was not sent.`,
        };
      }
      this.snap.fingerprint = verdict.fingerprint;
      if (verdict.ok) return;
      refused = verdict.message;
      retrySoon = verdict.retry === true;
      stream.destroy();
    });

    client.on('connect', () => {
      if (this.client !== client) return;
      this.releaseSlot();
      this.reportsThisSession = 0;
      this.snap.connected = true;
      this.snap.connects += 1;
      this.snap.connectedSince = this.now().toISOString();
      this.snap.lastError = null;
      logger.info(`${this.who}: connected to ${printer.host}:${printer.port}.`);
      this.armWatchdog();
      this.clearTimer('stableTimer');
      this.stableTimer = this.timers.setTimeout(() => {
        this.stableTimer = undefined;
        this.nextDelayMs = this.timing.backoffInitialMs;
      }, this.timing.stableAfterMs);
      const afterLoss = this.lostConnection;
      client.subscribe(`device/${printer.serial}/report`, { qos: 0 }, (error) => {
        if (error || this.client !== client) return;
        client.publish(`device/${printer.serial}/request`, GET_VERSION);
        this.lostConnection = false;
        this.requestPushall(afterLoss);
      });
    });

    client.on('message', (topic, payload) => {
      if (this.client !== client) return;
      this.reportsThisSession += 1;
      this.snap.reports += 1;
      this.snap.lastReportAt = this.now().toISOString();
      this.armWatchdog();
      try {
        this.options.onMessage(topic, payload);
      } catch (error) {
        logger.error(`${this.who}: a report could not be handled: ${(error as Error).message}`);
      }
    });

    client.on('error', (error: Error & { code?: unknown }) => {
      if (this.client !== client) return;
      if (typeof error.code === 'number' && NOT_AUTHORIZED_CODES.has(error.code)) {
        this.snap.lastError = 'not authorized';
        this.nextDelayMs = this.timing.backoffMaxMs;
        logger.error(
          `${this.who} refused the login: not authorized. Check access_code (the LAN access code on the printer's screen) and serial_number for this printer.`,
        );
        return;
      }
      this.snap.lastError = error.message;
    });

    client.on('close', () => {
      if (this.client !== client) return;
      this.releaseSlot();
      this.client = undefined;
      const wasConnected = this.snap.connected;
      const byWatchdog = this.watchdogClosing;
      this.watchdogClosing = false;
      this.snap.connected = false;
      this.clearTimer('watchdogTimer');
      this.clearTimer('pushallTimer');
      this.clearTimer('stableTimer');
      if (wasConnected && !byWatchdog) this.lostConnection = true;
      client.removeAllListeners('message');
      client.end(true);
      if (this.closing) return;
      if (refused !== null) {
        this.snap.lastError = refused;
        if (!retrySoon) this.nextDelayMs = this.timing.backoffMaxMs;
        logger.error(refused);
      } else if (wasConnected) {
        logger.warn(`${this.who}: connection lost${this.snap.lastError ? ` (${this.snap.lastError})` : ''}.`);
      } else if (this.snap.lastError !== 'not authorized') {
        // Say why: a wrong IP or port otherwise shows only as an endless series of reconnects.
        const reason = this.snap.lastError ?? `no answer within ${this.timing.connectTimeoutMs / 1000} s`;
        logger.warn(
          `${this.who}: cannot connect to ${printer.host}:${printer.port} (${reason}). Check printer_ip and port, and that the printer is on and reachable from here.`,
        );
      }
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    const delay = this.nextDelayMs;
    this.nextDelayMs = Math.min(this.nextDelayMs * 2, this.timing.backoffMaxMs);
    this.options.logger.info(`${this.who}: reconnecting in ${Math.round(delay / 100) / 10} s.`);
    this.clearTimer('reconnectTimer');
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closing) this.openPaced();
    }, delay);
  }

  private armWatchdog(): void {
    this.clearTimer('watchdogTimer');
    this.watchdogTimer = this.timers.setTimeout(() => this.onWatchdog(), this.timing.watchdogMs);
  }

  private onWatchdog(): void {
    this.watchdogTimer = undefined;
    const client = this.client;
    if (!client || this.closing) return;
    const seconds = Math.round(this.timing.watchdogMs / 1000);
    if (this.reportsThisSession === 0) {
      this.options.logger.warn(
        `${this.who}: connected but no report in ${seconds} s. Check serial_number: the report topic is case-sensitive, and a wrong serial is accepted silently. Reconnecting.`,
      );
    } else {
      this.options.logger.warn(
        `${this.who}: no report for ${seconds} s; reconnecting and asking for a full report.`,
      );
    }
    this.snap.lastError = `no report for ${seconds} s`;
    // A clean reconnect after a stall: start again from the shortest delay.
    this.nextDelayMs = this.timing.backoffInitialMs;
    this.watchdogClosing = true;
    client.end(true);
  }

  /**
   * Sends pushall now, or once the 5-minute spacing allows it. After a lost connection it goes out
   * at once whatever the spacing: delta-only printers (P1, A1, newer firmware of all models) never
   * resend what changed while we were away, so without a full report the next job's deltas would
   * be applied to the old job's row. A flapping connection cannot flood the printer with pushalls:
   * the back-off only starts again from its shortest delay after stableAfterMs of connection.
   * The watchdog's reconnect (a printer that went quiet) keeps the spacing.
   */
  private requestPushall(afterLoss = false): void {
    if (afterLoss) {
      this.clearTimer('pushallTimer');
      this.options.logger.info(
        `${this.who}: pushall after reconnect: deltas cannot tell what changed while disconnected.`,
      );
      this.publishPushall();
      return;
    }
    if (this.pushallTimer !== undefined) return;
    const last = this.snap.lastPushallAt === null ? null : Date.parse(this.snap.lastPushallAt);
    const waitMs = last === null ? 0 : last + this.timing.pushallMinIntervalMs - this.now().getTime();
    if (waitMs <= 0) {
      this.publishPushall();
      return;
    }
    this.options.logger.info(
      `${this.who}: full report (pushall) deferred by ${Math.ceil(waitMs / 1000)} s: at most one per ${Math.round(this.timing.pushallMinIntervalMs / 1000)} s.`,
    );
    this.pushallTimer = this.timers.setTimeout(() => {
      this.pushallTimer = undefined;
      this.publishPushall();
    }, waitMs);
  }

  /**
   * Asks for the printer's full state now, answered as a live report, not a state sync: a job opened
   * on a delta that did not name it, so its ids and name may still be the previous job's, and the
   * full report brings the printer's own. The state machine asks at most once per job start, so
   * this does not wait for the 5-minute spacing (a guard against a flapping connection's pushalls).
   */
  requestFullReport(): void {
    const client = this.client;
    if (!client || !this.snap.connected) return;
    this.options.logger.info(
      `${this.who}: full report (pushall) asked for: a job started on a report that did not name it.`,
    );
    this.snap.lastPushallAt = this.now().toISOString();
    client.publish(`device/${this.options.printer.serial}/request`, PUSHALL);
  }

  private publishPushall(): void {
    const client = this.client;
    if (!client || !this.snap.connected) return;
    this.snap.lastPushallAt = this.now().toISOString();
    this.options.onSyncRequested();
    client.publish(`device/${this.options.printer.serial}/request`, PUSHALL);
  }

  private clearTimer(name: 'reconnectTimer' | 'watchdogTimer' | 'pushallTimer' | 'stableTimer'): void {
    if (this[name] !== undefined) this.timers.clearTimeout(this[name]);
    this[name] = undefined;
  }
}
