/**
 * Turns one MQTT message from a printer into a sanitized `print` report, or says why it cannot.
 * Pure: no state, no I/O. Bad input is a result, never an exception.
 */

/** A JSON object as the printer sends it. */
export type JsonObject = { [key: string]: unknown };

/** The kinds of bad input a tracker counts (one counter and one log line per kind). */
export type BadInputKind =
  | 'unexpected-topic'
  | 'too-large'
  | 'invalid-json'
  | 'too-deep'
  | 'not-an-object'
  | 'wrong-type'
  | 'internal-error';

export interface BadInput {
  kind: BadInputKind;
  message: string;
}

export type ParseResult =
  /** A push_status report (full or delta), with fields of the wrong type removed (listed in `dropped`). */
  | { kind: 'report'; print: JsonObject; full: boolean; dropped: BadInput[] }
  /** Valid, but nothing a history recorder uses (get_version replies, command echoes, log lines…). */
  | { kind: 'ignored'; reason: string; sentMapping?: number[] }
  | { kind: 'bad'; bad: BadInput };

/** Reports larger than this are refused before JSON.parse (a full X1C report is about 20 KB). */
export const MAX_REPORT_BYTES = 1024 * 1024;
/** Real reports nest 5 levels deep; far deeper JSON is refused so that merging and storing stay cheap. */
export const MAX_REPORT_DEPTH = 32;
/** BNODE's heuristic for firmware that omits `msg`: a push_status with this many keys is a full report. */
export const FULL_REPORT_MIN_KEYS = 40;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/** Fields the tracker reads, with the type it needs; anything else is kept as sent. */
const STRING_FIELDS = [
  'gcode_state',
  'subtask_name',
  'gcode_file',
  'task_id',
  'subtask_id',
  'job_id',
  'print_type',
  'nozzle_diameter',
  'nozzle_type',
  'command',
] as const;
const NUMBER_AS_STRING = new Set<string>(['task_id', 'subtask_id', 'job_id', 'nozzle_diameter']);
const INTEGER_FIELDS = ['mc_percent', 'layer_num', 'total_layer_num', 'mc_remaining_time', 'msg'] as const;

/** Parses a message from `device/{serial}/report`. */
export function parseReport(
  topic: string,
  payload: Buffer | Uint8Array | string,
  serial: string,
): ParseResult {
  if (topic !== `device/${serial}/report`) {
    return bad('unexpected-topic', `message on unexpected topic "${topic.slice(0, 200)}"`);
  }
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_REPORT_BYTES) {
    return bad('too-large', `report of ${size} bytes is over the ${MAX_REPORT_BYTES}-byte limit`);
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : decode(payload));
  } catch {
    // The parser's message quotes the payload; the size is enough to find it in a capture.
    return bad('invalid-json', `report of ${size} bytes is not valid JSON`);
  }
  if (!isObject(value)) return bad('not-an-object', `report is ${describe(value)}, not a JSON object`);
  if (depthOver(value, MAX_REPORT_DEPTH)) {
    return bad('too-deep', `report nests deeper than ${MAX_REPORT_DEPTH} levels`);
  }
  if (!Object.hasOwn(value, 'print'))
    return { kind: 'ignored', reason: `no "print" object (${firstKeys(value)})` };
  const print = value.print;
  if (!isObject(print)) return bad('wrong-type', `"print" is ${describe(print)}, not an object`);
  // Echoes of commands (project_file, gcode_line, pause…) share the topic but are not status.
  if (print.command !== undefined && print.command !== 'push_status') {
    const reason = `print command ${String(print.command).slice(0, 40)}`;
    // The slicer's slot -> AMS tray mapping is only ever in the project_file echo (HAB PR #937).
    const mapping = print.ams_mapping;
    if (
      print.command === 'project_file' &&
      Array.isArray(mapping) &&
      mapping.length <= 64 &&
      mapping.every((v) => typeof v === 'number' && Number.isInteger(v))
    ) {
      return { kind: 'ignored', reason, sentMapping: mapping as number[] };
    }
    return { kind: 'ignored', reason };
  }
  const dropped: BadInput[] = [];
  const clean = sanitize(print, dropped);
  const full = clean.msg === 0 || Object.keys(clean).length >= FULL_REPORT_MIN_KEYS;
  return { kind: 'report', print: clean, full, dropped };
}

/** Some A1 mini firmware sends bytes that are not UTF-8; latin-1 keeps every byte readable (as HAB does). */
function decode(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}

/**
 * Coerces the fields the tracker reads to the type it needs, and drops those that cannot be:
 * a report with one bad field still carries good ones, and no bad value reaches a row.
 */
function sanitize(print: JsonObject, dropped: BadInput[]): JsonObject {
  const clean: JsonObject = {};
  for (const [key, value] of Object.entries(print)) {
    if (key === '__proto__') continue;
    clean[key] = value;
  }
  for (const key of STRING_FIELDS) {
    if (!Object.hasOwn(clean, key)) continue;
    const value = clean[key];
    if (typeof value === 'string') continue;
    // Ids and nozzle sizes arrive as numbers on some firmware; they mean the same.
    if (NUMBER_AS_STRING.has(key) && typeof value === 'number' && Number.isFinite(value))
      clean[key] = String(value);
    else dropField(clean, key, 'a string', dropped);
  }
  for (const key of INTEGER_FIELDS) {
    if (!Object.hasOwn(clean, key)) continue;
    const number = toNumber(clean[key]);
    if (number === undefined || number < 0) dropField(clean, key, 'a non-negative number', dropped);
    else clean[key] = Math.round(number);
  }
  if (Object.hasOwn(clean, 'mc_percent') && (clean.mc_percent as number) > 100)
    dropField(clean, 'mc_percent', '0–100', dropped);
  if (Object.hasOwn(clean, 'print_error')) {
    const code = toNumber(clean.print_error);
    // A 32-bit register: some clients see it as signed, so normalise to unsigned.
    if (code === undefined || !Number.isInteger(code) || code < -(2 ** 31) || code >= 2 ** 32) {
      dropField(clean, 'print_error', 'a 32-bit integer', dropped);
    } else clean.print_error = code >>> 0;
  }
  if (Object.hasOwn(clean, 'ams') && !isObject(clean.ams)) dropField(clean, 'ams', 'an object', dropped);
  if (Object.hasOwn(clean, 'vt_tray') && !isObject(clean.vt_tray))
    dropField(clean, 'vt_tray', 'an object', dropped);
  return clean;
}

function dropField(clean: JsonObject, key: string, expected: string, dropped: BadInput[]): void {
  dropped.push({
    kind: 'wrong-type',
    message: `field "${key}" is ${describe(clean[key])}, expected ${expected}`,
  });
  delete clean[key];
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Iterative, so that a hostile nesting cannot overflow the stack here. */
function depthOver(root: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(value)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

function firstKeys(value: JsonObject): string {
  const keys = Object.keys(value).slice(0, 3);
  return keys.length === 0 ? 'empty object' : keys.map((key) => key.slice(0, 20)).join(', ');
}

function bad(kind: BadInputKind, message: string): ParseResult {
  return { kind: 'bad', bad: { kind, message } };
}
