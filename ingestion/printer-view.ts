import { isObject, type JsonObject } from './report-parser.js';

/** The few fields of a printer's merged state that job tracking reads, typed. */
export interface PrinterView {
  gcodeState: string | null;
  /** subtask_name: the job's name as the printer shows it. */
  name: string | null;
  gcodeFile: string | null;
  printType: string | null;
  /** Ids as reported, with the LAN placeholders "0" and "" turned into null. */
  jobId: string | null;
  subtaskId: string | null;
  taskId: string | null;
  printError: number | null;
  nozzleDiameter: string | null;
  nozzleType: string | null;
  /** The loaded tray's filament, when a tray is loaded. */
  filamentType: string | null;
  filamentColor: string | null;
}

/** The progress fields as a report carries them (absent = not in this report). */
export interface ProgressFields {
  progressPercent: number | null;
  layerNum: number | null;
  totalLayers: number | null;
  remainingMin: number | null;
}

/** Reads the typed view out of a merged state (fields were sanitized by the parser). */
export function viewOf(state: JsonObject): PrinterView {
  const tray = activeTray(state);
  return {
    gcodeState: text(state.gcode_state),
    name: text(state.subtask_name),
    gcodeFile: text(state.gcode_file),
    printType: text(state.print_type),
    jobId: reportedId(state.job_id),
    subtaskId: reportedId(state.subtask_id),
    taskId: reportedId(state.task_id),
    printError: typeof state.print_error === 'number' ? state.print_error : null,
    nozzleDiameter: text(state.nozzle_diameter),
    nozzleType: text(state.nozzle_type),
    filamentType: tray ? text(tray.tray_type) : null,
    filamentColor: tray ? text(tray.tray_color) : null,
  };
}

/** The progress fields present in one report. */
export function progressOf(report: JsonObject): ProgressFields {
  const number = (value: unknown) => (typeof value === 'number' ? value : null);
  return {
    progressPercent: number(report.mc_percent),
    layerNum: number(report.layer_num),
    totalLayers: number(report.total_layer_num),
    remainingMin: number(report.mc_remaining_time),
  };
}

/** LAN and SD-card prints report "0" or "" for ids they do not have. */
export function reportedId(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const id = value.trim();
  return id === '' || id === '0' ? null : id;
}

/**
 * The tray `ams.tray_now` points at: 255 = none, 254 = external spool, 128–135 = an AMS HT unit
 * (one slot), otherwise AMS unit `n >> 2`, slot `n & 3`.
 */
function activeTray(state: JsonObject): JsonObject | undefined {
  const ams = isObject(state.ams) ? state.ams : undefined;
  const now = Number(ams?.tray_now);
  if (!Number.isInteger(now) || now < 0 || now === 255) return undefined;
  if (now === 254) {
    if (isObject(state.vt_tray)) return state.vt_tray;
    const slots = Array.isArray(state.vir_slot) ? state.vir_slot : [];
    return slots.find((slot): slot is JsonObject => isObject(slot));
  }
  const [unitId, slotId] = now >= 128 ? [now, 0] : [now >> 2, now & 3];
  const units = Array.isArray(ams?.ams) ? ams.ams : [];
  const unit = units.find((entry): entry is JsonObject => isObject(entry) && Number(entry.id) === unitId);
  const trays = unit && Array.isArray(unit.tray) ? unit.tray : [];
  return trays.find((entry): entry is JsonObject => isObject(entry) && Number(entry.id) === slotId);
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}
