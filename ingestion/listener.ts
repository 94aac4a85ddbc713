import { EventEmitter } from 'node:events';
import { type Logger, redactingLogger, type SqliteDatabase, secretRedactor } from '../lib/index.js';
import { remainUsage } from './ams-remain.js';
import type { ListenerConfig, PrinterConfig } from './config.js';
import { DEFAULT_FTP_PORT } from './config-fields.js';
import { ConnectPacer, type ConnectPacing, DEFAULT_CONNECT_PACING } from './connect-pacer.js';
import {
  formatStatusLine,
  type PrinterConnectionStatus,
  printerStatus,
  type TrackerStatusSlice,
} from './farm-status.js';
import { type LoadedTray, loadedTrays } from './filament-trays.js';
import { downloadFirst } from './ftps-download.js';
import { type HandlingFigures, HandlingTimer } from './handling-timer.js';
import { DEFAULT_FETCH_TIMING, type FetchTiming, JobFileFetcher } from './job-file-fetcher.js';
import { HealthFile, type ListenerHealth } from './listener-health.js';
import {
  type ConnectionTiming,
  type MqttConnect,
  notConnected,
  PrinterConnection,
  realTimers,
  type Timers,
} from './printer-connection.js';
import {
  PrinterTracker,
  type BadInputEvent as TrackerBadInput,
  type TransitionEvent,
} from './printer-tracker.js';
import type { RawStore } from './raw-store.js';
import { RawWriter, type WrittenTransition } from './raw-writer.js';
import type { ReportArchive } from './report-archive.js';
import { createTrustPolicy, SharedTrust, type TrustPolicy } from './trust.js';

export type { TransitionEvent };
/** A job that ended (finished, failed, cancelled, ended while disconnected). */
export type JobEndedEvent = TransitionEvent;
/** A report the tracker could not use, with the printer it came from. */
export type BadInputEvent = TrackerBadInput & { printerName: string; printerSerial: string };

export interface ListenerEvents {
  'job-ended': [JobEndedEvent];
  /** A job's filament figures, or why there are none, were written (event filament_recorded). */
  'filament-recorded': [TransitionEvent];
  transition: [TransitionEvent];
  'bad-input': [BadInputEvent];
  /** Every status interval: one entry per printer. */
  status: [PrinterConnectionStatus[]];
}

export interface ListenerTiming extends ConnectionTiming {
  /** How often a status line per printer is logged and the 'status' event fires. */
  statusIntervalMs: number;
  /** How often the health file is rewritten. */
  healthIntervalMs: number;
}

export interface ListenerOptions {
  config: ListenerConfig;
  /** A raw-layer database, already migrated (migrateRawSchema): the raw rows and the certificate pins. */
  db: SqliteDatabase;
  /**
   * Where the raw rows go instead of `db` (PostgreSQL: pg-raw-store.ts); `db` then keeps only the
   * certificate pins, a trust decision local to this listener's machine.
   */
  store?: RawStore;
  now?: () => Date;
  logger?: Logger;
  /** mqtt.connect, injectable. */
  connect?: MqttConnect;
  timers?: Timers;
  timing?: Partial<ListenerTiming>;
  /** Every report received goes here first, with its arrival time; the listener closes it on close(). */
  archive?: ReportArchive;
  /** Where to publish the write health for `bambuzled status` and the status page (listenerHealthPath). */
  healthFile?: string;
  /** Fetching each job's .3mf over FTPS for its filament: on unless `enabled: false`. */
  jobFiles?: { enabled?: boolean; timing?: Partial<FetchTiming> };
  /** How many handshakes run at once while a farm connects (DEFAULT_CONNECT_PACING). */
  connectPacing?: Partial<ConnectPacing>;
  /** Printers whose tracker and connection are made per turn of the event loop (500). */
  membersPerTurn?: number;
}

/** The running ingestion service: one connection and one job tracker per printer. */
export interface Listener extends EventEmitter<ListenerEvents> {
  /** One entry per configured printer, in config order. */
  status(): PrinterConnectionStatus[];
  /** What the health file says: each printer's write health and the archive's figures. */
  health(): ListenerHealth;
  /** How long reports took to handle (parse, state machine, write) since the start or the last reset. */
  handling(options?: { reset?: boolean }): HandlingFigures;
  /**
   * Stops the status timer and every connection, then waits until every report received is
   * written or refused (a store that answers later: the raw writer's thread, PostgreSQL); later
   * reports are ignored. The store itself is closed by its owner.
   */
  close(): Promise<void>;
}

