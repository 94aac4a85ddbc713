import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { ArchiveStats } from './report-archive.js';
import type { WriteHealth } from './write-backlog.js';

/** One printer's write health as the listener last saw it. */
export interface PrinterWriteHealth {
  name: string;
  serial: string;
  lastReportAt: string | null;
  /** Write attempts the database refused since the listener started. */
  writeFailures: number;
  writes: WriteHealth;
}

/** What the listener publishes for `bambuzled status` and the status page, which run elsewhere. */
export interface ListenerHealth {
  /** Listener clock when this was written; a stale file means the listener is not running. */
  updatedAt: string;
  /** False in the last write, made as the listener stopped. */
  running: boolean;
  pid: number;
  printers: PrinterWriteHealth[];
  archive: ArchiveStats | null;
}

/** The health file of a database: next to it, so that every command finds it from the same path. */
export function listenerHealthPath(dbPath: string): string {
  return `${dbPath}.listener.json`;
}

const MIN_SIZE = 16 * 1024;

/**
 * The listener's health, rewritten in place in a file of fixed size. The point of the fixed size:
 * when the disk is full, overwriting blocks the file already has still works (the new text is padded
 * with spaces to the old length), so the one moment the database cannot be written is not also the
 * moment nobody can tell. Only when the text outgrows the file does it grow, which may then fail;
 * a failure is counted, never thrown.
 */
export class HealthFile {
  private fd: number | undefined;
  private size = 0;
  failures = 0;

  constructor(private readonly path: string) {}

  write(health: ListenerHealth): void {
    const text = Buffer.from(JSON.stringify(health));
    try {
      if (this.fd === undefined) this.fd = openSync(this.path, 'w');
      if (text.length > this.size) this.size = Math.max(MIN_SIZE, 2 ** Math.ceil(Math.log2(text.length * 2)));
      const padded = Buffer.alloc(this.size, 0x20);
      text.copy(padded);
      writeSync(this.fd, padded, 0, padded.length, 0);
    } catch {
      this.failures++;
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The health the listener last wrote, or null when there is none (not running here, or never ran). */
export function readListenerHealth(path: string): ListenerHealth | null {
  // A read can meet a write half done; the second try sees it whole.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as ListenerHealth;
      if (typeof parsed.updatedAt === 'string' && Array.isArray(parsed.printers)) return parsed;
      return null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    }
  }
  return null;
}

/** Whether the health was written recently enough to describe a running listener. */
export function isFresh(health: ListenerHealth, now: Date, maxAgeMs = 30_000): boolean {
  return health.running && now.getTime() - Date.parse(health.updatedAt) <= maxAgeMs;
}

/** `writes failing since …: 12 reports waiting, 0 dropped (database or disk is full)`, or null when fine. */
export function describeWriteHealth(writes: WriteHealth): string | null {
  if (!writes.failing && writes.pending === 0 && writes.dropped === 0) return null;
  const state = writes.failing
    ? `writes failing since ${writes.failingSince ?? '?'}${writes.lastError ? ` (${writes.lastError})` : ''}`
    : 'writes recovered';
  return `${state}: ${writes.pending} report(s) waiting, ${writes.dropped} dropped`;
}
