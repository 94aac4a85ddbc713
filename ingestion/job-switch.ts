import type { JobIds } from './job-key.js';
import type { JobRecord } from './job-record.js';
import type { PrinterView, ProgressFields } from './printer-view.js';

/** How far a job may have got and still count as "just started" (percent and layers). */
const NEAR_START_PERCENT = 5;
const NEAR_START_LAYER = 5;

/** The furthest progress the open job reached: progress may have dropped already when the new name arrives. */
export interface ProgressPeak {
  progressPercent: number | null;
  layerNum: number | null;
}

export const NO_PEAK: ProgressPeak = { progressPercent: null, layerNum: null };

export function raisedPeak(peak: ProgressPeak, job: JobRecord): ProgressPeak {
  const higher = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
  return {
    progressPercent: higher(peak.progressPercent, job.progressPercent),
    layerNum: higher(peak.layerNum, job.layerNum),
  };
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

/**
 * True when the printer now prints another job than the open one, although gcode_state never left
 * printing (a job ended and another started while reports were lost, e.g. across a quick reconnect
 * that asked for no pushall). Cloud jobs: an id of the printer names another job than the job's own
 * (an id the job only inherited, or one it did not have yet, proves nothing). LAN jobs without ids:
 * the name or file changed and progress went back to near the start.
 */
export function jobSwitched(
  job: JobRecord,
  view: PrinterView,
  current: ProgressFields,
  inherited: JobIds | null,
  peak: ProgressPeak,
): boolean {
  const kinds = ['jobId', 'subtaskId', 'taskId'] as const;
  const conflict = kinds.some((kind) => {
    const own = job[kind];
    const now = view[kind];
    return own !== null && now !== null && own !== now && own !== inherited?.[kind];
  });
  if (conflict) return true;
  const printerHasIds = kinds.some((kind) => view[kind] !== null);
  const jobHasIds = kinds.some((kind) => job[kind] !== null);
  if (printerHasIds || jobHasIds) return false;
  const renamed =
    (job.name !== null && view.name !== null && job.name !== view.name) ||
    (job.gcodeFile !== null && view.gcodeFile !== null && job.gcodeFile !== view.gcodeFile);
  return renamed && restarted(peak, current);
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
