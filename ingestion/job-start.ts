import { type JobIds, mintJobKey } from './job-key.js';
import { isSystemJob } from './job-phase.js';
import { newJob, startTransition, updated } from './job-record.js';
import { type InheritedLabel, NO_PEAK } from './machine-state.js';
import { identityInherited } from './other-job-checks.js';
import { type PrinterView, type ProgressFields, viewOf } from './printer-view.js';
import type { JobStatus } from './raw-schema.js';
import type { StepContext } from './step-context.js';

/**
 * Opens a job when the printer names one, and writes its start; calibration and system jobs are not
 * recorded. `progress` is the report's own (a transition) or the merged state's (a sync).
 */
export function tryStart(c: StepContext, progress: ProgressFields): void {
  const { m, view, input, at } = c;
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
  const status: JobStatus = c.phase === 'paused' ? 'paused' : 'running';
  m.job = updated(newJob(jobKey, status, at, approximate), view, progress, true);
  m.jobInheritedIds = inheritedIds(m.idsBeforeStart ?? before, view);
  m.jobInheritedLabel = inheritedLabel(before, view);
  m.jobPeak = NO_PEAK;
  m.awaitingStart = null;
  m.idsBeforeStart = null;
  // A cancel code belongs to the job it ended: a new job starts with none seen.
  m.cancelSeenAtMs = null;
  m.lastFailed = null;
  c.writes.push({ job: m.job, transition: startTransition(m.job) });
  // Opened on a delta that did not name the job: ask for the printer's full state, whose ids and name
  // replace inherited ones (updated(): newest win). Without it a job whose start was lost would keep
  // the previous job's ids to its end, when no later delta repeats them.
  if (!input.full && identityInherited(m.job, m.jobInheritedIds, m.jobInheritedLabel))
    c.fullReportWanted = true;
}

/** The last part of a gcode file path, the label of a job without a name. */
export function baseName(file: string | null): string | null {
  if (file === null) return null;
  const base = file.split('/').pop() ?? '';
  return base === '' ? null : base;
}

/**
 * The ids a job opened with that it may have inherited from the job before: at PREPARE a delta can
 * still show the previous job's ids until the new ones arrive, so an id that did not change with
 * the report that opened the job is not yet proof of the job's identity.
 */
export function inheritedIds(before: JobIds | null, now: JobIds): JobIds {
  const same = (a: string | null | undefined, b: string | null) => (a !== undefined && a === b ? b : null);
  return {
    jobId: same(before?.jobId, now.jobId),
    subtaskId: same(before?.subtaskId, now.subtaskId),
    taskId: same(before?.taskId, now.taskId),
  };
}

export function inheritedLabel(before: PrinterView | null, now: PrinterView): InheritedLabel {
  return {
    name: before?.name != null && before.name === now.name ? now.name : null,
    gcodeFile: before?.gcodeFile != null && before.gcodeFile === now.gcodeFile ? now.gcodeFile : null,
  };
}
