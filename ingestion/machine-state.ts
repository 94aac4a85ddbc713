import type { JobIds } from './job-key.js';
import type { JobRecord } from './job-record.js';

/**
 * The bottom layer of the job state machine: what the tracker remembers between two reports of one
 * printer. Types and constructors only; nothing here imports another layer.
 */

/** The furthest progress the open job reached: progress may have dropped already when the new name arrives. */
export interface ProgressPeak {
  progressPercent: number | null;
  layerNum: number | null;
}

export const NO_PEAK: ProgressPeak = { progressPercent: null, layerNum: null };

/** The name and file a job opened with that it may have inherited from the state before its start. */
export interface InheritedLabel {
  name: string | null;
  gcodeFile: string | null;
}

/** What the tracker remembers between two reports of one printer. */
export interface MachineState {
  /** The next report with a gcode_state is a state sync, not a transition (after a (re)connect). */
  syncPending: boolean;
  /** The gcode_state the machine last acted on. */
  gcodeState: string | null;
  /** The open job (running or paused), if any. */
  job: JobRecord | null;
  /** Ids the open job may have inherited from the job before (see inheritedIds in job-start.ts). */
  jobInheritedIds: JobIds | null;
  /** The name and file the open job may have inherited from the state before its start. */
  jobInheritedLabel: InheritedLabel | null;
  /** The furthest the open job got, to notice another job that started while reports were lost. */
  jobPeak: ProgressPeak;
  /** The printer is printing but no job could be opened yet (no name so far); 'approximate' after a sync. */
  awaitingStart: 'exact' | 'approximate' | null;
  /** While awaiting a name: the ids the printer showed before the job began (see inheritedIds). */
  idsBeforeStart: JobIds | null;
  /** A calibration or system job is running: it is not recorded. */
  ignoring: boolean;
  /** When a cancel code last appeared in print_error (ms). */
  cancelSeenAtMs: number | null;
  /** The job that last ended as failed, for a cancel code that arrives just after FAILED. */
  lastFailed: { job: JobRecord; atMs: number } | null;
  /** When the open job was last written, and what was written, for throttling progress writes. */
  jobWrittenAtMs: number;
  jobWrittenSignature: string;
}

export function initialMachineState(): MachineState {
  return {
    syncPending: true,
    gcodeState: null,
    job: null,
    jobInheritedIds: null,
    jobInheritedLabel: null,
    jobPeak: NO_PEAK,
    awaitingStart: null,
    idsBeforeStart: null,
    ignoring: false,
    cancelSeenAtMs: null,
    lastFailed: null,
    jobWrittenAtMs: Number.NEGATIVE_INFINITY,
    jobWrittenSignature: '',
  };
}

export function raisedPeak(peak: ProgressPeak, job: JobRecord): ProgressPeak {
  const higher = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
  return {
    progressPercent: higher(peak.progressPercent, job.progressPercent),
    layerNum: higher(peak.layerNum, job.layerNum),
  };
}
