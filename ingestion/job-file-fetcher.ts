import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../lib/index.js';
import { trayOfSlot } from './filament-trays.js';
import { candidatePaths, type DownloadResult } from './ftps-download.js';
import type { RawStore } from './raw-store.js';
import type { FilamentRecord, FilamentRow, WrittenTransition } from './raw-writer.js';
import type { JsonObject } from './report-parser.js';
import { readSliceInfo, type SliceInfo, SliceInfoError } from './slice-info.js';

/** How hard to try for one job: X1 writes the file seconds into RUNNING (HAB retries 12 × 5 s). */
export interface FetchTiming {
  attempts: number;
  retryDelayMs: number;
  /** Idle timeout of one FTPS exchange. */
  timeoutMs: number;
}

export const DEFAULT_FETCH_TIMING: FetchTiming = { attempts: 12, retryDelayMs: 5_000, timeoutMs: 15_000 };

/** Downloads the first existing candidate to a local file (ftps-download.ts; injectable for the simulator). */
export type Download = (
  candidates: readonly string[],
  localFile: string,
  signal: AbortSignal,
) => Promise<DownloadResult>;

export interface FetcherTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface JobFileFetcherOptions {
  printer: { name: string; serial: string };
  writer: RawStore;
  download: Download;
  /** The printer's merged state now, for matching filaments to trays by type and colour. */
  state: () => JsonObject | undefined;
  logger: Logger;
  now: () => Date;
  timers: FetcherTimers;
  timing?: Partial<FetchTiming>;
  /** Called after each record is written (its change sequence bumped). */
  onRecorded?: (written: WrittenTransition) => void;
  /** Removes secrets (the access code) from a reason before it is stored; the logger does its own. */
  redact?: (text: string) => string;
}

/**
 * Fetches each job's .3mf from its printer and records its filament, off the report path: a request
 * returns at once, one download runs at a time per printer, a missing or half-written file is tried
 * again, and after the last attempt the reason is recorded (never 0 grams) and logged once.
 */
export class JobFileFetcher {
  private readonly timing: FetchTiming;
  private readonly queue: string[] = [];
  private readonly attempts = new Map<string, number>();
  /** Attempts that count towards the limit: those made once the job has left its preparation. */
  private readonly counted = new Map<string, number>();
  private readonly waiting = new Map<string, unknown>();
  private running: Promise<void> | null = null;
  private closed = false;
  private readonly aborter = new AbortController();
  /** Made at the first download: a farm's 5,000 fetchers would otherwise make 5,000 folders at start. */
  private dir: string | null = null;

  constructor(private readonly options: JobFileFetcherOptions) {
    this.timing = { ...DEFAULT_FETCH_TIMING, ...options.timing };
  }

  /** Asks for the job's file; a job already queued, waiting or recorded is not asked twice. */
  request(jobKey: string): void {
    if (this.closed || this.attempts.has(jobKey)) return;
    this.attempts.set(jobKey, 0);
    this.enqueue(jobKey);
  }

  /** Resolves once nothing is queued, waiting or running (for tests and a clean shutdown). */
  async idle(): Promise<void> {
    while (this.running || this.queue.length > 0) await (this.running ?? Promise.resolve());
  }

