import { CANCEL_WINDOW_MS, cancelCodeArrived, cancelCodeOf } from './cancel-codes.js';
import { closeUnseen, recordEndedUnseen, switchJob } from './ended-unseen.js';
import type { JobIds } from './job-key.js';
import { type Phase, phaseOf } from './job-phase.js';
import { amsMappingOf, timePhases } from './job-phases.js';
import { close, type JobRecord, type JobWrite, startTransition, updated } from './job-record.js';
import { tryStart } from './job-start.js';
import {
  type InheritedLabel,
  jobSwitched,
  NO_PEAK,
  namesAnotherJob,
  type ProgressPeak,
  raisedPeak,
} from './job-switch.js';
import { type PrinterView, type ProgressFields, progressOf, viewOf } from './printer-view.js';
import type { JobStatus } from './raw-schema.js';
import type { JsonObject } from './report-parser.js';
import { sync } from './state-sync.js';

export { isSystemJob } from './job-phase.js';

/** What the tracker remembers between two reports of one printer. */
export interface MachineState {
  /** The next report with a gcode_state is a state sync, not a transition (after a (re)connect). */
  syncPending: boolean;
  /** The gcode_state the machine last acted on. */
  gcodeState: string | null;
  /** The open job (running or paused), if any. */
  job: JobRecord | null;
  /** Ids the open job may have inherited from the job before (see inheritedIds). */
  jobInheritedIds: JobIds | null;
  /** The name and file the open job may have inherited from the state before its start. */
  jobInheritedLabel: InheritedLabel | null;
  /** The furthest the open job got, to notice another job that started while reports were lost. */
  jobPeak: ProgressPeak;
  /** The printer is printing but no job could be opened yet (no name so far); 'approximate' after a sync. */
  awaitingStart: 'exact' | 'approximate' | null;
  /** While awaiting a name: the ids the printer showed before the job began (see inheritedIds). */
  idsBeforeStart: JobIds | null;
  /** A calibration or system job is running: it is not recorded. */
  ignoring: boolean;
  /** When a cancel code last appeared in print_error (ms). */
  cancelSeenAtMs: number | null;
  /** The job that last ended as failed, for a cancel code that arrives just after FAILED. */
  lastFailed: { job: JobRecord; atMs: number } | null;
  /** When the open job was last written, and what was written, for throttling progress writes. */
  jobWrittenAtMs: number;
  jobWrittenSignature: string;
}

export interface StepInput {
  serial: string;
  now: Date;
  /** The report as received (sanitized): progress is read from here only, never from stale state. */
  report: JsonObject;
  /** Whether the report is a full one (msg 0 or ≥ 40 keys). */
  full: boolean;
  /** The merged state before and after this report. */
  previous: JsonObject | undefined;
  merged: JsonObject;
  /** Jobs jobs_raw holds as running or paused for this printer; read only when a sync is pending. */
  openJobs: () => JobRecord[];
  keyTaken: (key: string) => boolean;
  checkIntervalS: number;
  /** The slot mapping of the last project_file command the printer echoed, as JSON (job-phases.ts). */
  sentMapping?: string | null;
}

export interface StepResult {
  machine: MachineState;
  writes: JobWrite[];
}

export function initialMachineState(): MachineState {
  return {
    syncPending: true,
    gcodeState: null,
    job: null,
    jobInheritedIds: null,
    jobInheritedLabel: null,
    jobPeak: NO_PEAK,
    awaitingStart: null,
    idsBeforeStart: null,
    ignoring: false,
    cancelSeenAtMs: null,
    lastFailed: null,
    jobWrittenAtMs: Number.NEGATIVE_INFINITY,
    jobWrittenSignature: '',
  };
}

/**
 * Decides what one report means for the job of one printer: the next machine state and the rows
 * to write. Pure given its inputs (the two callbacks only read the database).
 */
