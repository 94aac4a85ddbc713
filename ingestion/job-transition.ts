import { CANCEL_WINDOW_MS, cancelCodeArrived, cancelCodeOf } from './cancel-codes.js';
import { close, updated } from './job-record.js';
import { tryStart } from './job-start.js';
import type { MachineState } from './machine-state.js';
import type { JobStatus } from './raw-schema.js';
import type { StepContext } from './step-context.js';

/** The printer's gcode_state changed (not a sync): open, pause, resume or close the job. */
export function transition(c: StepContext): void {
  const { m, phase, view, writes } = c;
  if (phase === 'printing' || phase === 'paused') {
    if (m.job === null) {
      if (!m.ignoring) tryStart(c, c.reported);
      return;
    }
    const toStatus: JobStatus = phase === 'paused' ? 'paused' : 'running';
    if (toStatus !== m.job.status) {
      const fromStatus = m.job.status;
      m.job = { ...updated(m.job, view, c.reported, true), status: toStatus };
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
  const job = updated(m.job, view, c.reported, false);
  let status: JobStatus;
  if (phase === 'finished') status = 'finished';
  else if (phase === 'idle')
    status = 'cancelled'; // older P1 firmware: RUNNING -> IDLE on a stop
  else status = cancelledRecently(m, c.nowMs) ? 'cancelled' : 'failed';
  const write = close(job, status, c.at);
  writes.push(write);
  m.lastFailed = status === 'failed' ? { job: write.job, atMs: c.nowMs } : null;
  m.job = null;
}

/** A cancel code that reached the printer after FAILED: the failure was a cancel. */
export function lateCancel(c: StepContext): void {
  const { m, writes } = c;
  const { report, previous } = c.input;
  const failed = m.lastFailed;
  if (
    failed === null ||
    !cancelCodeArrived(report, previous) ||
    writes.some((w) => w.job.jobKey === failed.job.jobKey)
  ) {
    return;
  }
  if (c.nowMs - failed.atMs > CANCEL_WINDOW_MS) return;
  writes.push({
    job: { ...failed.job, status: 'cancelled', printError: cancelCodeOf(report) ?? failed.job.printError },
    transition: { event: 'cancelled', fromStatus: 'failed', toStatus: 'cancelled' },
  });
  m.lastFailed = null;
}

function cancelledRecently(m: MachineState, nowMs: number): boolean {
  return m.cancelSeenAtMs !== null && Math.abs(nowMs - m.cancelSeenAtMs) <= CANCEL_WINDOW_MS;
}
