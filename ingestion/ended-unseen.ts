import { mintJobKey, primaryId } from './job-key.js';
import { isSystemJob } from './job-phase.js';
import { close, newJob, startTransition, updated } from './job-record.js';
import { baseName } from './job-start.js';
import type { StepContext } from './step-context.js';

/**
 * Closes the open job as ended_while_disconnected because the printer already shows another job:
 * with its furthest progress, and the report before this one as its last report (this one is the
 * other job's).
 */
export function closeUnseen(c: StepContext): void {
  const { m } = c;
  if (m.job === null) return;
  // Progress only grows within a job: a lower value seen last may already have been the new job's.
  const last = {
    ...m.job,
    progressPercent: m.jobPeak.progressPercent ?? m.job.progressPercent,
    layerNum: m.jobPeak.layerNum ?? m.job.layerNum,
  };
  c.writes.push({ ...close(last, 'ended_while_disconnected', c.at), lastReport: c.input.previous ?? null });
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
export function recordEndedUnseen(c: StepContext): void {
  const { view, input, at } = c;
  if (isSystemJob(view)) return;
  const label = view.name ?? baseName(view.gcodeFile);
  if (label === null) return;
  const id = primaryId(view);
  if (id !== null && input.keyTaken(`${input.serial}:${id}`)) return;
  const jobKey = mintJobKey(input.serial, view, at, label, input.keyTaken);
  const job = updated(newJob(jobKey, 'running', at, true), view, c.current, true);
  c.writes.push({ job, transition: startTransition(job) });
  c.writes.push(close(job, 'ended_while_disconnected', at));
}
