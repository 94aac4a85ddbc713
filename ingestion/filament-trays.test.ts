import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { remainUsage } from './ams-remain.js';
import { loadedTrays, trayOfSlot } from './filament-trays.js';
import { parseSliceInfo, SliceInfoError } from './slice-info.js';
import { bambuFixture } from './tracker-harness.js';

const trays = {
  ams: {
    ams: [
      {
        id: '0',
        tray: [
          {
            id: '0',
            tray_type: 'PLA',
            tray_color: '00AE42FF',
            remain: 80,
            tray_weight: '1000',
            total_len: 330000,
          },
          { id: '1', tray_type: 'PETG', tray_color: '1A1A1AFF', remain: 40, tray_weight: '1000' },
          { id: '2', tray_type: 'PLA', tray_color: '00AE42FF', remain: -1, tray_weight: '1000' },
          { id: '3' },
        ],
      },
      {
        id: '1',
        tray: [{ id: '2', tray_type: 'ABS', tray_color: 'D32941FF', remain: 10, tray_weight: '250' }],
      },
    ],
  },
  vt_tray: { id: '254', tray_type: 'TPU', tray_color: 'FFFFFFFF', remain: 0 },
};

describe('the AMS tray of a slicer slot', () => {
  it("takes the project_file's ams_mapping (ams_id * 4 + slot), 254 for the external spool", () => {
    const mapping = JSON.stringify({ ams_mapping: [6, -1, 254] });
    const any = { type: 'PLA', color: '00AE42FF' };
    expect(trayOfSlot(1, mapping, any, trays)).toEqual({ tray: 6, match: 'ams_mapping' });
    expect(trayOfSlot(3, mapping, any, trays)).toEqual({ tray: 254, match: 'ams_mapping' });
  });

  it("decodes newer firmware's mapping (ams_id * 256 + slot, 65535 unmapped)", () => {
    const mapping = JSON.stringify({ mapping: [258, 65535, 0, 128 * 256] });
    expect(trayOfSlot(1, mapping, { type: null, color: null }, trays)).toEqual({
      tray: 6,
      match: 'ams_mapping',
    });
    expect(trayOfSlot(2, mapping, { type: null, color: null }, trays)).toEqual({ tray: null, match: null });
    expect(trayOfSlot(4, mapping, { type: null, color: null }, trays)).toEqual({
      tray: 128,
      match: 'ams_mapping',
    });
  });

  it('falls back to the one loaded tray of the same material and colour, and to none when two match', () => {
    expect(trayOfSlot(2, null, { type: 'PETG', color: '1A1A1AFF' }, trays)).toEqual({
      tray: 1,
      match: 'type_color',
    });
    expect(trayOfSlot(1, null, { type: 'PLA', color: '00AE42FF' }, trays)).toEqual({
      tray: null,
      match: null,
    });
    expect(trayOfSlot(1, null, { type: 'PLA', color: '00AE42FF' }, undefined)).toEqual({
      tray: null,
      match: null,
    });
  });

  it('lists the trays that hold filament in a real X1C report', () => {
    const report = bambuFixture<{ print: Record<string, unknown> }>(
      'x1c_pushall_finish_cloud_job.json',
    ).print;
    const loaded = loadedTrays(report);
    expect(loaded.length).toBeGreaterThan(0);
    for (const tray of loaded) expect(tray.type).not.toBe('');
  });
});

describe('the AMS remain % as a second source', () => {
  it('charges the fall of each RFID spool times its weight, and skips unknown, refilled or changed spools', () => {
    const start = loadedTrays(trays);
    const end = loadedTrays({
      ...trays,
      ams: {
        ams: [
          {
            id: '0',
            tray: [
              {
                id: '0',
                tray_type: 'PLA',
                tray_color: '00AE42FF',
                remain: 77,
                tray_weight: '1000',
                total_len: 330000,
              },
              { id: '1', tray_type: 'PETG', tray_color: '1A1A1AFF', remain: 90, tray_weight: '1000' },
              { id: '2', tray_type: 'PLA', tray_color: '00AE42FF', remain: -1, tray_weight: '1000' },
            ],
          },
          {
            id: '1',
            tray: [{ id: '2', tray_type: 'PETG', tray_color: 'D32941FF', remain: 5, tray_weight: '250' }],
          },
        ],
      },
    });
    expect(remainUsage(start, end)).toEqual([
      expect.objectContaining({
        source: 'ams_remain',
        slot: 0,
        amsTray: 0,
        filamentType: 'PLA',
        usedG: 30,
        usedM: 9.9,
      }),
    ]);
  });
});

describe('slice_info.config', () => {
  const xml = readFileSync(
    new URL('../test/fixtures/bambu/slice_info_config_example.xml', import.meta.url),
    'utf8',
  );

  it('reads the plate, its prediction and weight, and each filament with RRGGBBAA colours', () => {
    expect(parseSliceInfo(xml)).toEqual({
      plateIndex: 1,
      predictionS: 4521,
      weightG: 31.25,
      filaments: [
        { slot: 1, type: 'PLA', color: '00AE42FF', trayInfoIdx: 'GFA00', usedG: 21.83, usedM: 7.32 },
        { slot: 3, type: 'PETG', color: '1A1A1AFF', trayInfoIdx: 'GFG00', usedG: 9.42, usedM: 3.11 },
      ],
    });
  });

  it('picks the printed plate of a multi-plate project', () => {
    const two = xml.replace(
      '</config>',
      '<plate><metadata key="index" value="2"/><metadata key="prediction" value="60"/><filament id="2" type="ABS" color="#D32941" used_m="1" used_g="3"/></plate></config>',
    );
    expect(parseSliceInfo(two, 2)).toMatchObject({
      plateIndex: 2,
      predictionS: 60,
      filaments: [{ slot: 2, type: 'ABS' }],
    });
    expect(parseSliceInfo(two, null).plateIndex).toBe(1);
  });

  it('says so when there is no filament, or no XML', () => {
    expect(() => parseSliceInfo('<config><plate></plate></config>')).toThrow(SliceInfoError);
    expect(() => parseSliceInfo('<config><plate></plate></config>')).toThrow(/lists no filament/);
    expect(() => parseSliceInfo('not xml <<<')).toThrow(SliceInfoError);
  });
});