const STATUS_LINES_PER_TURN = 250;
const NAMED_AT_START = 20;
/** Printers whose tracker and connection are made in one turn of the event loop (see buildPart). */
const MEMBERS_PER_TURN = 500;
const NO_REPORTS: TrackerStatusSlice = { lastReportAt: null, reports: 0, currentJob: null, badInput: {} };

const SILENT: Logger = { info: () => {}, warn: () => {}, error: () => {} };

interface FarmMember {
  printer: PrinterConfig;
  tracker: PrinterTracker;
  connection: PrinterConnection;
  files: JobFileFetcher | null;
}

/**
 * Starts listening to every printer of the config. Returns at once; connections are made in the
 * background, retried with back-off, and reported through status() and the 'status' event.
 * Throws only for a configuration error (an unreadable ca_file: TrustConfigError).
 */
export function startListener(options: ListenerOptions): Listener {
  const { config, db } = options;
  const now = options.now ?? (() => new Date());
  const timers = options.timers ?? realTimers;
  const statusIntervalMs = options.timing?.statusIntervalMs ?? 60_000;
  // Every line of every part goes through here, so an access code can never reach a log. One
  // matcher for all codes, built once: a line costs the same at 10 printers as at 5,000, and a
  // line about one printer that carries another's code is still masked. A logger that already
  // masks these codes (the CLI's) is not wrapped a second time.
  const secrets = config.printers.map((printer) => printer.accessCode);
  const logger = redactingLogger(options.logger ?? SILENT, secrets);
  const trustShared = new SharedTrust(db);
  const pacer = new ConnectPacer(timers, { ...DEFAULT_CONNECT_PACING, ...options.connectPacing });
  const handlingTimer = new HandlingTimer();
  // One writer (prepared statements, no state of its own) for every printer: building one per
  // printer prepared ~15 statements and ran the migration check each, 2.6 s at 1,000 printers.
  const writer: RawStore = options.store ?? new RawWriter(db);

  const emitter = new EventEmitter<ListenerEvents>();
  let closed = false;
  const archive = options.archive;
  // Trust first, for every printer at once: an unreadable ca_file is a config error startListener throws.
  const trusts = config.printers.map((printer) =>
    createTrustPolicy({ printer, db, logger, now, shared: trustShared }),
  );
  const buildMember = (printer: PrinterConfig, trust: TrustPolicy): FarmMember => {
    archive?.recordStart(printer.serial, now(), {
      name: printer.name,
      checkIntervalS: config.checkIntervalS,
    });
    const tracker = new PrinterTracker({
      printer: { name: printer.name, serial: printer.serial },
      db: writer,
      now,
      checkIntervalS: config.checkIntervalS,
      logger,
      timers,
    });
    const files = jobFilesOf(printer, tracker, trust, writer, options, logger, now, timers, (written) =>
      emitter.emit('filament-recorded', {
        ...written,
        printerSerial: printer.serial,
        printerName: printer.name,
      }),
    );
    tracker.on('transition', (event) => emitter.emit('transition', event));
    tracker.on('job-ended', (event) => emitter.emit('job-ended', event));
    if (files) watchFilament(tracker, files, logger);
    tracker.on('bad-input', (event) =>
      emitter.emit('bad-input', { ...event, printerName: printer.name, printerSerial: printer.serial }),
    );
    const connection = new PrinterConnection({
      printer,
      trust,
      onMessage: (topic, payload) => {
        if (closed) return;
        // One clock reading for both, so that a replay of the archive gives the same times.
        const at = now();
        const started = performance.now();
        archive?.recordReport(printer.serial, at, topic, payload);
        tracker.handleMessage(topic, payload, at);
        handlingTimer.record(performance.now() - started);
      },
      // The tracker treats the next report as a state sync: right after a pushall, not on a
      // reconnect whose pushall is deferred (then the deltas that follow are live transitions).
      onSyncRequested: () => {
        archive?.recordSync(printer.serial, now());
        tracker.connected();
      },
      logger,
      now,
      timers,
      pacer,
      ...(options.connect ? { connect: options.connect } : {}),
      ...(options.timing ? { timing: options.timing } : {}),
    });
    tracker.on('full-report-wanted', () => connection.requestFullReport());
    return { printer, tracker, connection, files: files?.fetcher ?? null };
  };

  // A farm is built MEMBERS_PER_TURN printers per turn of the event loop, each part's connections
  // started as it is built (the pacer lets a few handshakes run at a time; the rest wait their
  // turn): 5,000 trackers and connections made in one turn held the loop for 100-140 ms. The first
  // part is built here, its connections start on the next turn; until a printer is built its status
  // says "not connected, no report yet", as it would be anyway.
  const members: FarmMember[] = [];
  const buildPart = (): FarmMember[] => {
    const from = members.length;
    const to = Math.min(config.printers.length, from + (options.membersPerTurn ?? MEMBERS_PER_TURN));
    for (let i = from; i < to; i++) members.push(buildMember(config.printers[i]!, trusts[i]!));
    return members.slice(from, to);
  };
  let buildTimer: unknown;
  const buildRest = (startNow: FarmMember[]) => {
    buildTimer = undefined;
    if (closed) return;
    for (const member of startNow) member.connection.start();
    if (members.length < config.printers.length) {
      buildTimer = timers.setTimeout(() => buildRest(buildPart()), 0);
    }
  };
  const firstPart = buildPart();

  const status = (): PrinterConnectionStatus[] =>
    config.printers.map((_, i) => {
      const member = members[i];
      if (member)
        return printerStatus(member.printer, member.connection.snapshot(), member.tracker.status(), now());
      return printerStatus(config.printers[i]!, notConnected(trusts[i]!.mode), NO_REPORTS, now());
    });

  const health = (): ListenerHealth => ({
    updatedAt: now().toISOString(),
    running: !closed,
    pid: process.pid,
    printers: status().map(({ name, serial, lastReportAt, writes, writeFailures }) => ({
      name,
      serial,
      lastReportAt,
      writes,
      writeFailures,
    })),
    archive: archive?.stats() ?? null,
  });
  const healthFile = options.healthFile ? new HealthFile(options.healthFile) : undefined;
  const healthIntervalMs = options.timing?.healthIntervalMs ?? 5_000;
  let healthTimer: unknown;
  const publishHealth = () => {
    healthTimer = undefined;
    if (closed || !healthFile) return;
    healthFile.write(health());
    healthTimer = timers.setTimeout(publishHealth, healthIntervalMs);
  };
  publishHealth();

  let statusTimer: unknown;
  const tick = () => {
    statusTimer = undefined;
    if (closed) return;
    const current = status();
    emitter.emit('status', current);
    logStatusLines(current, 0);
    statusTimer = timers.setTimeout(tick, statusIntervalMs);
  };
  // A farm's status lines go out a few hundred per turn of the event loop: 5,000 lines written in
  // one go would hold up the reports behind them.
  const logStatusLines = (lines: PrinterConnectionStatus[], from: number) => {
    const to = Math.min(lines.length, from + STATUS_LINES_PER_TURN);
    for (let i = from; i < to; i++) logger.info(formatStatusLine(lines[i]!));
    if (to < lines.length) timers.setTimeout(() => !closed && logStatusLines(lines, to), 0);
  };
  statusTimer = timers.setTimeout(tick, statusIntervalMs);

  // A farm is named in part: one line of 5,000 addresses helps nobody (the status lines list all).
  const named = config.printers
    .slice(0, NAMED_AT_START)
    .map((printer) => `${printer.name} (${printer.serial}) at ${printer.host}:${printer.port}`)
    .join(', ');
  const count = config.printers.length;
  const more = count - NAMED_AT_START;
  logger.info(
    `listening to ${count} printer${count === 1 ? '' : 's'}: ${named}${more > 0 ? ` and ${more} more` : ''}.`,
  );
  buildTimer = timers.setTimeout(() => buildRest(firstPart), 0);

  let closing: Promise<void> | undefined;
  return Object.assign(emitter, {
    status,
    health,
    handling: (options?: { reset?: boolean }) => {
      const figures = handlingTimer.figures();
      if (options?.reset) handlingTimer.reset();
      return figures;
    },
    close: () => {
      closing ??= (async () => {
        closed = true;
        if (buildTimer !== undefined) timers.clearTimeout(buildTimer);
        pacer.close();
        if (statusTimer !== undefined) timers.clearTimeout(statusTimer);
        if (healthTimer !== undefined) timers.clearTimeout(healthTimer);
        await Promise.all(members.map(({ connection }) => connection.close()));
        // A last try for reports the database refused; the trackers' retry timers stop here.
        for (const { tracker } of members) tracker.close();
        // A store that answers later (PostgreSQL): the last try goes on until it is written or refused.
        await Promise.all(members.map(({ tracker }) => tracker.flush()));
        await Promise.all(members.map(({ files }) => files?.close()));
        await archive?.close();
        if (healthFile) {
          healthFile.write(health());
          healthFile.close();
        }
      })();
      return closing;
    },
  });
}

