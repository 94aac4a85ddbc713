import { EventEmitter } from 'node:events';
import type { Logger, SqliteDatabase } from '../lib/index.js';
import type { JobEvent } from './job-record.js';
import { initialMachineState, type MachineState, step } from './job-state-machine.js';
import { ENDED_JOB_STATUSES, type JobStatus } from './raw-schema.js';
import type { Awaitable, RawStore, WriteRefusal } from './raw-store.js';
import { RawWriter, type WrittenTransition } from './raw-writer.js';
import { type BadInputKind, type JsonObject, parseReport } from './report-parser.js';
import { mergeState } from './state-merge.js';
import { StoreLookups, Unanswered } from './store-lookups.js';
import { realTimers, type Timers } from './timers.js';
import {
  DEFAULT_MAX_PENDING_REPORTS,
  type PendingReport,
  WriteBacklog,
  type WriteHealth,
} from './write-backlog.js';

export type { JobEvent, WriteHealth };

/** A job's state change, as written to job_events_raw (`seq` is its change sequence). */
export interface TransitionEvent {
  jobKey: string;
  printerSerial: string;
  printerName: string;
  event: JobEvent;
  fromStatus: JobStatus | null;
  toStatus: JobStatus;
  seq: number;
  /** Listener clock, YYYY-MM-DDTHH:MM:SS.sssZ. */
  at: string;
}

export interface BadInputEvent {
  kind: BadInputKind;
  message: string;
}

export interface CurrentJob {
  jobKey: string;
  name: string | null;
  status: JobStatus;
  progressPercent: number | null;
  layer: number | null;
  totalLayers: number | null;
}

/** A snapshot for the farm status page. */
export interface PrinterStatus {
  name: string;
  serial: string;
  /** Listener clock of the last message that parsed as a status report. */
  lastReportAt: string | null;
  /** Status reports handled since the tracker was created. */
  reports: number;
  /** The printer's gcode_state as last reported (IDLE, RUNNING, FINISH…), null before the first report. */
  gcodeState: string | null;
  currentJob: CurrentJob | null;
  /** Messages refused or repaired, per kind. */
  badInput: Record<string, number>;
  /** Write attempts the database refused (busy, disk full…); the reports are kept and retried. */
  writeFailures: number;
  /** Whether writes are failing now, and how many reports wait in memory or had to be folded. */
  writes: WriteHealth;
}

export type TrackerEvents = {
  transition: [TransitionEvent];
  /** A job ended: finished, failed, cancelled or ended_while_disconnected. */
  'job-ended': [TransitionEvent];
  'bad-input': [BadInputEvent];
  /**
   * A job opened on a report that did not name it: its ids and name may be the previous job's. The
   * listener asks the printer for its full state (PrinterConnection.requestFullReport).
   */
  'full-report-wanted': [];
};

export interface PrinterTrackerOptions {
  printer: { name: string; serial: string };
  /** Where the raw rows go: a RawStore (SQLite or PostgreSQL), or a SQLite connection to write through a RawWriter. */
  db: SqliteDatabase | RawStore;
  /** The listener's clock; every time in the raw layer comes from it. */
  now?: () => Date;
  /** Seconds between two progress writes of the same job; transitions are always written at once. */
  checkIntervalS: number;
  logger?: Logger;
  /** Retries writes the database refused; real timers unless given (a replay passes none: it never retries). */
  timers?: Timers | null;
  /** Reports kept in memory while writes fail, before they are folded into one (and counted). */
  maxPendingReports?: number;
}

const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * Follows one printer: parses each report, merges it into the printer's state, runs the job state
 * machine and writes the raw layer, one transaction per report. It never throws from
 * `handleMessage`: bad input is a 'bad-input' event and a counter. A report the database refuses
 * (busy, disk full) is kept in a bounded backlog and retried on a timer and with every later report,
 * in arrival order and each with its own arrival time as the clock, so that a transition written late
 * still carries the time it happened.
 */
