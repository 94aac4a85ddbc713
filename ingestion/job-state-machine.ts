import { CANCEL_WINDOW_MS, cancelCodeArrived, cancelCodeOf } from './cancel-codes.js';
import { idsMatch, type JobIds, mintJobKey, primaryId } from './job-key.js';
import { close, type JobRecord, type JobWrite, newJob, startTransition, updated } from './job-record.js';
import {
  type InheritedLabel,
  inheritedIds,
  inheritedLabel,
  jobSwitched,
  NO_PEAK,
  namesAnotherJob,
  type ProgressPeak,
  raisedPeak,
} from './job-switch.js';
import { type PrinterView, type ProgressFields, progressOf, viewOf } from './printer-view.js';
import type { JobStatus } from './raw-schema.js';
import type { JsonObject } from './report-parser.js';

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
}

export interface StepResult {
  machine: MachineState;
  writes: JobWrite[];
}

type Phase = 'printing' | 'paused' | 'finished' | 'failed' | 'idle' | 'unknown';

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

/**
 * The printer prints another job than the open one although gcode_state never left printing: the
 * open job ended unseen (its end time is when we noticed, an upper bound; its progress is the last
 * seen) and the new one started unseen (start_approximate), both written with this report.
 */
function switchJob(
  m: MachineState,
  phase: Phase,
  view: PrinterView,
  progress: ProgressFields,
  input: StepInput,
  at: string,
  writes: JobWrite[],
): void {
  if (m.job === null) return;
  closeUnseen(m, input, at, writes);
  m.awaitingStart = 'approximate';
  m.idsBeforeStart = null;
  tryStart(m, phase, view, progress, input, at);
  if (m.job) writes.push({ job: m.job, transition: startTransition(m.job) });
}

/**
 * Closes the open job as ended_while_disconnected because the printer already shows another job:
 * with its furthest progress, and the report before this one as its last report (this one is the
 * other job's).
 */
function closeUnseen(m: MachineState, input: StepInput, at: string, writes: JobWrite[]): void {
  if (m.job === null) return;
  // Progress only grows within a job: a lower value seen last may already have been the new job's.
  const last = {
    ...m.job,
    progressPercent: m.jobPeak.progressPercent ?? m.job.progressPercent,
    layerNum: m.jobPeak.layerNum ?? m.job.layerNum,
  };
  writes.push({ ...close(last, 'ended_while_disconnected', at), lastReport: input.previous ?? null });
  m.job = null;
  m.lastFailed = null;
}

/**
 * The printer shows the end (FINISH, FAILED, IDLE) of another job than the one that was open: that
 * job started after the open one and ended while reports were lost, so it cannot be one already
 * recorded (a cloud job whose key is taken is skipped all the same). It gets its own row, closed as
 * ended_while_disconnected with the printer's state as the hint of how it ended: start and end are
 * both when it was noticed (start_approximate), never a real duration.
 */
function recordEndedUnseen(view: PrinterView, input: StepInput, at: string, writes: JobWrite[]): void {
  if (isSystemJob(view)) return;
  const label = view.name ?? baseName(view.gcodeFile);
  if (label === null) return;
  const id = primaryId(view);
  if (id !== null && input.keyTaken(`${input.serial}:${id}`)) return;
  const jobKey = mintJobKey(input.serial, view, at, label, input.keyTaken);
  const job = updated(newJob(jobKey, 'running', at, true), view, progressOf(input.merged), true);
  writes.push({ job, transition: startTransition(job) });
  writes.push(close(job, 'ended_while_disconnected', at));
}