/** The fetcher of a printer's job files, and a writer for the AMS figures; null when turned off. */
function jobFilesOf(
  printer: PrinterConfig,
  tracker: PrinterTracker,
  trust: TrustPolicy,
  writer: RawStore,
  options: ListenerOptions,
  logger: Logger,
  now: () => Date,
  timers: Timers,
  onRecorded: (written: WrittenTransition) => void,
): { fetcher: JobFileFetcher; writer: RawStore; onRecorded: typeof onRecorded } | null {
  if (options.jobFiles?.enabled === false) return null;
  const timing = { ...DEFAULT_FETCH_TIMING, ...options.jobFiles?.timing };
  const target = {
    host: printer.host,
    port: printer.ftpPort ?? DEFAULT_FTP_PORT,
    serial: printer.serial,
    accessCode: printer.accessCode,
    trust,
  };
  const fetcher = new JobFileFetcher({
    printer: { name: printer.name, serial: printer.serial },
    writer,
    download: (candidates, localFile, signal) =>
      downloadFirst(target, candidates, localFile, timing.timeoutMs, signal),
    state: () => tracker.currentState(),
    logger,
    now,
    timers,
    timing,
    onRecorded,
    redact: secretRedactor([printer.accessCode]),
  });
  return { fetcher, writer, onRecorded };
}

