import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type ArchiveRecord, decodeArchiveFile, namedMember, recordLine } from './archive-format.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 10, 0, s));
const report = (s: number): ArchiveRecord => ({
  kind: 'report',
  at: at(s),
  topic: 'device/S/report',
  payload: `{"n":${s}}`,
});
const member = (...records: ArchiveRecord[]) =>
  namedMember(gzipSync(`${records.map((r) => recordLine(r)).join('\n')}\n`));

describe('the archive file format', () => {
  it('is plain gzip: zcat reads every member, and the reader gets every record back', () => {
    const file = Buffer.concat([
      member(report(1), report(2)),
      member({ kind: 'sync', at: at(3) }),
      member(report(4)),
    ]);
    expect(gunzipSync(file).toString().split('\n').filter(Boolean)).toHaveLength(4);
    const { records, damage } = decodeArchiveFile('f', file);
    expect(damage).toEqual([]);
    expect(records.map((r) => r.at.getUTCSeconds())).toEqual([1, 2, 3, 4]);
    expect(records[2]).toEqual({ kind: 'sync', at: at(3) });
  });

  it('keeps the block before an append cut short inside its header, and says where the stray bytes are', () => {
    const whole = member(report(1));
    const cut = member(report(2)).subarray(0, 15); // not even the block's name made it to the disk
    const next = member(report(3));
    const file = Buffer.concat([whole, cut, next]);
    const { records, damage } = decodeArchiveFile('f', file);
    expect(records.map((r) => r.at.getUTCSeconds())).toEqual([1, 3]);
    expect(damage).toEqual([
      {
        file: 'f',
        offset: whole.length,
        reason: '15 bytes that are not a whole block (an append cut short)',
      },
    ]);
  });

  it('skips a block whose data or checksum is damaged, and goes on with the next', () => {
    const first = member(report(1));
    const broken = Buffer.from(member(report(2)));
    broken[broken.length - 6] = (broken[broken.length - 6] ?? 0) ^ 0xff; // inside the CRC-32
    const file = Buffer.concat([first, broken, member(report(3))]);
    const { records, damage } = decodeArchiveFile('f', file);
    expect(records.map((r) => r.at.getUTCSeconds())).toEqual([1, 3]);
    expect(damage).toHaveLength(1);
    expect(damage[0]).toMatchObject({ offset: first.length });
    expect(damage[0]!.reason).toMatch(
      /^the compressed block \(\d+ bytes\) is damaged: its checksum does not match$/,
    );
  });
});
