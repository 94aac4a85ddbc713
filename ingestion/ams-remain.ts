import type { LoadedTray } from './filament-trays.js';
import type { FilamentRow } from './raw-writer.js';

/**
 * The second source of a job's filament: how far each RFID spool's `remain` % fell between the job's
 * start and end, times the spool's weight (bambuddy's fallback). Coarse (1 % of a 1 kg spool is
 * 10 g) and only for Bambu spools with "calibrate remaining" on; a tray whose spool changed
 * (another material or colour) or that gained filament is left out.
 */
export function remainUsage(start: readonly LoadedTray[], end: readonly LoadedTray[]): FilamentRow[] {
  const rows: FilamentRow[] = [];
  for (const before of start) {
    const after = end.find((t) => t.tray === before.tray);
    if (!after || before.remain === null || after.remain === null || before.weightG === null) continue;
    if (after.type !== before.type || after.color !== before.color) continue;
    const fraction = (before.remain - after.remain) / 100;
    if (fraction <= 0) continue;
    rows.push({
      source: 'ams_remain',
      slot: before.tray,
      amsTray: before.tray,
      trayMatch: null,
      filamentType: before.type,
      filamentColor: before.color || null,
      trayInfoIdx: null,
      usedG: round2(fraction * before.weightG),
      usedM: before.lengthM === null ? null : round2(fraction * before.lengthM),
    });
  }
  return rows;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
