import { FLAVOUR_TRAITS, type ModelFlavour } from './model-flavours.js';

/**
 * Scripted print jobs: the sequence of report deltas a printer sends for one job, after the
 * lifecycle in test/fixtures/bambu/constructed_lifecycle_p1s_lan_print.json and the rules in
 * the cancel codes in ingestion/cancel-codes.ts (cancel = FAILED + transient 50348044, old firmware RUNNING → IDLE).
 */
export const JOB_KINDS = ['finish', 'fail', 'cancel', 'pause', 'old-cancel', 'quick-finish'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** 0300_400C: "the task was cancelled" — present only for a few seconds after a cancel. */
export const CANCEL_ERROR = 50348044;
/** 0300_8003: an error that ends a print (a real failure, latched until the next job). */
export const FAILURE_ERROR = 50364419;
/** 0300_8001: "printing was paused by the user". */
export const USER_PAUSE_ERROR = 50364417;

export interface JobIdentity {
  name: string;
  gcodeFile: string;
  printType: 'cloud' | 'local';
  taskId: string;
  subtaskId: string;
  /** Newer firmware only. */
  jobId?: string;
}

export interface ScriptStep {
  /** Wait this long (ms) after the previous step before sending this one. */
  afterMs: number;
  delta: Record<string, unknown>;
}

export interface JobScript {
  kind: JobKind;
  identity: JobIdentity;
  steps: ScriptStep[];
  /** The transitions a recorder should log for this job, in order (job_events_raw.event). */
  expectedEvents: string[];
  /** The job's final status in jobs_raw. */
  expectedStatus: 'finished' | 'failed' | 'cancelled';
  totalLayers: number;
}

export interface JobScriptOptions {
  model: ModelFlavour;
  /** Real milliseconds between two scripted reports; a whole job is about 10 steps. */
  stepMs?: number;
  /** A LAN/SD-card print (ids "0" or a local counter) instead of a cloud print. */
  lan?: boolean;
  /** Makes names and ids unique per job; a LAN counter for P2S/H2S. */
  index?: number;
  layers?: number;
  /** For 'quick-finish': the gap between RUNNING and FINISH. */
  quickFinishMs?: number;
}

const EXPECTED: Record<JobKind, { events: string[]; status: JobScript['expectedStatus'] }> = {
  finish: { events: ['started', 'finished'], status: 'finished' },
  'quick-finish': { events: ['started', 'finished'], status: 'finished' },
  fail: { events: ['started', 'failed'], status: 'failed' },
  cancel: { events: ['started', 'cancelled'], status: 'cancelled' },
  'old-cancel': { events: ['started', 'cancelled'], status: 'cancelled' },
  pause: { events: ['started', 'paused', 'resumed', 'finished'], status: 'finished' },
};

/** The identity a job gets from the model and the kind of print (cloud or LAN). */
export function jobIdentity(model: ModelFlavour, lan: boolean, index: number): JobIdentity {
  const traits = FLAVOUR_TRAITS[model];
  const name = `Benchy ${model} #${index}`;
  if (lan) {
    const counter = String(6000 + index);
    return {
      name,
      gcodeFile: traits.newerFirmware ? '/data/Metadata/plate_1.gcode' : `${name}.gcode.3mf`,
      printType: 'local',
      taskId: traits.lanTaskIds === 'zeros' ? '0' : counter,
      subtaskId: traits.lanTaskIds === 'zeros' ? '0' : '',
      ...(traits.newerFirmware ? { jobId: '0' } : {}),
    };
  }
  const id = String(700_000_000 + index * 10 + Math.floor(Math.random() * 10));
  return {
    name,
    gcodeFile: traits.newerFirmware ? '/data/Metadata/plate_1.gcode' : `${name}.3mf`,
    printType: 'cloud',
    taskId: id,
    subtaskId: String(Number(id) + 1400),
    ...(traits.newerFirmware ? { jobId: String(Number(id) - 330_000_000) } : {}),
  };
}

/** Builds the report deltas of one job of `kind` on `model`. Pure apart from the random cloud id. */
export function buildJobScript(kind: JobKind, options: JobScriptOptions): JobScript {
  const { model, stepMs = 200, lan = false, index = 1, layers = 120, quickFinishMs = 1000 } = options;
  const traits = FLAVOUR_TRAITS[model];
  const identity = jobIdentity(model, lan, index);
  const progress = (layer: number, remaining: number): Record<string, unknown> => {
    const percent = Math.round((layer / layers) * 100);
    return {
      layer_num: layer,
      mc_percent: percent,
      mc_remaining_time: remaining,
      stg_cur: 0,
      ...(traits.newerFirmware ? { percent, remain_time: remaining } : {}),
    };
  };
  const idle = { stg_cur: traits.idleStage, print_type: 'idle', mc_print_stage: '1' };

  const steps: ScriptStep[] = [
    {
      afterMs: 0,
      delta: {
        gcode_state: 'PREPARE',
        subtask_name: identity.name,
        gcode_file: identity.gcodeFile,
        print_type: identity.printType,
        task_id: identity.taskId,
        subtask_id: identity.subtaskId,
        project_id: lan ? '0' : String(Number(identity.taskId) - 1000),
        profile_id: lan ? '0' : String(Number(identity.taskId) - 2000),
        ...(identity.jobId !== undefined ? { job_id: identity.jobId } : {}),
        gcode_file_prepare_percent: '0',
        mc_print_stage: '2',
        mc_percent: 0,
        layer_num: 0,
        print_error: 0,
      },
    },
    { afterMs: stepMs, delta: { gcode_file_prepare_percent: '100' } },
    {
      afterMs: stepMs,
      delta: {
        gcode_state: 'RUNNING',
        stg: [2, 1, 14, 13, 0],
        stg_cur: 2,
        total_layer_num: layers,
        layer_num: 0,
        mc_percent: 0,
        mc_remaining_time: 42,
        bed_target_temper: 55,
        nozzle_target_temper: 220,
        ams: { tray_now: '0' },
      },
    },
  ];
  const finish = {
    gcode_state: 'FINISH',
    mc_percent: 100,
    layer_num: layers,
    mc_remaining_time: 0,
    bed_target_temper: 0,
    nozzle_target_temper: 0,
    ...idle,
  };
  const third = Math.round(layers / 3);
  switch (kind) {
    case 'quick-finish':
      steps.push({ afterMs: quickFinishMs, delta: finish });
      break;
    case 'finish':
      steps.push({ afterMs: stepMs, delta: progress(1, 40) });
      steps.push({ afterMs: stepMs, delta: progress(third, 28) });
      steps.push({ afterMs: stepMs, delta: progress(2 * third, 14) });
      steps.push({ afterMs: stepMs, delta: progress(layers, 0) });
      steps.push({ afterMs: stepMs, delta: finish });
      break;
    case 'pause':
      steps.push({ afterMs: stepMs, delta: progress(third, 28) });
      steps.push({
        afterMs: stepMs,
        delta: { gcode_state: 'PAUSE', print_error: USER_PAUSE_ERROR, mc_print_stage: '3' },
      });
      steps.push({ afterMs: stepMs, delta: { wifi_signal: '-61dBm' } });
      steps.push({ afterMs: stepMs, delta: { gcode_state: 'RUNNING', print_error: 0, mc_print_stage: '2' } });
      steps.push({ afterMs: stepMs, delta: progress(layers, 0) });
      steps.push({ afterMs: stepMs, delta: finish });
      break;
    case 'fail':
      steps.push({ afterMs: stepMs, delta: progress(third, 28) });
      steps.push({ afterMs: stepMs, delta: { gcode_state: 'FAILED', print_error: FAILURE_ERROR, ...idle } });
      steps.push({ afterMs: stepMs, delta: { wifi_signal: '-60dBm' } });
      break;
    case 'cancel':
      steps.push({ afterMs: stepMs, delta: progress(third, 28) });
      steps.push({ afterMs: stepMs, delta: { gcode_state: 'FAILED', print_error: CANCEL_ERROR, ...idle } });
      // The cancel code is transient: the printer clears it and zeroes the progress shortly after.
      steps.push({ afterMs: stepMs, delta: { print_error: 0, mc_percent: 0, layer_num: 0 } });
      break;
    case 'old-cancel':
      steps.push({ afterMs: stepMs, delta: progress(third, 28) });
      steps.push({
        afterMs: stepMs,
        delta: { gcode_state: 'IDLE', mc_percent: 0, layer_num: 0, mc_remaining_time: 0, ...idle },
      });
      break;
  }
  const expected = EXPECTED[kind];
  return {
    kind,
    identity,
    steps,
    expectedEvents: expected.events,
    expectedStatus: expected.status,
    totalLayers: layers,
  };
}

/** Parses a `finish,cancel,…` list; throws a message naming the unknown kind and the known ones. */
export function parseJobKinds(list: string): JobKind[] {
  return list
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map((item) => {
      if (!(JOB_KINDS as readonly string[]).includes(item)) {
        throw new Error(`Unknown job kind "${item}"; use one of: ${JOB_KINDS.join(', ')}.`);
      }
      return item as JobKind;
    });
}
