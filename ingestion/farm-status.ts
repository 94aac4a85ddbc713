import { describeWriteHealth } from './listener-health.js';
import type { ConnectionSnapshot } from './printer-connection.js';
import type { TrustMode } from './trust.js';
import type { WriteHealth } from './write-backlog.js';

/** The slice of a tracker's current job a status line shows. */
export interface StatusJob {
  jobKey?: string;
  name?: string | null;
  subtaskName?: string | null;
  status?: string;
  progressPercent?: number | null;
}

/** The slice of a tracker's status a status line shows. */
export interface TrackerStatusSlice {
  lastReportAt: string | null;
  reports: number;
  currentJob: StatusJob | null;
  badInput: Record<string, number>;
  writes?: WriteHealth;
  writeFailures?: number;
}

const HEALTHY: WriteHealth = { failing: false, failingSince: null, lastError: null, pending: 0, dropped: 0 };

/** One printer of the farm as the listener sees it: the connection and the job it is following. */
export interface PrinterConnectionStatus {
  name: string;
  serial: string;
  connected: boolean;
  trust: TrustMode;
  /** SHA-256 of the certificate seen at the last handshake. */
  fingerprint: string | null;
  connectedSince: string | null;
  lastReportAt: string | null;
  /** Seconds since the last report, or null before the first. */
  lastReportAgeS: number | null;
  reports: number;
  connects: number;
  lastError: string | null;
  currentJob: StatusJob | null;
  /** Malformed or unusable reports by kind. */
  badInput: Record<string, number>;
  /** Whether the raw layer accepts this printer's writes, and what waits in memory. */
  writes: WriteHealth;
  /** Write attempts the database refused since the listener started. */
  writeFailures: number;
}

/** Combines a connection snapshot and a tracker status into one printer's status. Pure. */
export function printerStatus(
  printer: { name: string; serial: string },
  connection: ConnectionSnapshot,
  tracker: TrackerStatusSlice,
  now: Date,
): PrinterConnectionStatus {
  const lastReportAt = tracker.lastReportAt ?? connection.lastReportAt;
  return {
    name: printer.name,
    serial: printer.serial,
    connected: connection.connected,
    trust: connection.trust,
    fingerprint: connection.fingerprint,
    connectedSince: connection.connectedSince,
    lastReportAt,
    lastReportAgeS:
      lastReportAt === null
        ? null
        : Math.max(0, Math.round((now.getTime() - Date.parse(lastReportAt)) / 1000)),
    reports: connection.reports,
    connects: connection.connects,
    lastError: connection.lastError,
    currentJob: tracker.currentJob,
    badInput: { ...tracker.badInput },
    writes: { ...(tracker.writes ?? HEALTHY) },
    writeFailures: tracker.writeFailures ?? 0,
  };
}

/** `garage (01P…): connected, last report 3 s ago, printing "Benchy" 42 %, 2 bad reports`. Pure. */
export function formatStatusLine(status: PrinterConnectionStatus): string {
  const parts: string[] = [];
  parts.push(
    status.connected ? 'connected' : `disconnected${status.lastError ? ` (${status.lastError})` : ''}`,
  );
  parts.push(
    status.lastReportAgeS === null ? 'no report yet' : `last report ${formatAge(status.lastReportAgeS)} ago`,
  );
  const job = status.currentJob;
  if (job) {
    const name = job.subtaskName ?? job.name ?? job.jobKey ?? 'a job';
    const progress = typeof job.progressPercent === 'number' ? ` ${job.progressPercent} %` : '';
    parts.push(`${job.status === 'paused' ? 'paused' : 'printing'} "${name}"${progress}`);
  } else {
    parts.push('no job');
  }
  const bad = Object.values(status.badInput).reduce((sum, count) => sum + count, 0);
  if (bad > 0) parts.push(`${bad} bad report${bad === 1 ? '' : 's'}`);
  const writes = describeWriteHealth(status.writes);
  if (writes) parts.push(writes);
  return `${status.name} (${status.serial}): ${parts.join(', ')}`;
}

function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}