export class PrinterTracker extends EventEmitter<TrackerEvents> {
  private readonly printer: { name: string; serial: string };
  private readonly writer: RawStore;
  private readonly now: () => Date;
  private readonly checkIntervalS: number;
  private readonly logger: Logger;
  private readonly timers: Timers | null;
  private readonly backlog: WriteBacklog;
  private retryTimer: unknown;
  /** A write the store has not answered yet (PostgreSQL); the drain resumes when it settles. */
  private inFlight: Promise<void> | null = null;
  private closed = false;
  private machine: MachineState = initialMachineState();
  /** The printer's merged state as reported, whatever happened to the writes. */
  private state: JsonObject | undefined;
  /** The merged state as of the last report whose rows were written. */
  private committedState: JsonObject | undefined;
  private lastReportAt: string | null = null;
  /** The slot mapping of the last project_file echo, until a job takes it or one ends. */
  private sentMapping: string | null = null;
  private printerWrittenAtMs = Number.NEGATIVE_INFINITY;
  private reports = 0;
  private writeFailures = 0;
  private readonly badInput: Record<string, number> = {};

  constructor(options: PrinterTrackerOptions) {
    super();
    this.printer = { name: options.printer.name, serial: options.printer.serial };
    this.writer = isRawStore(options.db) ? options.db : new RawWriter(options.db);
    this.now = options.now ?? (() => new Date());
    this.checkIntervalS = options.checkIntervalS;
    this.logger = options.logger ?? silentLogger;
    this.timers = options.timers === undefined ? realTimers : options.timers;
    this.backlog = new WriteBacklog(options.maxPendingReports ?? DEFAULT_MAX_PENDING_REPORTS);
  }

  /** Call on every (re)connect: the next status report is a state sync, not a transition. */
  connected(): void {
    if (this.backlog.size > 0) {
      // The sync belongs after the reports still waiting: mark the newest one, so it is replayed in place.
      this.backlog.markSyncAfterLast();
      return;
    }
    this.machine = { ...this.machine, syncPending: true };
  }