/**
 * Asks for each job's file when it starts (or is re-attached), and records the AMS remain % change
 * of its spools when it ends. Neither blocks the report that caused it.
 */
function watchFilament(
  tracker: PrinterTracker,
  files: { fetcher: JobFileFetcher; writer: RawStore; onRecorded: (w: WrittenTransition) => void },
  logger: Logger,
): void {
  const spoolsAtStart = new Map<string, LoadedTray[]>();
  const traysNow = () => {
    const state = tracker.currentState();
    return state ? loadedTrays(state) : [];
  };
  tracker.on('transition', (event) => {
    if (event.event === 'started' || event.event === 'reattached') {
      if (!spoolsAtStart.has(event.jobKey)) spoolsAtStart.set(event.jobKey, traysNow());
      files.fetcher.request(event.jobKey);
    }
  });
  tracker.on('job-ended', (event) => {
    const start = spoolsAtStart.get(event.jobKey);
    spoolsAtStart.delete(event.jobKey);
    if (!start || event.toStatus === 'ended_while_disconnected') return;
    const rows = remainUsage(start, traysNow());
    if (rows.length === 0) return;
    const failed = (error: unknown) =>
      logger.error(
        `[${event.printerName}] job ${event.jobKey}: could not record its AMS usage: ${error instanceof Error ? error.message : String(error)}`,
      );
    try {
      const written = files.writer.recordFilament({
        jobKey: event.jobKey,
        printerSerial: event.printerSerial,
        status: null,
        reason: null,
        remotePath: null,
        plateIndex: null,
        predictionS: null,
        plateWeightG: null,
        attempts: 0,
        filaments: rows,
        at: event.at,
      });
      Promise.resolve(written).then((w) => {
        if (w) files.onRecorded(w);
      }, failed);
    } catch (error) {
      failed(error);
    }
  });
}
