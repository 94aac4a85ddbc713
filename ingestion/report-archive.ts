import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { type Logger, redactSecrets } from '../lib/index.js';
import { type ArchiveRecord, namedMember, recordLine, type TrackerSettings } from './archive-format.js';
import { DEFAULT_ARCHIVE_RETENTION_DAYS } from './config-fields.js';
import { realTimers, type Timers } from './timers.js';

const gzipAsync = promisify(gzip);

/** What the archive has done since the listener started. */
export interface ArchiveStats {
  dir: string;
  /** Records received (reports and markers). */
  records: number;
  /** Compressed bytes appended. */
  bytesWritten: number;
  /** Appends that failed (disk full, permissions); their records are kept and retried while they fit. */
  writeErrors: number;
  /** Records given up after failed appends, when more than maxPendingBytes waited. */
  droppedRecords: number;
  /** Records waiting for the next append. */
  waitingRecords: number;
  lastError: string | null;
}

export interface ReportArchiveOptions {
  dir: string;
  /** Days of files kept; older day files are deleted. 0 keeps everything. */
  retentionDays?: number;
  /** How often the buffered records are compressed and appended (DEFAULT_ARCHIVE_FLUSH_MS). */
  flushIntervalMs?: number;
  /** Buffered text (all printers) that triggers an append before the interval. */
  flushBytes?: number;
  /** Text kept while appends fail, before the oldest is given up (counted). */
  maxPendingBytes?: number;
  /** Each printer's access code by serial: never written, even if a report carried it. */
  secrets?: ReadonlyMap<string, string>;
  timers?: Timers;
  now?: () => Date;
  logger?: Logger;
}

export { DEFAULT_ARCHIVE_RETENTION_DAYS };

/**
 * How often buffered records are compressed and appended. Each append is a gzip member of its own, so
 * longer batches compress better (bench/archive.bench.ts: 173 KB per printer-hour at 10 s, 116 KB at
 * 30 s, 97 KB at 60 s) but a crash (not a clean stop, which flushes) loses up to this much archive.
 */
export const DEFAULT_ARCHIVE_FLUSH_MS = 30_000;

/** Where the archive of a database lives by default: next to it, `data/print_history.archive/`. */
export function archiveDirFor(dbPath: string): string {
  const ext = extname(dbPath);
  return join(dirname(dbPath), `${basename(dbPath, ext)}.archive`);
}

/** The archive a listener with this config and database keeps (archive_dir, archive_retention_days). */
export function archiveForConfig(
  config: {
    printers: readonly { serial: string; accessCode: string }[];
    archiveDir?: string;
    archiveRetentionDays?: number;
  },
  dbPath: string,
  logger?: Logger,
): ReportArchive {
  return new ReportArchive({
    dir: config.archiveDir ?? archiveDirFor(dbPath),
    ...(config.archiveRetentionDays !== undefined ? { retentionDays: config.archiveRetentionDays } : {}),
    secrets: new Map(config.printers.map((printer) => [printer.serial, printer.accessCode])),
    ...(logger ? { logger } : {}),
  });
}

/**
 * Appends a block whole or not at all: when the disk fills halfway through, the part written is cut
 * off again (truncating always has room), so that the file never holds half a block before the next.
 */
async function appendWhole(path: string, bytes: Buffer): Promise<void> {
  const file = await open(path, 'a');
  try {
    const { size } = await file.stat();
    try {
      await file.writeFile(bytes);
    } catch (error) {
      await file.truncate(size).catch(() => {});
      throw error;
    }
  } finally {
    await file.close();
  }
}

interface Buffered {
  path: string;
  lines: string[];
  bytes: number;
}

/**
 * Keeps every report the listener receives, append-only and compressed, with the time it arrived
 * (see archive-format.ts), so that `bambuzled restate` can rebuild the raw layer from it. Recording
 * is a synchronous push to a buffer; compression (zlib's thread pool) and appends run in the
 * background, one at a time. It never throws and never blocks the listener: a failed append is
 * logged once, counted, and retried with the next flush while what waits fits in maxPendingBytes.
 */
export class ReportArchive {
  private readonly dir: string;
  private readonly retentionDays: number;
  private readonly flushIntervalMs: number;
  private readonly flushBytes: number;
  private readonly maxPendingBytes: number;
  private readonly secrets: ReadonlyMap<string, string>;
  private readonly timers: Timers;
  private readonly now: () => Date;
  private readonly logger: Logger | undefined;
  private buffers = new Map<string, Buffered>();
  private bufferedBytes = 0;
  private timer: unknown;
  private writing: Promise<void> = Promise.resolve();
  private prunedDay: string | null = null;
  /** Folders made already: one mkdir per printer, not one per append. */
  private readonly made = new Set<string>();
  private closed = false;
  private closing = false;
  private readonly stats_: Omit<ArchiveStats, 'waitingRecords'>;

  constructor(options: ReportArchiveOptions) {
    this.dir = options.dir;
    this.retentionDays = options.retentionDays ?? DEFAULT_ARCHIVE_RETENTION_DAYS;
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_ARCHIVE_FLUSH_MS;
    this.flushBytes = options.flushBytes ?? 1024 * 1024;
    this.maxPendingBytes = options.maxPendingBytes ?? 32 * 1024 * 1024;
    this.secrets = options.secrets ?? new Map();
    this.timers = options.timers ?? realTimers;
    this.now = options.now ?? (() => new Date());
    this.logger = options.logger;
    this.stats_ = {
      dir: this.dir,
      records: 0,
      bytesWritten: 0,
      writeErrors: 0,
      droppedRecords: 0,
      lastError: null,
    };
  }

