/**
 * What a raw store writes and reads, shared by the store interface (raw-store.ts) and its SQLite and
 * PostgreSQL implementations.
 */
import type { JobEvent, JobWrite } from './job-record.js';
import type { JobStatus } from './raw-schema.js';
import type { JsonObject } from './report-parser.js';

/** A transition as written: its change sequence is the job_events_raw row's seq. */
export interface WrittenTransition {
  jobKey: string;
  event: JobEvent;
  fromStatus: JobStatus | null;
  toStatus: JobStatus;
  seq: number;
  at: string;
}

export interface ReportWrite {
  printer: { serial: string; name: string };
  at: string;
  writes: JobWrite[];
  /** The merged printer state, stored with every job row written. */
  state: JsonObject;
  /** Also record the printer's last report time in printers_raw. */
  touchPrinter: boolean;
}

/** What the listener learned of a job's filament, written by recordFilament in one transaction. */
export interface FilamentRecord {
  jobKey: string;
  printerSerial: string;
  /**
   * How the .3mf fetch went: fetched, or why not (not_found | unreadable | no_filaments |
   * login_refused | timeout | untrusted | error); null records filament rows only (ams_remain).
   */
  status: string | null;
  reason: string | null;
  remotePath: string | null;
  plateIndex: number | null;
  predictionS: number | null;
  plateWeightG: number | null;
  attempts: number;
  filaments: FilamentRow[];
  at: string;
}

export interface FilamentRow {
  source: '3mf' | 'ams_remain';
  slot: number;
  amsTray: number | null;
  trayMatch: 'ams_mapping' | 'type_color' | null;
  filamentType: string | null;
  filamentColor: string | null;
  trayInfoIdx: string | null;
  usedG: number | null;
  usedM: number | null;
}

/** The fields of a job the file fetch needs, read fresh for every attempt. */
export interface JobHints {
  name: string | null;
  gcodeFile: string | null;
  status: JobStatus;
  amsMapping: string | null;
  /** preparing | printing | paused while the job is open (job-phases.ts). */
  phase: string | null;
}
