import { isObject } from './report-parser.js';
/** Reads the typed view out of a merged state (fields were sanitized by the parser). */
export function viewOf(state) {
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
export function progressOf(report) {
    const number = (value) => (typeof value === 'number' ? value : null);
    return {
        progressPercent: number(report.mc_percent),
        layerNum: number(report.layer_num),
        totalLayers: number(report.total_layer_num),
        remainingMin: number(report.mc_remaining_time),
    };
}
/** LAN and SD-card prints report "0" or "" for ids they do not have. */
export function reportedId(value) {
    if (typeof value !== 'string')
        return null;
    const id = value.trim();
    return id === '' || id === '0' ? null : id;
}
/**
 * The tray `ams.tray_now` points at: 255 = none, 254 = external spool, 128–135 = an AMS HT unit
 * (one slot), otherwise AMS unit `n >> 2`, slot `n & 3`.
 */
function activeTray(state) {
    const ams = isObject(state.ams) ? state.ams : undefined;
    const now = Number(ams?.tray_now);
    if (!Number.isInteger(now) || now < 0 || now === 255)
        return undefined;
    if (now === 254) {
        if (isObject(state.vt_tray))
            return state.vt_tray;
        const slots = Array.isArray(state.vir_slot) ? state.vir_slot : [];
        return slots.find((slot) => isObject(slot));
    }
    const [unitId, slotId] = now >= 128 ? [now, 0] : [now >> 2, now & 3];
    const units = Array.isArray(ams?.ams) ? ams.ams : [];
    const unit = units.find((entry) => isObject(entry) && Number(entry.id) === unitId);
    const trays = unit && Array.isArray(unit.tray) ? unit.tray : [];
    return trays.find((entry) => isObject(entry) && Number(entry.id) === slotId);
}
function text(value) {
    return typeof value === 'string' && value.trim() !== '' ? value : null;
}
//# sourceMappingURL=printer-view.js.map