  /**
   * Handles one message from `device/{serial}/report`, arrived at `at` (the tracker's clock unless
   * given: the listener passes the time it also archives). Never throws.
   */
  handleMessage(topic: string, payload: Buffer | string, at?: Date): void {
    if (this.closed) return;
    try {
      this.handle(topic, payload, at ?? this.now());
    } catch (error) {
      // A bug of ours must not take the listener down; the report is lost, the state stays consistent.
      this.reportBad({
        kind: 'internal-error',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Tries once more to write what waits, then stops the retry timer; returns how many reports were left. */
  close(): number {
    if (!this.closed) {
      this.cancelRetry();
      this.drain();
      this.cancelRetry();
      this.closed = true;
      const left = this.backlog.size;
      // With a write in flight the last try goes on (flush() waits for it): nothing to say yet.
      if (left > 0 && !this.inFlight) {
        this.logger.error(
          `[${this.printer.name}] stopping with ${left} report(s) not written to the raw layer; ` +
            'the report archive has them: `bambuzled restate` rebuilds the raw layer from it.',
        );
      }
    }
    return this.backlog.size;
  }

  /**
   * Resolves once no write is in flight (a store that answers later, PostgreSQL): what could be
   * written is written, what was refused waits in the backlog. Call before close() for a clean stop.
   */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /** The printer's merged state as of the last report (read-only: for matching filament to trays). */
  currentState(): JsonObject | undefined {
    return this.state;
  }

  status(): PrinterStatus {
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
      writes: this.backlog.health(),
    };
  }

  private handle(topic: string, payload: Buffer | string, now: Date): void {
    const parsed = parseReport(topic, payload, this.printer.serial);
    if (parsed.kind === 'ignored') {
      if (parsed.sentMapping) this.sentMapping = JSON.stringify({ ams_mapping: parsed.sentMapping });
      return;
    }
    if (parsed.kind === 'bad') {
      this.reportBad(parsed.bad);
      return;
    }
    for (const dropped of parsed.dropped) this.reportBad(dropped);

    this.state = mergeState(this.state, parsed.print, parsed.full);
    this.reports++;
    this.lastReportAt = now.toISOString();
    // With nothing waiting, the state merged just now is the one this report is stepped with: no second merge.
    const merged = this.backlog.size === 0 ? this.state : undefined;
    this.backlog.push({ report: parsed.print, full: parsed.full, at: now, ...(merged ? { merged } : {}) });
    // Reports that wait go first: a newer report is never written before an older one.
    this.drain();
  }

  /**
   * Writes the waiting reports in order until one fails; then schedules a retry. A store that answers
   * at once (SQLite) is drained in this call; one that answers later resumes the drain when it does,
   * and reports that arrive meanwhile wait behind the one in flight.
   */
  private drain(): void {
    if (this.inFlight) return;
    for (let entry = this.backlog.peek(); entry; entry = this.backlog.peek()) {
      let outcome: Awaitable<WriteRefusal | undefined>;
      try {
        outcome = this.apply(entry, new StoreLookups(this.writer, this.printer.serial));
      } catch (bug) {
        this.dropBuggy(bug);
        continue;
      }
      if (outcome instanceof Promise) {
        this.inFlight = outcome.then(
          (refusal) => {
            this.inFlight = null;
            // Even once closed: the last try of close() goes on until all is written or one is refused.
            if (this.settle(entry, refusal)) this.drain();
          },
          (bug) => {
            this.inFlight = null;
            this.dropBuggy(bug);
            this.drain();
          },
        );
        return;
      }
      if (!this.settle(entry, outcome)) return;
    }
    this.cancelRetry();
  }

  /** A bug of ours, not the database: retrying would block every later report behind this one. */
  private dropBuggy(bug: unknown): void {
    this.backlog.shift();
    this.reportBad({ kind: 'internal-error', message: bug instanceof Error ? bug.message : String(bug) });
  }

  /** After one write: true when it went through (drain on), false when it was refused (retry later). */
  private settle(entry: PendingReport, refusal: WriteRefusal | undefined): boolean {
    if (refusal) {
      const firstOfOutage = !this.backlog.health().failing;
      this.writeFailures++;
      const wait = this.backlog.failed(refusal.message, entry.at);
      // Once per outage: a full disk refuses every retry until space returns. A busy database is
      // a run holding the write lock for a while (a rebuild), as designed: news, not a failure.
      if (firstOfOutage) {
        if (refusal.kind === 'busy') {
          this.logger.info(
            `[${this.printer.name}] the database is busy (a run holds its write lock); keeping the reports in memory, with their times, until it is free.`,
          );
        } else {
          this.logger.error(
            `[${this.printer.name}] could not write the raw layer (${refusal.message}); keeping the reports in memory and retrying.`,
          );
        }
      }
      this.scheduleRetry(wait);
      return false;
    }
    const wasFailing = this.backlog.health().failing;
    this.backlog.shift();
    if (wasFailing && this.backlog.size === 0) {
      const dropped = this.backlog.health().dropped;
      this.logger.info(
        `[${this.printer.name}] the raw layer accepts writes again: every waiting report is written` +
          `${dropped > 0 ? ` (${dropped} folded into another since the listener started)` : ''}.`,
      );
    }
    return true;
  }

  /**
   * Steps and writes one report, with its own arrival time as the clock. Returns the store's refusal.
   * The step is pure: when it asks the store something that is answered later, it is run again once
   * the answer is in (StoreLookups); the machine state advances only after the write.
   */
  private apply(entry: PendingReport, lookups: StoreLookups): Awaitable<WriteRefusal | undefined> {
    const { report, full, at: now } = entry;
    const at = now.toISOString();
    const merged = entry.merged ?? mergeState(this.committedState, report, full);
    const touchPrinter = now.getTime() - this.printerWrittenAtMs >= this.checkIntervalS * 1000;
    let result: ReturnType<typeof step>;
    let written: Awaitable<WrittenTransition[]>;
    try {
      result = step(this.machine, {
        serial: this.printer.serial,
        now,
        report,
        full,
        previous: this.committedState,
        merged,
        openJobs: () => lookups.openJobs(),
        keyTaken: (key) => lookups.keyTaken(key),
        checkIntervalS: this.checkIntervalS,
        sentMapping: this.sentMapping,
      });
      written = this.writer.write({
        printer: this.printer,
        at,
        writes: result.writes,
        state: merged,
        touchPrinter,
      });
    } catch (error) {
      if (error instanceof Unanswered) {
        return error.answer.then(
          () => this.apply(entry, lookups),
          (refused) => this.refusalOf(refused),
        );
      }
      // The machine state is not advanced and the report stays at the head, so the retry redoes both.
      return this.refusalOf(error);
    }
    const commit = (transitions: WrittenTransition[]): undefined => {
      if (result.machine.job?.amsMapping === this.sentMapping || result.writes.some((w) => w.job.endedAt)) {
        this.sentMapping = null;
      }
      this.machine = entry.syncAfter ? { ...result.machine, syncPending: true } : result.machine;
      this.committedState = merged;
      if (touchPrinter) this.printerWrittenAtMs = now.getTime();
      this.emitTransitions(transitions);
      if (result.fullReportWanted) this.safeEmit('full-report-wanted');
      return undefined;
    };
    return written instanceof Promise
      ? written.then(commit, (error) => this.refusalOf(error))
      : commit(written);
  }

  /** The store's refusal, or the error thrown on: anything else is a bug of ours. */
  private refusalOf(error: unknown): WriteRefusal {
    const refusal = this.writer.refusal(error);
    if (!refusal) throw error;
    return refusal;
  }

  private emitTransitions(written: WrittenTransition[]): void {
    for (const transition of written) {
      const event: TransitionEvent = {
        ...transition,
        printerSerial: this.printer.serial,
        printerName: this.printer.name,
      };
      this.logger.info(
        `[${this.printer.name}] job ${event.jobKey}: ${event.event} (${event.fromStatus ?? '-'} -> ${event.toStatus})`,
      );
      this.safeEmit('transition', event);
      if (ENDED_JOB_STATUSES.includes(event.toStatus) && event.fromStatus !== event.toStatus) {
        this.safeEmit('job-ended', event);
      }
    }
  }

  private scheduleRetry(ms: number): void {
    if (this.closed || !this.timers || this.retryTimer !== undefined) return;
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed) return;
      try {
        this.drain();
      } catch (error) {
        this.reportBad({
          kind: 'internal-error',
          message: error instanceof Error ? error.message : String(error),
        });
      }
    }, ms);
  }

  private cancelRetry(): void {
    if (this.retryTimer === undefined || !this.timers) return;
    this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private reportBad(bad: BadInputEvent): void {
    const count = (this.badInput[bad.kind] ?? 0) + 1;
    this.badInput[bad.kind] = count;
    // Once per kind: a printer that sends garbage every second must not flood the log.
    if (count === 1) {
      this.logger.warn(
        `[${this.printer.name}] bad input (${bad.kind}): ${bad.message}; further ones are only counted`,
      );
    }
    this.safeEmit('bad-input', bad);
  }

  private safeEmit<E extends keyof TrackerEvents>(event: E, ...args: TrackerEvents[E]): void {
    try {
      // Node's typed emit cannot relate a generic E to its argument list: the signature above does.
      this.emit(event as keyof TrackerEvents, ...(args as TrackerEvents[keyof TrackerEvents]));
    } catch (error) {
      this.logger.error(
        `[${this.printer.name}] a '${event}' listener threw: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

function isRawStore(db: SqliteDatabase | RawStore): db is RawStore {
  return typeof (db as RawStore).refusal === 'function';
}
