import { mintJobKey } from './job-key.js';
import { isSystemJob, type Phase } from './job-phase.js';
import { newJob, updated } from './job-record.js';
import type { MachineState, StepInput } from './job-state-machine.js';
import { inheritedIds, inheritedLabel, NO_PEAK } from './job-switch.js';
import { type PrinterView, type ProgressFields, viewOf } from './printer-view.js';
import type { JobStatus } from './raw-schema.js';

/** Opens a job when the printer names one; calibration and system jobs are not recorded. */
export function tryStart(
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

/** The last part of a gcode file path, the label of a job without a name. */
export function baseName(file: string | null): string | null {
  if (file === null) return null;
  const base = file.split('/').pop() ?? '';
  return base === '' ? null : base;
}
