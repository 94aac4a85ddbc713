import { closeUnseen, recordEndedUnseen } from './ended-unseen.js';
import { tryStart } from './job-start.js';
import { jobSwitched, namesAnotherJob } from './other-job-checks.js';
import { isPrinting, type StepContext } from './step-context.js';

/**
 * Reports lost while a job ended and another began: the printer shows another job than the open one
 * (checks in other-job-checks.ts). Runs before the report's own transition.
 */
export function switchIfAnotherJob(c: StepContext): void {
  const { m, view, phase } = c;
  if (m.syncPending || m.job === null) return;
  if (isPrinting(phase)) {
    if (jobSwitched(m.job, view, c.current, m.jobInheritedIds, m.jobPeak, m.jobInheritedLabel)) switchJob(c);
  } else if (phase !== 'unknown' && namesAnotherJob(m.job, view, m.jobInheritedIds)) {
    // An end that names another job (its FINISH seen before the sync): the open job ended unseen.
    closeUnseen(c);
    m.awaitingStart = null;
    m.idsBeforeStart = null;
    recordEndedUnseen(c);
  }
}

/**
 * The printer prints another job than the open one although gcode_state never left printing: the
 * open job ended unseen (its end time is when we noticed, an upper bound; its progress is the last
 * seen) and the new one started unseen (start_approximate), both written with this report.
 */
export function switchJob(c: StepContext): void {
  const { m } = c;
  if (m.job === null) return;
  closeUnseen(c);
  m.awaitingStart = 'approximate';
  m.idsBeforeStart = null;
  tryStart(c, c.reported);
}
