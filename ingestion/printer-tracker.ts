import type { Logger } from '../lib/logger.js';
import type { SqliteDatabase } from '../lib/sqlite.js';
import type { JobEvent } from './job-record.js';
import { initialMachineState, type MachineState, step } from './job-state-machine.js';
import { ENDED_JOB_STATUSES, type JobStatus } from './raw-schema.js';
import { RawWriter } from './raw-writer.js';
import { type BadInputKind, type JsonObject, parseReport } from './report-parser.js';
import { mergeState } from './state-merge.js';
import { TypedEmitter } from './typed-emitter.js';

export type { JobEvent };

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
  /** Reports whose rows could not be written (the database refused); they are retried with the next report. */
  writeFailures: number;
}

export type TrackerEvents = {
  transition: [TransitionEvent];
  /** A job ended: finished, failed, cancelled or ended_while_disconnected. */
  'job-ended': [TransitionEvent];
  'bad-input': [BadInputEvent];
};

export interface PrinterTrackerOptions {
  printer: { name: string; serial: string };
  db: SqliteDatabase;
  /** The listener's clock; every time in the raw layer comes from it. */
  now?: () => Date;
  /** Seconds between two progress writes of the same job; transitions are always written at once. */
  checkIntervalS: number;
  logger?: Logger;
}

const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * Follows one printer: parses each report, merges it into the printer's state, runs the job state
 * machine and writes the raw layer, one transaction per report. It never throws from
 * `handleMessage`: bad input is a 'bad-input' event and a counter, a database failure is logged and
 * retried with the next report.
 */
export class PrinterTracker extends TypedEmitter<TrackerEvents> {
  private readonly printer: { name: string; serial: string };
  private readonly writer: RawWriter;
  private readonly now: () => Date;
  private readonly checkIntervalS: number;
  private readonly logger: Logger;
  private machine: MachineState = initialMachineState();
  private state: JsonObject | undefined;
  /** The merged state as of the last report whose rows were written. */
  private committedState: JsonObject | undefined;
  /**
   * Reports since then whose write failed, folded into one delta: the next report is stepped as if
   * they had arrived with it, so that nothing they brought (a gcode_state that completes a sync, a
   * cancel code) is lost with the failed write.
   */
  private uncommitted: { report: JsonObject; full: boolean } | undefined;
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
    this.writer = new RawWriter(options.db);
    this.now = options.now ?? (() => new Date());
    this.checkIntervalS = options.checkIntervalS;
    this.logger = options.logger ?? silentLogger;
  }

  /** Call on every (re)connect: the next status report is a state sync, not a transition. */
  connected(): void {
    this.machine = { ...this.machine, syncPending: true };
  }

  /** Handles one message from `device/{serial}/report`. Never throws. */
  handleMessage(topic: string, payload: Buffer | string): void {
    try {
      this.handle(topic, payload);
    } catch (error) {
      // A bug of ours must not take the listener down; the report is lost, the state stays consistent.
      this.reportBad({
        kind: 'internal-error',
        message: error instanceof Error ? error.message : String(error),
      });
    }
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
    };
  }

  private handle(topic: string, payload: Buffer | string): void {
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

    const now = this.now();
    const at = now.toISOString();
    // The merged state is the printer's truth whatever happens to the write below.
    this.state = mergeState(this.state, parsed.print, parsed.full);
    this.reports++;
    this.lastReportAt = at;
    const pending = this.uncommitted;
    const report = pending ? mergeState(pending.report, parsed.print, parsed.full) : parsed.print;
    const full = parsed.full || (pending?.full ?? false);

    let result: ReturnType<typeof step>;
    let written: ReturnType<RawWriter['write']>;
    const touchPrinter = now.getTime() - this.printerWrittenAtMs >= this.checkIntervalS * 1000;
    try {
      result = step(this.machine, {
        serial: this.printer.serial,
        now,
        report,
        full,
        previous: this.committedState,
        merged: this.state,
        openJobs: () => this.writer.openJobs(this.printer.serial),
        keyTaken: (key) => this.writer.keyTaken(key),
        checkIntervalS: this.checkIntervalS,
        sentMapping: this.sentMapping,
      });
      written = this.writer.write({
        printer: this.printer,
        at,
        writes: result.writes,
        state: this.state,
        touchPrinter,
      });
    } catch (error) {
      if (!isDatabaseError(error)) throw error;
      // The machine state is not advanced and the report is kept, so the next report retries both.
      this.uncommitted = { report, full };
      this.writeFailures++;
      this.logger.error(`[${this.printer.name}] could not write the raw layer: ${error.message}`);
      return;
    }
    if (result.machine.job?.amsMapping === this.sentMapping || result.writes.some((w) => w.job.endedAt)) {
      this.sentMapping = null;
    }
    this.machine = result.machine;
    this.committedState = this.state;
    this.uncommitted = undefined;
    if (touchPrinter) this.printerWrittenAtMs = now.getTime();

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

  private safeEmit<E extends keyof TrackerEvents & string>(event: E, ...args: TrackerEvents[E]): void {
    try {
      this.emit(event, ...args);
    } catch (error) {
      this.logger.error(
        `[${this.printer.name}] a '${event}' listener threw: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

/** better-sqlite3 raises SqliteError for SQLite's errors (busy, full disk…) and a TypeError once closed. */
function isDatabaseError(error: unknown): error is Error {
  return (
    error instanceof Error &&
    (error.name === 'SqliteError' || /database connection is not open/i.test(error.message))
  );
}
