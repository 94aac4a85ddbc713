import type { PrinterView, ProgressFields } from './printer-view.js';
import type { JobStatus } from './raw-schema.js';
import type { JsonObject } from './report-parser.js';

/** One job as the raw layer stores it (a jobs_raw row without the bookkeeping columns). */
export interface JobRecord {
  jobKey: string;
  status: JobStatus;
  startedAt: string;
  endedAt: string | null;
  startApproximate: boolean;
  taskId: string | null;
  subtaskId: string | null;
  /** The report's job_id. */
  jobId: string | null;
  name: string | null;
  gcodeFile: string | null;
  printType: string | null;
  gcodeState: string | null;
  progressPercent: number | null;
  layerNum: number | null;
  totalLayers: number | null;
  remainingMin: number | null;
  /** The last non-zero print_error seen during the job (a cancel code survives its reset to 0). */
  printError: number | null;
  nozzleDiameter: string | null;
  nozzleType: string | null;
  filamentType: string | null;
  filamentColor: string | null;
  /**
   * Milliseconds spent in each phase that has been closed so far (see job-phases.ts). null for a row
   * written before the listener kept them: its time is unknown rather than guessed.
   */
  preparingMs: number | null;
  printingMs: number | null;
  pausedMs: number | null;
  /** The phase the job is in and since when (listener clock); null once the job has ended. */
  phase: TimedPhase | null;
  phaseSince: string | null;
  /** The first remaining time reported while printing, in seconds: the printer's own estimate. */
  estimatedS: number | null;
  /** The slicer-slot to AMS-tray mapping the job was sent with (ams_mapping / mapping), as JSON. */
  amsMapping: string | null;
}

/** Where a job's time goes: heating and calibrating, laying down plastic, or paused. */
export type TimedPhase = 'preparing' | 'printing' | 'paused';

export type JobEvent =
  | 'started'
  | 'paused'
  | 'resumed'
  | 'finished'
  | 'failed'
  | 'cancelled'
  | 'ended_while_disconnected'
  | 'reattached'
  /** The job's filament figures (or why there are none) were recorded; its status did not change. */
  | 'filament_recorded';

/** One row to write: the job as it now is, and the transition that produced it (none for progress). */
export interface JobWrite {
  job: JobRecord;
  transition?: { event: JobEvent; fromStatus: JobStatus | null; toStatus: JobStatus };
  /**
   * The printer state to store as the row's last report. Left out: the merged state of the report
   * being handled. null: keep what the row holds (the report being handled is another job's, and
   * no earlier one of this job is at hand).
   */
  lastReport?: JsonObject | null;
}

/**
 * The job with what this report adds. Empty values never replace known ones (the printer blanks the
 * file name and zeroes progress and layers at the end), and descriptive fields only change while printing.
 */
export function updated(
  job: JobRecord,
  view: PrinterView,
  progress: ProgressFields,
  printing: boolean,
): JobRecord {
  const next: JobRecord = { ...job, gcodeState: view.gcodeState ?? job.gcodeState };
  if (printing) {
    next.name = view.name ?? job.name;
    next.gcodeFile = view.gcodeFile ?? job.gcodeFile;
    next.printType = view.printType ?? job.printType;
    // Newest ids win: at PREPARE a delta may still show the previous job's, until the new ones arrive.
    next.jobId = view.jobId ?? job.jobId;
    next.subtaskId = view.subtaskId ?? job.subtaskId;
    next.taskId = view.taskId ?? job.taskId;
    next.nozzleDiameter = view.nozzleDiameter ?? job.nozzleDiameter;
    next.nozzleType = view.nozzleType ?? job.nozzleType;
    next.filamentType = view.filamentType ?? job.filamentType;
    next.filamentColor = view.filamentColor ?? job.filamentColor;
  }
  if (view.printError !== null && view.printError !== 0) next.printError = view.printError;
  else if (next.printError === null && view.printError === 0) next.printError = 0;
  next.progressPercent = keepValid(job.progressPercent, progress.progressPercent);
  next.layerNum = keepValid(job.layerNum, progress.layerNum);
  next.totalLayers = keepValid(job.totalLayers, progress.totalLayers);
  if (progress.remainingMin !== null && printing) next.remainingMin = progress.remainingMin;
  return next;
}

function keepValid(known: number | null, reported: number | null): number | null {
  if (reported === null) return known;
  if (reported === 0 && known !== null) return known;
  return reported;
}

/**
 * The job ended at `at`. A job that ended while the listener was away gets the time it was noticed: an
 * upper bound, as a first-seen start is a lower bound. A clock set back (NTP) never puts the end
 * before the start.
 */
export function close(job: JobRecord, status: JobStatus, at: string): JobWrite {
  const endedAt = at < job.startedAt ? job.startedAt : at;
  return {
    job: { ...job, status, endedAt },
    transition: { event: status as JobEvent, fromStatus: job.status, toStatus: status },
  };
}

export function startTransition(job: JobRecord): JobWrite['transition'] {
  return { event: 'started', fromStatus: null, toStatus: job.status };
}

/** A job just opened: nothing known yet but its key, status and start. */
export function newJob(
  jobKey: string,
  status: JobStatus,
  startedAt: string,
  startApproximate: boolean,
): JobRecord {
  return {
    jobKey,
    status,
    startedAt,
    endedAt: null,
    startApproximate,
    taskId: null,
    subtaskId: null,
    jobId: null,
    name: null,
    gcodeFile: null,
    printType: null,
    gcodeState: null,
    progressPercent: null,
    layerNum: null,
    totalLayers: null,
    remainingMin: null,
    printError: null,
    nozzleDiameter: null,
    nozzleType: null,
    filamentType: null,
    filamentColor: null,
    preparingMs: 0,
    printingMs: 0,
    pausedMs: 0,
    phase: null,
    phaseSince: null,
    estimatedS: null,
    amsMapping: null,
  };
}