export function step(machine: MachineState, input: StepInput): StepResult {
  const m: MachineState = { ...machine };
  const writes: JobWrite[] = [];
  const nowMs = input.now.getTime();
  const at = input.now.toISOString();
  const view = viewOf(input.merged);
  const progress = progressOf(input.report);

  if (cancelCodeArrived(input.report, input.previous)) m.cancelSeenAtMs = nowMs;
  const phase = phaseOf(view.gcodeState);

  if (!m.syncPending && m.job !== null && (phase === 'printing' || phase === 'paused')) {
    const current = progressOf(input.merged);
    if (jobSwitched(m.job, view, current, m.jobInheritedIds, m.jobPeak, m.jobInheritedLabel)) {
      switchJob(m, phase, view, progress, input, at, writes);
    }
  } else if (!m.syncPending && m.job !== null && phase !== 'unknown') {
    // An end that names another job (its FINISH seen before the sync): the open job ended unseen.
    if (namesAnotherJob(m.job, view, m.jobInheritedIds)) {
      closeUnseen(m, input, at, writes);
      m.awaitingStart = null;
      m.idsBeforeStart = null;
      recordEndedUnseen(view, input, at, writes);
    }
  }

  if (m.syncPending) {
    // Wait for a report that states the printer's state itself: right after a reconnect the merged
    // state still holds what was true before the disconnect.
    if (phase !== 'unknown' && (input.full || Object.hasOwn(input.report, 'gcode_state'))) {
      sync(m, view, input, at, writes);
      m.syncPending = false;
      m.gcodeState = view.gcodeState;
    }
  } else if (phase !== 'unknown' && view.gcodeState !== m.gcodeState) {
    m.gcodeState = view.gcodeState;
    transition(m, phase, view, progress, input, at, nowMs, writes);
  } else if (m.job === null && !m.ignoring && (phase === 'printing' || phase === 'paused')) {
    // Still waiting for a name to open the job under.
    tryStart(m, phase, view, progress, input, at);
    if (m.job) writes.push({ job: m.job, transition: startTransition(m.job) });
  }

  if (
    m.job !== null &&
    (phase === 'printing' || phase === 'paused') &&
    !writes.some((w) => w.job === m.job)
  ) {
    m.job = updated(m.job, view, progress, true);
  }
  m.jobPeak = m.job === null ? NO_PEAK : raisedPeak(m.jobPeak, m.job);

  lateCancel(m, input.report, input.previous, nowMs, writes);
  m.job = timePhases(
    m.job,
    writes,
    input.merged,
    {
      remainingMin: progress.remainingMin,
      amsMapping: amsMappingOf(input.report) ?? input.sentMapping ?? null,
    },
    at,
  );

  // Throttled progress write: only the open job, only when something it stores has changed.
  if (m.job !== null) {
    const signature = JSON.stringify(m.job);
    const written = writes.some((w) => w.job.jobKey === m.job?.jobKey);
    if (
      !written &&
      signature !== m.jobWrittenSignature &&
      nowMs - m.jobWrittenAtMs >= input.checkIntervalS * 1000
    ) {
      writes.push({ job: m.job });
    }
  }
  if (writes.length > 0 && m.job !== null && writes.some((w) => w.job.jobKey === m.job?.jobKey)) {
    m.jobWrittenAtMs = nowMs;
    m.jobWrittenSignature = JSON.stringify(m.job);
  }
  return { machine: m, writes };
}

function transition(
  m: MachineState,
  phase: Phase,
  view: PrinterView,
  progress: ProgressFields,
  input: StepInput,
  at: string,
  nowMs: number,
  writes: JobWrite[],
): void {
  if (phase === 'printing' || phase === 'paused') {
    if (m.job === null) {
      if (!m.ignoring) {
        tryStart(m, phase, view, progress, input, at);
        if (m.job) writes.push({ job: m.job, transition: startTransition(m.job) });
      }
      return;
    }
    const toStatus: JobStatus = phase === 'paused' ? 'paused' : 'running';
    if (toStatus !== m.job.status) {
      const fromStatus = m.job.status;
      m.job = { ...updated(m.job, view, progress, true), status: toStatus };
      writes.push({
        job: m.job,
        transition: { event: toStatus === 'paused' ? 'paused' : 'resumed', fromStatus, toStatus },
      });
    }
    return;
  }
  // finished, failed or idle: whatever was printing has ended.
  m.ignoring = false;
  m.awaitingStart = null;
  m.idsBeforeStart = null;
  if (m.job === null) return;
  const job = updated(m.job, view, progress, false);
  let status: JobStatus;
  if (phase === 'finished') status = 'finished';
  else if (phase === 'idle')
    status = 'cancelled'; // older P1 firmware: RUNNING -> IDLE on a stop
  else status = cancelledRecently(m, nowMs) ? 'cancelled' : 'failed';
  const write = close(job, status, at);
  writes.push(write);
  m.lastFailed = status === 'failed' ? { job: write.job, atMs: nowMs } : null;
  m.job = null;
}

/** A cancel code that reached the printer after FAILED: the failure was a cancel. */
function lateCancel(
  m: MachineState,
  report: JsonObject,
  previous: JsonObject | undefined,
  nowMs: number,
  writes: JobWrite[],
): void {
  const failed = m.lastFailed;
  if (
    failed === null ||
    !cancelCodeArrived(report, previous) ||
    writes.some((w) => w.job.jobKey === failed.job.jobKey)
  ) {
    return;
  }
  if (nowMs - failed.atMs > CANCEL_WINDOW_MS) return;
  writes.push({
    job: { ...failed.job, status: 'cancelled', printError: cancelCodeOf(report) ?? failed.job.printError },
    transition: { event: 'cancelled', fromStatus: 'failed', toStatus: 'cancelled' },
  });
  m.lastFailed = null;
}

function cancelledRecently(m: MachineState, nowMs: number): boolean {
  return m.cancelSeenAtMs !== null && Math.abs(nowMs - m.cancelSeenAtMs) <= CANCEL_WINDOW_MS;
}
