import { recordEndedUnseen } from './ended-unseen.js';
import { idsMatch } from './job-key.js';
import { isSystemJob } from './job-phase.js';
import { close, type JobRecord, updated } from './job-record.js';
import { tryStart } from './job-start.js';
import { NO_PEAK } from './machine-state.js';
import { identityInherited, namesAnotherJob } from './other-job-checks.js';
import type { PrinterView, ProgressFields } from './printer-view.js';
import type { JobStatus } from './raw-schema.js';
import { isPrinting, type StepContext } from './step-context.js';

/** The first report after a (re)connect: re-attach to the open job, or open one, or close what ended unseen. */
export function sync(c: StepContext): void {
  const { m, view, input, at, phase, writes } = c;
  const inMemory = m.job;
  // The in-memory copy is newer than the row (progress writes are throttled).
  const open = input.openJobs().map((row) => (inMemory && row.jobKey === inMemory.jobKey ? inMemory : row));
  const progress = c.current;
  // A job opened on a delta that did not name it knows no identity of its own yet (see tryStart).
  const unproven =
    inMemory !== null && identityInherited(inMemory, m.jobInheritedIds, m.jobInheritedLabel)
      ? inMemory.jobKey
      : null;
  m.job = null;
  m.awaitingStart = null;
  m.idsBeforeStart = null;
  m.ignoring = false;
  m.lastFailed = null;
  const printing = isPrinting(phase);
  let match: JobRecord | undefined;
  if (printing && !isSystemJob(view)) {
    match = open.find((job) => sameJob(job, view, progress, job.jobKey === unproven));
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
  if (!printing && another) recordEndedUnseen(c);
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
  tryStart(c, progress);
}

/**
 * Re-attach only to the same job: same ids, or (LAN) same name and file with progress not gone
 * backwards. A job whose ids and name were only inherited (`unproven`) is the job printing now unless
 * its progress went back: the printer's ids and name are the first real ones it gets.
 */
function sameJob(job: JobRecord, view: PrinterView, progress: ProgressFields, unproven: boolean): boolean {
  if (!unproven) {
    if (view.jobId !== null || view.subtaskId !== null || view.taskId !== null) return idsMatch(job, view);
    if (job.name !== view.name) return false;
    if (job.gcodeFile !== null && view.gcodeFile !== null && job.gcodeFile !== view.gcodeFile) return false;
  }
  const wentBack = (stored: number | null, now: number | null) =>
    stored !== null && now !== null && now < stored;
  // The same file printed again while we were away: its progress starts over.
  return (
    !wentBack(job.progressPercent, progress.progressPercent) && !wentBack(job.layerNum, progress.layerNum)
  );
}