  /** A message from the printer's report topic, as received. */
  recordReport(serial: string, at: Date, topic: string, payload: Buffer | string): void {
    const text = typeof payload === 'string' ? payload : payload.toString('utf8');
    const code = this.secrets.get(serial);
    this.push(serial, { kind: 'report', at, topic, payload: code ? redactSecrets(text, [code]) : text });
  }

  /** The listener started following a printer, with the tracker's settings. */
  recordStart(serial: string, at: Date, settings: TrackerSettings): void {
    this.push(serial, { kind: 'start', at, settings });
  }

  /** The listener asked the printer for a full report: the next one is a state sync. */
  recordSync(serial: string, at: Date): void {
    this.push(serial, { kind: 'sync', at });
  }

  stats(): ArchiveStats {
    let waiting = 0;
    for (const buffered of this.buffers.values()) waiting += buffered.lines.length;
    return { ...this.stats_, waitingRecords: waiting };
  }

  /** Compresses and appends what is buffered; resolves when it is on disk (or has failed). */
  flush(): Promise<void> {
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = [...this.buffers.values()];
    this.buffers = new Map();
    this.bufferedBytes = 0;
    this.writing = this.writing.then(() => this.append(batch));
    return this.writing;
  }

  /** Flushes and stops the timer; later records are ignored. */
  async close(): Promise<void> {
    // Set first: an append that fails during this last flush must not arm another timer.
    this.closing = true;
    await this.flush();
    this.closed = true;
  }

  private push(serial: string, record: ArchiveRecord): void {
    if (this.closed) return;
    try {
      const iso = record.at.toISOString();
      const line = recordLine(record, iso);
      const day = iso.slice(0, 10);
      const key = `${serial}/${day}`;
      let buffered = this.buffers.get(key);
      if (!buffered) {
        buffered = { path: join(this.dir, serial, `${day}.jsonl.gz`), lines: [], bytes: 0 };
        this.buffers.set(key, buffered);
      }
      buffered.lines.push(line);
      buffered.bytes += line.length + 1;
      this.bufferedBytes += line.length + 1;
      this.stats_.records++;
      if (this.bufferedBytes >= this.flushBytes) void this.flush();
      else this.timer ??= this.timers.setTimeout(() => void this.flush(), this.flushIntervalMs);
    } catch (error) {
      this.failed(error);
    }
  }

  private async append(batch: Buffered[]): Promise<void> {
    for (const buffered of batch) {
      if (buffered.lines.length === 0) continue;
      try {
        const member = namedMember(await gzipAsync(`${buffered.lines.join('\n')}\n`));
        const folder = dirname(buffered.path);
        if (!this.made.has(folder)) {
          await mkdir(folder, { recursive: true });
          this.made.add(folder);
        }
        await appendWhole(buffered.path, member);
        this.stats_.bytesWritten += member.length;
        if (this.stats_.lastError !== null) {
          this.logger?.info(
            `report archive: appends work again (${this.stats_.writeErrors} failed meanwhile).`,
          );
          this.stats_.lastError = null;
        }
      } catch (error) {
        this.failed(error);
        this.keep(buffered);
      }
    }
    await this.prune();
  }

  /** Puts a batch whose append failed back in front, unless too much waits already. */
  private keep(failed: Buffered): void {
    const key = failed.path;
    const current = [...this.buffers.values()].find((b) => b.path === key);
    const waiting = this.bufferedBytes + failed.bytes;
    if (waiting > this.maxPendingBytes) {
      this.stats_.droppedRecords += failed.lines.length;
      return;
    }
    if (current) {
      current.lines = [...failed.lines, ...current.lines];
      current.bytes += failed.bytes;
    } else {
      const day = basename(key, '.jsonl.gz');
      this.buffers.set(`${basename(dirname(key))}/${day}`, failed);
    }
    this.bufferedBytes += failed.bytes;
    if (!this.closing) this.timer ??= this.timers.setTimeout(() => void this.flush(), this.flushIntervalMs);
  }

  private failed(error: unknown): void {
    this.stats_.writeErrors++;
    const message = error instanceof Error ? error.message : String(error);
    if (this.stats_.lastError === null) {
      this.logger?.error(
        `report archive: cannot write to ${this.dir} (${message}); the listener goes on, further failures are only counted.`,
      );
    }
    this.stats_.lastError = message;
  }

  /** Once a day: deletes day files older than the retention. */
  private async prune(): Promise<void> {
    if (this.retentionDays <= 0) return;
    const today = this.now().toISOString().slice(0, 10);
    if (this.prunedDay === today) return;
    this.prunedDay = today;
    const oldest = new Date(Date.parse(today) - this.retentionDays * 86_400_000).toISOString().slice(0, 10);
    try {
      for (const serial of await readdir(this.dir)) {
        for (const file of await readdir(join(this.dir, serial)).catch(() => [] as string[])) {
          const day = /^(\d{4}-\d{2}-\d{2})\.jsonl\.gz$/.exec(file)?.[1];
          if (day !== undefined && day < oldest) await rm(join(this.dir, serial, file), { force: true });
        }
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.failed(error);
    }
  }
}
