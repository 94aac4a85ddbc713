import { cancelCodeArrived } from './cancel-codes.js';
import { amsMappingOf, timePhases } from './job-phases.js';
import { type JobWrite, updated } from './job-record.js';
import { tryStart } from './job-start.js';
import { switchIfAnotherJob } from './job-switch.js';
import { lateCancel, transition } from './job-transition.js';
import { type MachineState, NO_PEAK, raisedPeak } from './machine-state.js';
import { sync } from './state-sync.js';
import { isPrinting, type StepInput, stepContext } from './step-context.js';

/**
 * The top layer of the job state machine. The layers, each importing only those below it:
 * machine-state.ts (what is remembered) → step-context.ts (one report's context) →
 * other-job-checks.ts (pure checks) → job-start.ts, ended-unseen.ts, job-switch.ts, state-sync.ts,
 * job-transition.ts (the transitions, each on the step context) → step() here.
 */

export { initialMachineState, type MachineState } from './machine-state.js';
export type { StepInput } from './step-context.js';

export interface StepResult {
  machine: MachineState;
  writes: JobWrite[];
  /** The printer should be asked for its full state now (a pushall), as a live report. */
  fullReportWanted: boolean;
}

/**
 * Decides what one report means for the job of one printer: the next machine state and the rows
 * to write. Pure given its inputs (the two callbacks only read the database).
 */
export function step(machine: MachineState, input: StepInput): StepResult {
  const c = stepContext(machine, input);
  const { m, phase, view, writes, nowMs } = c;

  if (cancelCodeArrived(input.report, input.previous)) m.cancelSeenAtMs = nowMs;
  switchIfAnotherJob(c);

  if (m.syncPending) {
    // Wait for a report that states the printer's state itself: right after a reconnect the merged
    // state still holds what was true before the disconnect.
    if (phase !== 'unknown' && (input.full || Object.hasOwn(input.report, 'gcode_state'))) {
      sync(c);
      m.syncPending = false;
      m.gcodeState = view.gcodeState;
    }
  } else if (phase !== 'unknown' && view.gcodeState !== m.gcodeState) {
    m.gcodeState = view.gcodeState;
    transition(c);
  } else if (m.job === null && !m.ignoring && isPrinting(phase)) {
    // Still waiting for a name to open the job under.
    tryStart(c, c.reported);
  }

  if (m.job !== null && isPrinting(phase) && !writes.some((w) => w.job === m.job)) {
    m.job = updated(m.job, view, c.reported, true);
  }
  m.jobPeak = m.job === null ? NO_PEAK : raisedPeak(m.jobPeak, m.job);

  lateCancel(c);
  m.job = timePhases(
    m.job,
    writes,
    input.merged,
    {
      remainingMin: c.reported.remainingMin,
      amsMapping: amsMappingOf(input.report) ?? input.sentMapping ?? null,
    },
    c.at,
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
  return { machine: m, writes, fullReportWanted: c.fullReportWanted };
}
