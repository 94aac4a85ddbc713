import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_REPORT_BYTES, parseReport } from './report-parser.js';
import { bambuFixture } from './tracker-harness.js';

const SERIAL = '01P00A000000000';
const TOPIC = `device/${SERIAL}/report`;

describe('parseReport', () => {
  it('accepts a push_status delta and says it is not full', () => {
    const result = parseReport(
      TOPIC,
      JSON.stringify({ print: { bed_temper: 12, command: 'push_status', msg: 1 } }),
      SERIAL,
    );
    expect(result).toMatchObject({ kind: 'report', full: false, print: { bed_temper: 12 }, dropped: [] });
  });

  it('takes msg 0, or 40 keys or more without msg, as a full report', () => {
    expect(parseReport(TOPIC, '{"print":{"msg":0}}', SERIAL)).toMatchObject({ full: true });
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]));
    expect(parseReport(TOPIC, JSON.stringify({ print: many }), SERIAL)).toMatchObject({ full: true });
    const fewer = Object.fromEntries(Array.from({ length: 39 }, (_, i) => [`k${i}`, i]));
    expect(parseReport(TOPIC, JSON.stringify({ print: fewer }), SERIAL)).toMatchObject({ full: false });
  });

  it('refuses a message on another printer topic or the request topic', () => {
    expect(parseReport('device/OTHER/report', '{}', SERIAL)).toMatchObject({
      kind: 'bad',
      bad: { kind: 'unexpected-topic' },
    });
    expect(parseReport(`device/${SERIAL}/request`, '{}', SERIAL)).toMatchObject({
      bad: { kind: 'unexpected-topic' },
    });
    expect(parseReport(`device/${SERIAL.toLowerCase()}/report`, '{}', SERIAL)).toMatchObject({ kind: 'bad' });
  });

  it('refuses a payload over the size cap before parsing it', () => {
    const big = Buffer.alloc(MAX_REPORT_BYTES + 1, 0x20);
    expect(parseReport(TOPIC, big, SERIAL)).toMatchObject({ bad: { kind: 'too-large' } });
  });

  it('refuses invalid JSON without quoting the payload', () => {
    const result = parseReport(TOPIC, '{"print": {"secret": "abcdefgh"', SERIAL);
    expect(result).toMatchObject({ bad: { kind: 'invalid-json' } });
    expect(JSON.stringify(result)).not.toContain('abcdefgh');
  });

  it('refuses JSON that is not an object', () => {
    for (const payload of ['[]', '42', 'null', '"print"']) {
      expect(parseReport(TOPIC, payload, SERIAL)).toMatchObject({ bad: { kind: 'not-an-object' } });
    }
  });

  it('refuses absurdly deep nesting', () => {
    const deep = `{"print":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}`;
    expect(parseReport(TOPIC, deep, SERIAL)).toMatchObject({ bad: { kind: 'too-deep' } });
  });

  it('ignores other message families and command echoes', () => {
    expect(parseReport(TOPIC, '{"info":{"command":"get_version"}}', SERIAL)).toMatchObject({
      kind: 'ignored',
    });
    expect(
      parseReport(TOPIC, '{"print":{"command":"project_file","subtask_name":"x"}}', SERIAL),
    ).toMatchObject({
      kind: 'ignored',
    });
  });

  it('reads bytes that are not UTF-8 as latin-1 instead of refusing them', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"print":{"subtask_name":"altanl'),
      Buffer.from([0xe5]),
      Buffer.from('s"}}'),
    ]);
    expect(parseReport(TOPIC, bytes, SERIAL)).toMatchObject({
      kind: 'report',
      print: { subtask_name: 'altanlås' },
    });
  });

  it('drops fields of the wrong type, keeps the rest, and says which', () => {
    const payload = JSON.stringify({
      print: {
        gcode_state: 7,
        mc_percent: 'lots',
        layer_num: -3,
        subtask_name: 'ok',
        task_id: 123,
        print_error: '-1',
      },
    });
    const result = parseReport(TOPIC, payload, SERIAL);
    if (result.kind !== 'report') throw new Error('expected a report');
    expect(result.print).toEqual({ subtask_name: 'ok', task_id: '123', print_error: 4294967295 });
    expect(result.dropped.map((d) => d.message)).toEqual([
      'field "gcode_state" is a number, expected a string',
      'field "mc_percent" is a string, expected a non-negative number',
      'field "layer_num" is a number, expected a non-negative number',
    ]);
  });

  it('does not let a "__proto__" key reach the report', () => {
    const result = parseReport(TOPIC, '{"print":{"__proto__":{"polluted":true},"msg":1}}', SERIAL);
    if (result.kind !== 'report') throw new Error('expected a report');
    expect(Object.getPrototypeOf(result.print)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('finds nothing to drop in any real printer report of the fixtures', () => {
    const files = readdirSync(new URL('../test/fixtures/bambu/', import.meta.url)).filter((f) =>
      f.endsWith('.json'),
    );
    const reports: unknown[] = [];
    const collect = (value: unknown): void => {
      if (typeof value !== 'object' || value === null) return;
      if ('print' in value) reports.push(value);
      else for (const child of Object.values(value)) collect(child);
    };
    for (const file of files) collect(bambuFixture(file));
    expect(reports.length).toBeGreaterThan(20);
    for (const report of reports) {
      const result = parseReport(TOPIC, JSON.stringify(report), SERIAL);
      if (result.kind === 'report') expect(result.dropped).toEqual([]);
      else expect(result.kind).toBe('ignored');
    }
  });
});
