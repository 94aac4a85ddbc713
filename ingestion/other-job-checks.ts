import type { JobIds } from './job-key.js';
import type { JobRecord } from './job-record.js';
import type { InheritedLabel, ProgressPeak } from './machine-state.js';
import type { PrinterView, ProgressFields } from './printer-view.js';

/**
 * The checks the transitions ask: does the printer now show another job than the open one? Pure
 * functions of the open job, the printer's view and what the job may have inherited.
 */

/** How far a job may have got and still count as "just started" (percent and layers). */
const NEAR_START_PERCENT = 5;
const NEAR_START_LAYER = 5;

const ID_KINDS = ['jobId', 'subtaskId', 'taskId'] as const;

/**
 * True when the printer now prints another job than the open one, although gcode_state never left
 * printing (a job ended and another started while reports were lost, e.g. before the pushall that
 * follows a reconnect was answered). Cloud jobs: an id of the printer names another job than the
 * job's own (an id the job only inherited, or one it did not have yet, proves nothing). LAN jobs
 * without ids: the name or file changed from one value to another, and either progress went back to
 * near the start, or the open job never made progress, or the printer is at PREPARE (a new job's
 * PREPARE seen in deltas only). A name the job only inherited from the state before its start may
 * still be replaced by its real one: that counts only with progress going back.
 */
export function jobSwitched(
  job: JobRecord,
  view: PrinterView,
  current: ProgressFields,
  inherited: JobIds | null,
  peak: ProgressPeak,
  inheritedName: InheritedLabel | null = null,
): boolean {
  if (idsConflict(job, view, inherited)) return true;
  if (hasIds(job) || hasIds(view)) return false;
  if (!renamed(job, view)) return false;
  if (restarted(peak, current)) return true;
  const stale =
    (inheritedName?.name != null && inheritedName.name === job.name) ||
    (inheritedName?.gcodeFile != null && inheritedName.gcodeFile === job.gcodeFile);
  return !stale && (neverProgressed(peak) || view.gcodeState === 'PREPARE');
}

/**
 * True when a report in an ended or idle state (FINISH, FAILED, IDLE) names another job than the
 * open one: that job's end must not become the open job's end. Cloud jobs by their ids (as in
 * jobSwitched), LAN jobs without ids by their name (the file is blanked at the end).
 */
export function namesAnotherJob(job: JobRecord, view: PrinterView, inherited: JobIds | null): boolean {
  if (idsConflict(job, view, inherited)) return true;
  if (hasIds(job) || hasIds(view)) return false;
  return job.name !== null && view.name !== null && job.name !== view.name;
}

/**
 * True when all the open job knows of its identity it inherited from the state before its start: its
 * ids (or, without ids, its name or file) are those the printer showed before. The report that opened
 * it did not name it, so those may be the previous job's (its start was among reports that were lost).
 */
export function identityInherited(
  job: JobRecord,
  inherited: JobIds | null,
  inheritedLabel: InheritedLabel | null,
): boolean {
  if (hasIds(job)) return ID_KINDS.every((kind) => job[kind] === null || job[kind] === inherited?.[kind]);
  if (job.name !== null) return job.name === inheritedLabel?.name;
  return job.gcodeFile !== null && job.gcodeFile === inheritedLabel?.gcodeFile;
}

function idsConflict(job: JobRecord, view: PrinterView, inherited: JobIds | null): boolean {
  return ID_KINDS.some((kind) => {
    const own = job[kind];
    const now = view[kind];
    return own !== null && now !== null && own !== now && own !== inherited?.[kind];
  });
}

function hasIds(ids: JobIds): boolean {
  return ID_KINDS.some((kind) => ids[kind] !== null);
}

function renamed(job: JobRecord, view: PrinterView): boolean {
  return (
    (job.name !== null && view.name !== null && job.name !== view.name) ||
    (job.gcodeFile !== null && view.gcodeFile !== null && job.gcodeFile !== view.gcodeFile)
  );
}

/** The job never got past 0 % and layer 0 (or reported neither). */
function neverProgressed(peak: ProgressPeak): boolean {
  return (peak.progressPercent ?? 0) <= 0 && (peak.layerNum ?? 0) <= 0;
}

/** Progress is near the start again after the job had got further. */
function restarted(peak: ProgressPeak, current: ProgressFields): boolean {
  const back = (high: number | null, now: number | null, near: number) =>
    high !== null && now !== null && now <= near && now < high && high > near;
  return (
    back(peak.progressPercent, current.progressPercent, NEAR_START_PERCENT) ||
    back(peak.layerNum, current.layerNum, NEAR_START_LAYER)
  );
}
