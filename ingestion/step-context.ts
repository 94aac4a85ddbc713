import { type Phase, phaseOf } from './job-phase.js';
import type { JobRecord, JobWrite } from './job-record.js';
import type { MachineState } from './machine-state.js';
import { type PrinterView, type ProgressFields, progressOf, viewOf } from './printer-view.js';
import type { JsonObject } from './report-parser.js';

/** What the tracker hands the state machine with one report. */
export interface StepInput {
  serial: string;
  now: Date;
  /** The report as received (sanitized): progress is read from here only, never from stale state. */
  report: JsonObject;
  /** Whether the report is a full one (msg 0 or ≥ 40 keys). */
  full: boolean;
  /** The merged state before and after this report. */
  previous: JsonObject | undefined;
  merged: JsonObject;
  /** Jobs jobs_raw holds as running or paused for this printer; read only when a sync is pending. */
  openJobs: () => JobRecord[];
  keyTaken: (key: string) => boolean;
  checkIntervalS: number;
  /** The slot mapping of the last project_file command the printer echoed, as JSON (job-phases.ts). */
  sentMapping?: string | null;
}

/**
 * Everything one report's transitions read and write, in one object instead of a row of positional
 * parameters: the working copy of the machine state (`m`, a copy made per report, so that step()
 * stays pure to its caller), the report's input, what is derived from it once, and the rows to write.
 */
export interface StepContext {
  readonly m: MachineState;
  readonly input: StepInput;
  /** The merged state as the printer view the transitions read. */
  readonly view: PrinterView;
  readonly phase: Phase;
  /** Progress as this report states it (never stale merged values). */
  readonly reported: ProgressFields;
  /** Progress as the merged state holds it. */
  readonly current: ProgressFields;
  /** The report's arrival time, as ISO text and as milliseconds. */
  readonly at: string;
  readonly nowMs: number;
  readonly writes: JobWrite[];
  /** Set by a transition that needs the printer's full state (see tryStart). */
  fullReportWanted: boolean;
}

export function stepContext(machine: MachineState, input: StepInput): StepContext {
  const view = viewOf(input.merged);
  return {
    m: { ...machine },
    input,
    view,
    phase: phaseOf(view.gcodeState),
    reported: progressOf(input.report),
    current: progressOf(input.merged),
    at: input.now.toISOString(),
    nowMs: input.now.getTime(),
    writes: [],
    fullReportWanted: false,
  };
}

/** Printing or paused: a job is (or should be) open. */
export function isPrinting(phase: Phase): phase is 'printing' | 'paused' {
  return phase === 'printing' || phase === 'paused';
}
