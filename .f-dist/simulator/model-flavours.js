/**
 * How each printer model shapes its reports, after the recorded payloads in test/fixtures/bambu/
 * (X1C, P1S, A1, P2S, H2S). A flavour gives the idle full report (`msg: 0`, the reply to `pushall`)
 * and the per-model conventions that matter to a job recorder: the idle `stg_cur`, whether LAN prints
 * carry `"0"` or a local counter as `task_id`, whether the model sends newer-firmware fields
 * (`job_id`, `t_utc`, `percent`), and whether it sends whole objects or deltas.
 */
export const MODEL_FLAVOURS = ['X1C', 'P1S', 'A1', 'P2S', 'H2S'];
export const FLAVOUR_TRAITS = {
    X1C: {
        idleStage: -1,
        fullReports: true,
        newerFirmware: true,
        lanTaskIds: 'zeros',
        nozzleType: 'hardened_steel',
    },
    P1S: {
        idleStage: 255,
        fullReports: false,
        newerFirmware: false,
        lanTaskIds: 'zeros',
        nozzleType: 'hardened_steel',
    },
    A1: {
        idleStage: 0,
        fullReports: false,
        newerFirmware: false,
        lanTaskIds: 'zeros',
        nozzleType: 'stainless_steel',
    },
    P2S: { idleStage: 255, fullReports: false, newerFirmware: true, lanTaskIds: 'counter', nozzleType: 'HS01' },
    H2S: { idleStage: 255, fullReports: false, newerFirmware: true, lanTaskIds: 'counter', nozzleType: 'HS01' },
};
/** True when `value` names a model flavour (case-insensitive input is the caller's business). */
export function isModelFlavour(value) {
    return MODEL_FLAVOURS.includes(value);
}
/** The printer's idle state as a full report would carry it (without command/msg/sequence_id). */
export function idleState(model) {
    const traits = FLAVOUR_TRAITS[model];
    const state = {
        ipcam: { ipcam_dev: '1', ipcam_record: 'enable', timelapse: 'disable', resolution: '1080p' },
        upload: { status: 'idle', progress: 0, message: '' },
        net: { conf: 16, info: [{ ip: 0, mask: 0 }] },
        nozzle_temper: 24.0625,
        nozzle_target_temper: 0,
        bed_temper: 23.5,
        bed_target_temper: 0,
        chamber_temper: 5,
        mc_print_stage: '1',
        heatbreak_fan_speed: '0',
        cooling_fan_speed: '0',
        big_fan1_speed: '0',
        big_fan2_speed: '0',
        mc_percent: 0,
        mc_remaining_time: 0,
        ams_status: 0,
        ams_rfid_status: 0,
        hw_switch_state: 0,
        spd_mag: 100,
        spd_lvl: 2,
        print_error: 0,
        lifecycle: 'product',
        wifi_signal: '-58dBm',
        gcode_state: 'IDLE',
        gcode_file_prepare_percent: '0',
        queue_number: 0,
        queue_total: 0,
        queue_est: 0,
        queue_sts: 0,
        project_id: '',
        profile_id: '',
        task_id: '',
        subtask_id: '',
        subtask_name: '',
        gcode_file: '',
        stg: [],
        stg_cur: traits.idleStage,
        print_type: 'idle',
        home_flag: 24331672,
        mc_print_line_number: '0',
        mc_print_sub_stage: 0,
        sdcard: true,
        force_upgrade: false,
        mess_production_state: 'active',
        layer_num: 0,
        total_layer_num: 0,
        s_obj: [],
        filam_bak: [],
        fan_gear: 0,
        nozzle_diameter: '0.4',
        nozzle_type: traits.nozzleType,
        cali_version: 0,
        k: '0.0200',
        flag3: 15,
        upgrade_state: { sequence_id: 0, progress: '', status: '', new_version_state: 2 },
        hms: [],
        online: { ahb: false, rfid: false, version: 7 },
        ams: {
            ams: [
                {
                    id: '0',
                    humidity: '4',
                    temp: '22.5',
                    tray: [
                        { id: '0', tray_type: 'PLA', tray_color: 'FFFFFFFF', remain: 80 },
                        { id: '1', tray_type: 'PETG', tray_color: '000000FF', remain: 45 },
                        { id: '2', tray_type: 'PLA', tray_color: 'F72323FF', remain: 100 },
                        { id: '3' },
                    ],
                },
            ],
            ams_exist_bits: '1',
            tray_exist_bits: '7',
            tray_now: '255',
            tray_tar: '255',
            version: 4,
        },
        vt_tray: { id: '254', tray_type: '', tray_color: '00000000', remain: 0 },
        lights_report: [{ node: 'chamber_light', mode: 'on' }],
    };
    if (traits.newerFirmware) {
        Object.assign(state, {
            job_id: '',
            lan_task_id: '0',
            percent: 0,
            remain_time: 0,
            plate_idx: 0,
            plate_cnt: 0,
            design_id: '',
            model_id: '',
            state: 0,
            mapping: [],
        });
    }
    return state;
}
//# sourceMappingURL=model-flavours.js.map