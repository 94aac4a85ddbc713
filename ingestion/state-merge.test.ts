import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeState } from './state-merge.js';

describe('mergeState', () => {
  it('keeps what a delta does not mention: a missing key is not a cleared value', () => {
    const merged = mergeState(
      { gcode_state: 'RUNNING', subtask_name: 'A', mc_percent: 10 },
      { mc_percent: 11 },
      false,
    );
    expect(merged).toEqual({ gcode_state: 'RUNNING', subtask_name: 'A', mc_percent: 11 });
  });

  it('replaces the whole state with a full report', () => {
    expect(mergeState({ a: 1, b: 2 }, { a: 3 }, true)).toEqual({ a: 3 });
  });

  it('merges AMS units and trays by id, and partial sub-objects key by key', () => {
    const previous = {
      ams: {
        tray_now: '1',
        ams: [
          {
            id: '0',
            humidity: '4',
            tray: [
              { id: '0', tray_type: 'PLA', remain: 80 },
              { id: '1', tray_type: 'PETG' },
            ],
          },
          { id: '1', tray: [{ id: '0', tray_type: 'ABS' }] },
        ],
      },
      vt_tray: { id: '254', tray_type: 'TPU' },
    };
    const delta = { ams: { ams: [{ id: '0', tray: [{ id: '0', remain: 79 }] }] } };
    expect(mergeState(previous, delta, false)).toEqual({
      ams: {
        tray_now: '1',
        ams: [
          {
            id: '0',
            humidity: '4',
            tray: [
              { id: '0', tray_type: 'PLA', remain: 79 },
              { id: '1', tray_type: 'PETG' },
            ],
          },
          { id: '1', tray: [{ id: '0', tray_type: 'ABS' }] },
        ],
      },
      vt_tray: { id: '254', tray_type: 'TPU' },
    });
  });

  it('empties a tray reported as {id} only', () => {
    const previous = { ams: { ams: [{ id: '0', tray: [{ id: '3', tray_type: 'PLA' }] }] } };
    const merged = mergeState(previous, { ams: { ams: [{ id: '0', tray: [{ id: '3' }] }] } }, false);
    expect(merged).toEqual({ ams: { ams: [{ id: '0', tray: [{ id: '3' }] }] } });
  });

  it('replaces lists without ids and empty lists', () => {
    expect(mergeState({ hms: [{ attr: 1, code: 2 }] }, { hms: [] }, false)).toEqual({ hms: [] });
    expect(mergeState({ stg: [1, 2] }, { stg: [3] }, false)).toEqual({ stg: [3] });
  });

  it('does not grow without bound when deltas keep bringing new keys or ids', () => {
    let state: Record<string, unknown> = {};
    for (let i = 0; i < 3000; i++) {
      state = mergeState(state, { [`k${i}`]: i, ams: { ams: [{ id: String(i), tray: [] }] } }, false);
    }
    expect(Object.keys(state).length).toBeLessThanOrEqual(1024);
    expect((state.ams as { ams: unknown[] }).ams.length).toBeLessThanOrEqual(64);
  });

  it('does not modify its arguments', () => {
    const previous = { ams: { ams: [{ id: '0', tray: [{ id: '0', remain: 1 }] }] } };
    const delta = { ams: { ams: [{ id: '0', tray: [{ id: '0', remain: 2 }] }] } };
    const before = JSON.stringify([previous, delta]);
    mergeState(previous, delta, false);
    expect(JSON.stringify([previous, delta])).toBe(before);
  });

  it('keeps every key a delta leaves out and takes every plain value it brings (property)', () => {
    const state = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }));
    fc.assert(
      fc.property(state, state, (previous, delta) => {
        const merged = mergeState(previous, delta, false);
        for (const [key, value] of Object.entries(previous)) {
          if (key !== '__proto__' && !Object.hasOwn(delta, key)) expect(merged[key]).toEqual(value);
        }
        for (const [key, value] of Object.entries(delta)) {
          if (key === '__proto__') continue;
          if (typeof value !== 'object' || value === null) expect(merged[key]).toEqual(value);
        }
      }),
      { numRuns: 300 },
    );
  });
});
