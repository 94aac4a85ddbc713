import type { PrinterView } from './printer-view.js';

/** What a gcode_state means for the open job. */
export type Phase = 'printing' | 'paused' | 'finished' | 'failed' | 'idle' | 'unknown';

/** Calibration and system jobs (firmware gcode, print_type system): never recorded. */
export function isSystemJob(view: PrinterView): boolean {
  return (view.gcodeFile?.startsWith('/usr/') ?? false) || view.printType === 'system';
}

/** The phase a gcode_state puts the open job in; 'unknown' for none or an unlisted one. */
export function phaseOf(state: string | null): Phase {
  switch (state) {
    case 'PREPARE':
    case 'SLICING':
    case 'RUNNING':
      return 'printing';
    case 'PAUSE':
      return 'paused';
    case 'FINISH':
      return 'finished';
    case 'FAILED':
      return 'failed';
    case 'IDLE':
      return 'idle';
    default:
      return 'unknown';
  }
}
