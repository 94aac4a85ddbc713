import { isObject, type JsonObject } from './report-parser.js';

/** A tray a slicer slot was printed from: `ams_id * 4 + slot` (128+ AMS HT, 254 external), and how we know. */
export interface TrayMatch {
  tray: number | null;
  match: 'ams_mapping' | 'type_color' | null;
}

const UNKNOWN: TrayMatch = { tray: null, match: null };

/**
 * The AMS tray of a 1-based slicer slot: from the mapping the job was sent with when it was seen
 * (`ams_mapping[slot-1]`, or newer firmware's `mapping[slot-1]` = ams_id * 256 + slot, 65535 none),
 * else the one loaded tray of the same material and colour; null when that is not one tray.
 */
export function trayOfSlot(
  slot: number,
  mappingJson: string | null,
  filament: { type: string | null; color: string | null },
  state: JsonObject | undefined,
): TrayMatch {
  const mapped = fromMapping(slot, mappingJson);
  if (mapped !== null) return { tray: mapped, match: 'ams_mapping' };
  if (!filament.type || !filament.color || !state) return UNKNOWN;
  const same = loadedTrays(state).filter(
    (t) =>
      t.type.toUpperCase() === filament.type?.toUpperCase() &&
      t.color.slice(0, 6).toUpperCase() === filament.color?.slice(0, 6),
  );
  return same.length === 1 && same[0] ? { tray: same[0].tray, match: 'type_color' } : UNKNOWN;
}

function fromMapping(slot: number, mappingJson: string | null): number | null {
  if (mappingJson === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(mappingJson);
  } catch {
    return null;
  }
  if (!isObject(parsed)) return null;
  if (Array.isArray(parsed.ams_mapping)) {
    const v = parsed.ams_mapping[slot - 1];
    if (typeof v !== 'number' || v < 0) return null;
    return v === 255 ? 254 : v;
  }
  if (Array.isArray(parsed.mapping)) {
    const v = parsed.mapping[slot - 1];
    if (typeof v !== 'number' || v < 0 || v === 65535) return null;
    const amsId = v >> 8;
    if (amsId === 254 || amsId === 255) return 254;
    return amsId >= 128 ? amsId : amsId * 4 + (v & 0xff);
  }
  return null;
}

export interface LoadedTray {
  tray: number;
  type: string;
  color: string;
  /** % left, only meaningful for RFID spools (−1 unknown). */
  remain: number | null;
  /** Spool weight in grams (tray_weight), null when unknown. */
  weightG: number | null;
  /** Filament length on a full spool in metres (total_len is mm). */
  lengthM: number | null;
}

/** The trays of a printer state that hold filament, with their tray number. */
export function loadedTrays(state: JsonObject): LoadedTray[] {
  const trays: LoadedTray[] = [];
  const ams = isObject(state.ams) ? state.ams : undefined;
  const units = Array.isArray(ams?.ams) ? ams.ams : [];
  for (const unit of units) {
    if (!isObject(unit) || !Array.isArray(unit.tray)) continue;
    const unitId = Number(unit.id);
    if (!Number.isInteger(unitId)) continue;
    for (const tray of unit.tray) {
      if (!isObject(tray)) continue;
      const slot = Number(tray.id);
      if (!Number.isInteger(slot)) continue;
      const loaded = trayOf(unitId >= 128 ? unitId : unitId * 4 + slot, tray);
      if (loaded) trays.push(loaded);
    }
  }
  if (isObject(state.vt_tray)) {
    const external = trayOf(254, state.vt_tray);
    if (external) trays.push(external);
  }
  return trays;
}

function trayOf(number: number, tray: JsonObject): LoadedTray | null {
  if (typeof tray.tray_type !== 'string' || tray.tray_type === '') return null;
  const positive = (value: unknown) => {
    const n = Number(value);
    return Number.isFinite(n) && n > 0 ? n : null;
  };
  const remain = typeof tray.remain === 'number' && tray.remain >= 0 ? tray.remain : null;
  const length = positive(tray.total_len);
  return {
    tray: number,
    type: tray.tray_type,
    color: typeof tray.tray_color === 'string' ? tray.tray_color.toUpperCase() : '',
    remain,
    weightG: positive(tray.tray_weight),
    lengthM: length === null ? null : length / 1000,
  };
}
