import type { JobRecord, JobWrite, TimedPhase } from './job-record.js';
import type { JsonObject } from './report-parser.js';

/**
 * Honest durations: where an open job's time goes. The seconds are accumulated on the job row as the
 * phases change (rather than derived later from events), so that the three always add up to the
 * job's duration, survive a listener restart with the row, and cost no extra change-sequence bump.
 */

/**
 * `stg_cur` stages that prepare a print rather than print it (HAB const.CURRENT_STAGE_IDS): bed
 * levelling, preheating, homing, nozzle cleaning, the calibrations, chamber cooling. Filament changes
 * (4, 22, 24) are part of printing a multi-colour job, so they count as printing.
 */
const PREPARATION_STAGES = new Set([1, 2, 3, 7, 8, 9, 10, 11, 12, 13, 14, 15, 18, 19, 25, 29, 31]);

/** The phase of an open job in a printer state; null when the state says nothing timed. */
export function timedPhaseOf(state: JsonObject): TimedPhase | null {
  switch (state.gcode_state) {
    case 'PREPARE':
    case 'SLICING':
    case 'INIT':
      return 'preparing';
    case 'PAUSE':
      return 'paused';
    case 'RUNNING':
      return PREPARATION_STAGES.has(Number(state.stg_cur)) ? 'preparing' : 'printing';
    default:
      return null;
  }
}

/**
 * The slicer-slot mapping a status report carries, as stored JSON: `mapping` on newer firmware
 * (ams_id * 256 + slot, 65535 unmapped) or `ams_mapping` (ams_id * 4 + slot, as the project_file
 * command has it).
 */
export function amsMappingOf(report: JsonObject): string | null {
  for (const key of ['ams_mapping', 'mapping'] as const) {
    const value = report[key];
    if (
      Array.isArray(value) &&
      value.length > 0 &&
      value.length <= 64 &&
      value.every((v) => typeof v === 'number' && Number.isInteger(v))
    ) {
      return JSON.stringify({ [key]: value });
    }
  }
  return null;
}

function msBetween(from: string, to: string): number {
  // A clock set back (NTP) never makes a phase negative.
  return Math.max(0, Date.parse(to) - Date.parse(from));
}

/**
 * Closes the job's current phase at `at` and opens `next` there (`null` ends the timing). A phase is
 * opened where accounting left off (start + the time already accounted), so time the listener did
 * not see, a restart or a re-attached job, goes to the phase it resumes in and nothing is lost.
 */
export function movedToPhase(job: JobRecord, next: TimedPhase | null, at: string): JobRecord {
  if (job.preparingMs === null || job.printingMs === null || job.pausedMs === null) return job;
  if (job.phase === next && next !== null) return job;
  let { preparingMs, printingMs, pausedMs } = job;
  if (job.phase !== null && job.phaseSince !== null) {
    const spent = msBetween(job.phaseSince, at);
    if (job.phase === 'preparing') preparingMs += spent;
    else if (job.phase === 'printing') printingMs += spent;
    else pausedMs += spent;
  }
  const moved = { ...job, preparingMs, printingMs, pausedMs };
  if (next === null) {
    moved.phase = null;
    moved.phaseSince = null;
  } else {
    moved.phase = next;
    moved.phaseSince =
      job.phase !== null
        ? at
        : new Date(Date.parse(job.startedAt) + preparingMs + printingMs + pausedMs).toISOString();
  }
  return moved;
}

/**
 * Applies phase timing to the rows one report produced: every job that ended has its phase closed
 * at its end; the open job moves to the phase `state` shows. Returns the open job as updated, and
 * adds a write when only its phase changed (a phase change is written at once, not throttled).
 */
export function timePhases(
  open: JobRecord | null,
  writes: JobWrite[],
  state: JsonObject,
  report: { remainingMin: number | null; amsMapping: string | null },
  at: string,
): JobRecord | null {
  for (const write of writes) {
    if (write.job.endedAt !== null) write.job = movedToPhase(write.job, null, write.job.endedAt);
  }
  if (open === null || open.endedAt !== null) return open;
  const phase = timedPhaseOf(state) ?? open.phase;
  let next = phase === null ? open : movedToPhase(open, phase, at);
  const { remainingMin, amsMapping } = report;
  if (next.estimatedS === null && next.phase === 'printing' && remainingMin !== null && remainingMin > 0) {
    next = { ...next, estimatedS: remainingMin * 60 };
  }
  if (amsMapping !== null && next.amsMapping === null) next = { ...next, amsMapping };
  const changed = next.phase !== open.phase || next.amsMapping !== open.amsMapping;
  const own = writes.find((w) => w.job.jobKey === open.jobKey);
  if (own) own.job = next;
  else if (changed) writes.push({ job: next });
  return next;
}
