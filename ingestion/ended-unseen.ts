import { mintJobKey, primaryId } from './job-key.js';
import { isSystemJob, type Phase } from './job-phase.js';
import { close, type JobWrite, newJob, startTransition, updated } from './job-record.js';
import { baseName, tryStart } from './job-start.js';
import type { MachineState, StepInput } from './job-state-machine.js';
import { type PrinterView, type ProgressFields, progressOf } from './printer-view.js';

/**
 * The printer prints another job than the open one although gcode_state never left printing: the
 * open job ended unseen (its end time is when we noticed, an upper bound; its progress is the last
 * seen) and the new one started unseen (start_approximate), both written with this report.
 */
export function switchJob(
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
export function closeUnseen(m: MachineState, input: StepInput, at: string, writes: JobWrite[]): void {
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
export function recordEndedUnseen(view: PrinterView, input: StepInput, at: string, writes: JobWrite[]): void {
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
