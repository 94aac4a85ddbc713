import type { JobRecord } from './job-record.js';
import type { FilamentRecord, JobHints, ReportWrite, WrittenTransition } from './raw-write-types.js';

/**
 * A value now, or later. SQLite (better-sqlite3) answers at once; a server answers later. The
 * tracker takes either, so the SQLite path stays synchronous (and fast) while PostgreSQL is awaited.
 */
export type Awaitable<T> = T | Promise<T>;

/** Why the raw layer refused a write: the tracker keeps the report and retries. */
export interface WriteRefusal {
  /** busy: another writer holds a lock for a while (news, not a failure); the rest are failures. */
  kind: 'busy' | 'unavailable' | 'disk-full' | 'permission' | 'refused';
  /** For a user: what was refused and where (never a password). */
  message: string;
}

/**
 * Where the listener writes the raw layer (jobs_raw, job_events_raw, printers_raw, job_files_raw,
 * job_filaments_raw): SQLite (raw-writer.ts) or PostgreSQL (pg-raw-store.ts). Every write is one
 * transaction; the change sequence it returns is monotonic in commit order across all writers.
 */
export interface RawStore {
  /** Where the rows go, printable (a file path, or a server and database without the password). */
  readonly location: string;
  /** Writes everything one report produced, atomically; returns the transitions with their seq. */
  write(report: ReportWrite): Awaitable<WrittenTransition[]>;
  /** Jobs of this printer that jobs_raw holds as running or paused. */
  openJobs(serial: string): Awaitable<JobRecord[]>;
  /** Whether jobs_raw already has a job of this key. */
  keyTaken(key: string): Awaitable<boolean>;
  /** Records a job's filament (or why there is none) with a filament_recorded event; null for an unknown job. */
  recordFilament(record: FilamentRecord): Awaitable<WrittenTransition | null>;
  /** The job's name, file, status and slot mapping as jobs_raw now holds them. */
  jobHints(key: string): Awaitable<JobHints | null>;
  /** Whether the job's .3mf was already read. */
  fileFetched(key: string): Awaitable<boolean>;
  /** The engine's refusal of a write (busy, down, full, denied), or null for anything else (a bug of ours). */
  refusal(error: unknown): WriteRefusal | null;
}

/** Calls `then` with the value, synchronously when there is no promise to wait for. */
export function whenSettled<T, R>(value: Awaitable<T>, then: (value: T) => Awaitable<R>): Awaitable<R> {
  return value instanceof Promise ? value.then(then) : then(value);
}