/** The first report after a (re)connect: re-attach to the open job, or open one, or close what ended unseen. */
function sync(m: MachineState, view: PrinterView, input: StepInput, at: string, writes: JobWrite[]): void {
  const phase = phaseOf(view.gcodeState);
  const inMemory = m.job;
  // The in-memory copy is newer than the row (progress writes are throttled).
  const open = input.openJobs().map((row) => (inMemory && row.jobKey === inMemory.jobKey ? inMemory : row));
  const progress = progressOf(input.merged);
  m.job = null;
  m.awaitingStart = null;
  m.idsBeforeStart = null;
  m.ignoring = false;
  m.lastFailed = null;
  const printing = phase === 'printing' || phase === 'paused';
  let match: JobRecord | undefined;
  if (printing && !isSystemJob(view)) {
    match = open.find((job) => sameJob(job, view, progress));
  } else if (printing) {
    m.ignoring = true;
  }
  let another = false;
  for (const job of open) {
    if (job === match) continue;
    const inherited = job === inMemory ? m.jobInheritedIds : null;
    const other = namesAnotherJob(job, view, inherited);
    another ||= other;
    if (!printing && !other) {
      // What the printer says now (FINISH, FAILED, IDLE) is the best hint of how the job ended.
      writes.push(close({ ...job, gcodeState: view.gcodeState }, 'ended_while_disconnected', at));
      continue;
    }
    // The printer shows another job: this report is not this job's, keep the last one that was.
    const last = job === inMemory ? input.previous : undefined;
    writes.push({ ...close(job, 'ended_while_disconnected', at), lastReport: last ?? null });
  }
  if (!printing && another) recordEndedUnseen(view, input, at, writes);
  if (!printing || m.ignoring) return;
  const toStatus: JobStatus = phase === 'paused' ? 'paused' : 'running';
  if (match) {
    m.job = { ...updated(match, view, progress, true), status: toStatus };
    if (inMemory?.jobKey !== match.jobKey) {
      m.jobInheritedIds = null;
      m.jobInheritedLabel = null;
      m.jobPeak = NO_PEAK;
      writes.push({ job: m.job, transition: { event: 'reattached', fromStatus: match.status, toStatus } });
    } else if (match.status !== toStatus) {
      const event = toStatus === 'paused' ? 'paused' : 'resumed';
      writes.push({ job: m.job, transition: { event, fromStatus: match.status, toStatus } });
    }
    return;
  }
  m.awaitingStart = 'approximate';
  tryStart(m, phase, view, progress, input, at);
  if (m.job) writes.push({ job: m.job, transition: startTransition(m.job) });
}

/** Opens a job when the printer names one; calibration and system jobs are not recorded. */
function tryStart(
  m: MachineState,
  phase: Phase,
  view: PrinterView,
  progress: ProgressFields,
  input: StepInput,
  at: string,
): void {
  const before = input.previous ? viewOf(input.previous) : null;
  if (isSystemJob(view)) {
    m.ignoring = true;
    m.awaitingStart = null;
    m.idsBeforeStart = null;
    return;
  }
  const label = view.name ?? baseName(view.gcodeFile);
  if (label === null) {
    m.awaitingStart ??= 'exact';
    m.idsBeforeStart ??= before && {
      jobId: before.jobId,
      subtaskId: before.subtaskId,
      taskId: before.taskId,
    };
    return;
  }
  const approximate = m.awaitingStart === 'approximate';
  const jobKey = mintJobKey(input.serial, view, at, label, input.keyTaken);
  const status: JobStatus = phase === 'paused' ? 'paused' : 'running';
  m.job = updated(newJob(jobKey, status, at, approximate), view, progress, true);
  m.jobInheritedIds = inheritedIds(m.idsBeforeStart ?? before, view);
  m.jobInheritedLabel = inheritedLabel(before, view);
  m.jobPeak = NO_PEAK;
  m.awaitingStart = null;
  m.idsBeforeStart = null;
  // A cancel code belongs to the job it ended: a new job starts with none seen.
  m.cancelSeenAtMs = null;
  m.lastFailed = null;
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

/** Re-attach only to the same job: same ids, or (LAN) same name and file with progress not gone backwards. */
function sameJob(job: JobRecord, view: PrinterView, progress: ProgressFields): boolean {
  if (view.jobId !== null || view.subtaskId !== null || view.taskId !== null) return idsMatch(job, view);
  if (job.name !== view.name) return false;
  if (job.gcodeFile !== null && view.gcodeFile !== null && job.gcodeFile !== view.gcodeFile) return false;
  const wentBack = (stored: number | null, now: number | null) =>
    stored !== null && now !== null && now < stored;
  // The same file printed again while we were away: its progress starts over.
  return (
    !wentBack(job.progressPercent, progress.progressPercent) && !wentBack(job.layerNum, progress.layerNum)
  );
}

export function isSystemJob(view: PrinterView): boolean {
  return (view.gcodeFile?.startsWith('/usr/') ?? false) || view.printType === 'system';
}

function phaseOf(state: string | null): Phase {
  switch (state) {
    case 'PREPARE':
    case 'SLICING':
    case 'RUNNING':
      return 'printing';
    case 'PAUSE':
      return 'paused';
    case 'FINISH':
      return 'finished';
    case 'FAILED':
      return 'failed';
    case 'IDLE':
      return 'idle';
    default:
      return 'unknown';
  }
}

function baseName(file: string | null): string | null {
  if (file === null) return null;
  const base = file.split('/').pop() ?? '';
  return base === '' ? null : base;
}