  /** Stops retrying; the download in flight finishes (bounded by its timeout) and is still recorded. */
  async close(): Promise<void> {
    this.closed = true;
    this.aborter.abort();
    for (const handle of this.waiting.values()) this.options.timers.clearTimeout(handle);
    this.waiting.clear();
    this.queue.length = 0;
    await this.running;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private enqueue(jobKey: string): void {
    this.queue.push(jobKey);
    if (!this.running) this.running = this.drain();
  }

  private async drain(): Promise<void> {
    try {
      for (let key = this.queue.shift(); key !== undefined; key = this.queue.shift()) {
        try {
          await this.attempt(key);
        } catch (error) {
          // The raw layer refused a read (a server away): this job's figures wait for its next request.
          this.attempts.delete(key);
          this.options.logger.error(
            `[${this.options.printer.name}] job ${key}: could not look up its file: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    } finally {
      this.running = null;
    }
  }

  private async attempt(jobKey: string): Promise<void> {
    const { writer, printer } = this.options;
    const attempt = (this.attempts.get(jobKey) ?? 0) + 1;
    // A re-attached job whose file was read before is not fetched twice.
    if (attempt === 1 && (await writer.fileFetched(jobKey))) return;
    this.attempts.set(jobKey, attempt);
    const hints = await writer.jobHints(jobKey);
    if (!hints) return;
    const candidates = candidatePaths(hints.name, hints.gcodeFile);
    const label = `[${printer.name}] job ${jobKey}${hints.name ? ` ("${hints.name.slice(0, 80)}")` : ''}`;
    if (candidates.length === 0) {
      await this.record(
        jobKey,
        attempt,
        { status: 'not_found', reason: 'the job has no name or .3mf file name to look for' },
        label,
      );
      return;
    }
    this.dir ??= mkdtempSync(join(tmpdir(), 'bambuzled-3mf-'));
    const localFile = join(this.dir, `job-${attempt}-${Date.now()}.3mf`);
    let outcome: {
      status: string;
      reason: string | null;
      retry: boolean;
      remotePath?: string;
      info?: SliceInfo;
    };
    try {
      const downloaded = await this.options.download(candidates, localFile, this.aborter.signal);
      if (!downloaded.ok) {
        outcome = { status: downloaded.kind, reason: downloaded.message, retry: downloaded.retry };
      } else {
        try {
          const info = await readSliceInfo(localFile, plateOf(hints.gcodeFile));
          outcome = {
            status: 'fetched',
            reason: null,
            retry: false,
            remotePath: downloaded.remotePath,
            info,
          };
        } catch (error) {
          if (!(error instanceof SliceInfoError)) throw error;
          // A zip the printer is still writing reads as damaged: worth another try.
          outcome = {
            status: error.kind,
            reason: `${downloaded.remotePath}: ${error.message}`,
            retry: error.kind === 'unreadable',
            remotePath: downloaded.remotePath,
          };
        }
      }
    } catch (error) {
      outcome = {
        status: 'error',
        reason: error instanceof Error ? error.message : String(error),
        retry: true,
      };
    } finally {
      rmSync(localFile, { force: true });
    }
    // Closing mid-download is no verdict on the file: a restart re-attaches the job and tries again.
    if (this.closed && outcome.status !== 'fetched') return;
    // An X1 writes the file seconds into RUNNING, and a job can heat and level for many minutes first:
    // while it prepares, tries (three times less often) do not use up the budget.
    const preparing = hints.status === 'running' && hints.phase === 'preparing';
    const counted = (this.counted.get(jobKey) ?? 0) + (preparing ? 0 : 1);
    this.counted.set(jobKey, counted);
    if (outcome.status !== 'fetched' && outcome.retry && (preparing || counted < this.timing.attempts)) {
      const handle = this.options.timers.setTimeout(
        () => {
          this.waiting.delete(jobKey);
          if (!this.closed) this.enqueue(jobKey);
        },
        this.timing.retryDelayMs * (preparing ? 3 : 1),
      );
      this.waiting.set(jobKey, handle);
      return;
    }
    await this.record(jobKey, attempt, outcome, label);
  }

  private async record(
    jobKey: string,
    attempts: number,
    outcome: { status: string; reason: string | null; remotePath?: string; info?: SliceInfo },
    label: string,
  ): Promise<void> {
    const { writer, printer, logger } = this.options;
    const info = outcome.info;
    const hints = await writer.jobHints(jobKey);
    const state = this.options.state();
    const filaments: FilamentRow[] = (info?.filaments ?? []).map((f) => {
      const { tray, match } = trayOfSlot(f.slot, hints?.amsMapping ?? null, f, state);
      return {
        source: '3mf',
        slot: f.slot,
        amsTray: tray,
        trayMatch: match,
        filamentType: f.type,
        filamentColor: f.color,
        trayInfoIdx: f.trayInfoIdx,
        usedG: f.usedG,
        usedM: f.usedM,
      };
    });
    const record: FilamentRecord = {
      jobKey,
      printerSerial: printer.serial,
      status: outcome.status,
      reason: outcome.reason === null ? null : (this.options.redact?.(outcome.reason) ?? outcome.reason),
      remotePath: outcome.remotePath ?? null,
      plateIndex: info?.plateIndex ?? null,
      predictionS: info?.predictionS ?? null,
      plateWeightG: info?.weightG ?? null,
      attempts,
      filaments,
      at: this.options.now().toISOString(),
    };
    let written: WrittenTransition | null;
    try {
      written = await writer.recordFilament(record);
    } catch (error) {
      logger.error(
        `${label}: could not record its filament: ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    if (outcome.status === 'fetched') {
      const grams = filaments.reduce((sum, f) => sum + (f.usedG ?? 0), 0);
      logger.info(
        `${label}: ${filaments.length} filament(s), ${grams.toFixed(2)} g sliced, from ${outcome.remotePath}`,
      );
    } else {
      logger.warn(
        `${label}: no filament figures (${outcome.status}): ${outcome.reason} (after ${attempts} attempt(s))`,
      );
    }
    if (written) this.options.onRecorded?.(written);
  }
}

/** X1/H2 report `/data/Metadata/plate_2.gcode`: the plate printed. */
function plateOf(gcodeFile: string | null): number | null {
  const match = gcodeFile?.match(/plate_(\d+)\.gcode$/);
  return match?.[1] ? Number(match[1]) : null;
}
