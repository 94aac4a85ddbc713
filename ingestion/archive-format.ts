import { crc32, inflateRawSync } from 'node:zlib';

/**
 * The report archive's file format, shared by the writer (report-archive.ts) and the reader
 * (archive-reader.ts). A file holds one printer's reports of one UTC day:
 * `<archive>/<serial>/<YYYY-MM-DD>.jsonl.gz`, a series of gzip members appended one per flush, so
 * that `zcat` reads it whole and a damaged member costs only its own reports. Each member is gzip's
 * own format with the file name field set to MEMBER_NAME: the reader finds the next member by it
 * when one is damaged. Inside, one JSON array per line:
 *
 * - `[at, topic, payload]`: a message as the listener received it (payload as UTF-8 text), `at` its
 *   arrival on the listener's clock (ISO-8601 UTC with milliseconds);
 * - `[at, "#start", {name, checkIntervalS}]`: the listener started following the printer (a fresh
 *   state machine), with the settings a replay needs to behave the same;
 * - `[at, "#sync"]`: the listener asked for a full report: the next report is a state sync.
 */
export const MEMBER_NAME = 'bambuzled-archive';

/** What a `#start` marker records: the tracker's settings at the time. */
export interface TrackerSettings {
  name: string;
  checkIntervalS: number;
}

export type ArchiveRecord =
  | { kind: 'report'; at: Date; topic: string; payload: string }
  | { kind: 'start'; at: Date; settings?: TrackerSettings }
  | { kind: 'sync'; at: Date };

const NAME_FIELD = Buffer.from(`${MEMBER_NAME}\0`, 'latin1');
const FNAME_FLAG = 0x08;

/** A gzip member from Node's gzip output, with MEMBER_NAME in its header (so it can be found). */
export function namedMember(gzipped: Buffer): Buffer {
  // Node writes a 10-byte header without optional fields; the trailer's CRC covers only the data.
  const header = Buffer.from(gzipped.subarray(0, 10));
  header[3] = (header[3] ?? 0) | FNAME_FLAG;
  return Buffer.concat([header, NAME_FIELD, gzipped.subarray(10)]);
}

/** One line of the archive. */
export function recordLine(record: ArchiveRecord, at: string = record.at.toISOString()): string {
  if (record.kind === 'report') return JSON.stringify([at, record.topic, record.payload]);
  if (record.kind === 'start' && record.settings) return JSON.stringify([at, '#start', record.settings]);
  return JSON.stringify([at, `#${record.kind}`]);
}

/** The records of a line, or a reason it is not one. */
export function parseRecordLine(line: string): ArchiveRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (!Array.isArray(value) || typeof value[0] !== 'string' || typeof value[1] !== 'string') {
    return 'not an archive record ([time, topic, payload])';
  }
  const at = new Date(value[0]);
  if (Number.isNaN(at.getTime())) return `its time "${value[0].slice(0, 40)}" is not a time`;
  if (value[1] === '#sync') return { kind: 'sync', at };
  if (value[1] === '#start') {
    const settings = value[2] as Partial<TrackerSettings> | undefined;
    return typeof settings?.name === 'string' && typeof settings.checkIntervalS === 'number'
      ? { kind: 'start', at, settings: { name: settings.name, checkIntervalS: settings.checkIntervalS } }
      : { kind: 'start', at };
  }
  if (typeof value[2] !== 'string') return 'its payload is missing';
  return { kind: 'report', at, topic: value[1], payload: value[2] };
}

/** Where each member of a file starts: at gzip's magic followed by our header with the name field. */
export function memberOffsets(file: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = file.indexOf(NAME_FIELD); at !== -1; at = file.indexOf(NAME_FIELD, at + 1)) {
    const start = at - 10;
    if (start >= 0 && file[start] === 0x1f && file[start + 1] === 0x8b && file[start + 2] === 8) {
      offsets.push(start);
    }
  }
  if (offsets[0] !== 0 && file.length > 0) offsets.unshift(0);
  return offsets;
}

/** A problem met while reading, with where it is. */
export interface ArchiveDamage {
  file: string;
  /** Byte offset of the damaged member in the file. */
  offset: number;
  /** 1-based line in the member, for a damaged line. */
  line?: number;
  reason: string;
}

/** Decodes one file: its records, and the damage skipped (each damaged member or line once). */
export function decodeArchiveFile(
  name: string,
  file: Buffer,
): { records: ArchiveRecord[]; damage: ArchiveDamage[] } {
  const records: ArchiveRecord[] = [];
  const damage: ArchiveDamage[] = [];
  const offsets = memberOffsets(file);
  offsets.forEach((offset, index) => {
    const segment = file.subarray(offset, offsets[index + 1] ?? file.length);
    const member = decodeMember(segment);
    if (typeof member === 'string') {
      damage.push({
        file: name,
        offset,
        reason: `the compressed block (${segment.length} bytes) is damaged: ${member}`,
      });
      return;
    }
    if (member.consumed < segment.length) {
      // An append cut short (a full disk, a crash) before its block's name was written: its bytes follow
      // the block before, which is still whole.
      damage.push({
        file: name,
        offset: offset + member.consumed,
        reason: `${segment.length - member.consumed} bytes that are not a whole block (an append cut short)`,
      });
    }
    member.text.split('\n').forEach((line, i) => {
      if (line === '') return;
      const record = parseRecordLine(line);
      if (typeof record === 'string') damage.push({ file: name, offset, line: i + 1, reason: record });
      else records.push(record);
    });
  });
  return { records, damage };
}

const FHCRC = 0x02;
const FEXTRA = 0x04;
const FCOMMENT = 0x10;

/**
 * One gzip member at the start of `bytes`: its text and how many bytes it took, or why it is not one.
 * Read by hand (header, raw deflate, CRC-32 and length) rather than with gunzip, which refuses a whole
 * member when bytes that are not a member follow it.
 */
function decodeMember(bytes: Buffer): { text: string; consumed: number } | string {
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b || bytes[2] !== 8) return 'no gzip header';
  const flags = bytes[3] ?? 0;
  let at = 10;
  if (flags & FEXTRA) at += 2 + bytes.readUInt16LE(at);
  for (const flag of [FNAME_FLAG, FCOMMENT]) {
    if (flags & flag) {
      const end = bytes.indexOf(0, at);
      if (end === -1) return 'its header is cut short';
      at = end + 1;
    }
  }
  if (flags & FHCRC) at += 2;
  let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    inflated = inflateRawSync(bytes.subarray(at), { info: true }) as unknown as typeof inflated;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const trailer = at + inflated.engine.bytesWritten;
  if (trailer + 8 > bytes.length) return 'it is cut short';
  if (
    bytes.readUInt32LE(trailer) !== crc32(inflated.buffer) ||
    bytes.readUInt32LE(trailer + 4) !== inflated.buffer.length >>> 0
  ) {
    return 'its checksum does not match';
  }
  return { text: inflated.buffer.toString('utf8'), consumed: trailer + 8 };
}

/** `<file>, block at byte N[, line M]: reason` for a message. */
export function describeDamage(damage: ArchiveDamage): string {
  return `${damage.file}, block at byte ${damage.offset}${damage.line ? `, line ${damage.line}` : ''}: ${damage.reason}`;
}
