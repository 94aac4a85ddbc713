import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { validate as isValidCron } from 'node-cron';

/** One printer the listener connects to. */
export interface PrinterConfig {
  /** A label for logs and pages; defaults to the serial number. */
  name: string;
  /** The printer's LAN address (config key `printer_ip`): an IPv4/IPv6 address or a host name. */
  host: string;
  /** MQTT over TLS port, 8883 unless told otherwise. */
  port: number;
  /** The 8-character LAN access code (MQTT password). Never log it. */
  accessCode: string;
  /** The printer serial, case-sensitive: it is part of the MQTT topic. */
  serial: string;
  /** A PEM file with the CA (or the printer's certificate) to trust. */
  caFile?: string;
  /** Skip TLS verification for this printer (for chains we cannot verify). */
  insecure?: boolean;
}

/** What `ingestion/config.json` (plus environment overrides) says. */
export interface ListenerConfig {
  /** Empty when nothing is configured: the CLI decides what that means (demo mode). */
  printers: PrinterConfig[];
  /** Seconds between two progress writes of the same job (`check_interval`); transitions are never thinned. */
  checkIntervalS: number;
  dbFile?: string;
  /** Cron expression for the scheduler's sensor. */
  schedule?: string;
  /** Dataform tags the sensor runs when jobs end. */
  sensorTags?: string[];
}

/** A configuration the listener cannot use. The message names each key at fault and the fix, never a secret. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: readonly string[] = [message],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** The Python original's default: one write per job per minute. */
export const DEFAULT_CHECK_INTERVAL_S = 60;
export const DEFAULT_MQTT_PORT = 8883;

const PRINTER_KEYS = ['name', 'printer_ip', 'port', 'access_code', 'serial_number', 'ca_file', 'insecure'];
const GLOBAL_KEYS = ['check_interval', 'db_file', 'printers', 'schedule', 'sensor_tags'];
const TOP_LEVEL_KEYS = [...GLOBAL_KEYS, ...PRINTER_KEYS];

/** Environment variables that override a key of the file (printer keys: single-printer form only). */
export const ENV_OVERRIDES: Readonly<Record<string, string>> = {
  BAMBUZLED_PRINTER_NAME: 'name',
  BAMBUZLED_PRINTER_IP: 'printer_ip',
  BAMBUZLED_PORT: 'port',
  BAMBUZLED_ACCESS_CODE: 'access_code',
  BAMBUZLED_SERIAL_NUMBER: 'serial_number',
  BAMBUZLED_CA_FILE: 'ca_file',
  BAMBUZLED_INSECURE: 'insecure',
  BAMBUZLED_CHECK_INTERVAL: 'check_interval',
  BAMBUZLED_DB: 'db_file',
  BAMBUZLED_SCHEDULE: 'schedule',
  BAMBUZLED_SENSOR_TAGS: 'sensor_tags',
};

/**
 * Validates a parsed config file (any JSON value) merged with environment overrides.
 * Pure: reads nothing but its arguments. Throws one ConfigError listing every problem.
 */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = {}): ListenerConfig {
  const issues: string[] = [];
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
    throw new ConfigError(
      'The config must be a JSON object like ingestion/config.example.json ({"printer_ip": …}).',
    );
  }
  const file = { ...((raw ?? {}) as Record<string, unknown>) };
  checkKeys(file, TOP_LEVEL_KEYS, '', issues);
  const fromEnv = envValues(env);
  const settings: Record<string, unknown> = { ...file, ...fromEnv };

  const printers: PrinterConfig[] = [];
  const singleKeys = PRINTER_KEYS.filter((key) => settings[key] !== undefined);
  if (settings.printers !== undefined) {
    if (singleKeys.length > 0) {
      const envNames = singleKeys.filter((key) => key in fromEnv).map((key) => envNameOf(key));
      issues.push(
        `Both "printers" and the single-printer key(s) ${singleKeys.map((k) => `"${k}"`).join(', ')} are set` +
          `${envNames.length > 0 ? ` (from ${envNames.join(', ')})` : ''}: move each printer into "printers" ` +
          `or remove "printers" and keep one printer at the top level.`,
      );
    }
    if (!Array.isArray(settings.printers)) {
      issues.push('"printers" must be a list: "printers": [{"name": …, "printer_ip": …, …}].');
    } else {
      settings.printers.forEach((entry, index) => {
        const where = `printers[${index}]`;
        if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
          issues.push(`${where} must be an object with printer_ip, access_code and serial_number.`);
          return;
        }
        const record = entry as Record<string, unknown>;
        checkKeys(record, PRINTER_KEYS, `${where}.`, issues);
        const printer = parsePrinter(record, `${where}.`, issues);
        if (printer) printers.push(printer);
      });
    }
  } else if (singleKeys.length > 0) {
    const printer = parsePrinter(settings, '', issues);
    if (printer) printers.push(printer);
  }
  checkUnique(printers, issues);

  const config: ListenerConfig = {
    printers,
    checkIntervalS: readCheckInterval(settings.check_interval, issues),
  };
  const dbFile = readString(
    settings.db_file,
    'db_file',
    issues,
    'a file path such as "data/print_history.db"',
  );
  if (dbFile !== undefined) config.dbFile = dbFile;
  const schedule = readString(
    settings.schedule,
    'schedule',
    issues,
    'a cron expression such as "*/5 * * * *"',
  );
  if (schedule !== undefined) {
    if (isValidCron(schedule)) config.schedule = schedule;
    else
      issues.push(`"schedule" is not a valid cron expression: use five or six fields, e.g. "*/5 * * * *".`);
  }
  const sensorTags = readTags(settings.sensor_tags, issues);
  if (sensorTags !== undefined) config.sensorTags = sensorTags;

  if (issues.length > 0) {
    throw new ConfigError(
      issues.length === 1
        ? issues[0]!
        : `The config has ${issues.length} problems:\n- ${issues.join('\n- ')}`,
      issues,
    );
  }
  return config;
}

/**
 * Reads and validates a config file. A missing file or invalid JSON is a ConfigError that says what to do;
 * the JSON parser's own message is not passed on, since it quotes the file (and so the access code).
 */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): ListenerConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError(
        `No config file at ${path}: copy ingestion/config.example.json to ${path} and fill in printer_ip, ` +
          'access_code and serial_number (or pass --config with another path).',
      );
    }
    throw new ConfigError(
      `Cannot read the config file ${path} (${code ?? 'unknown error'}): check its permissions.`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    const at = jsonErrorPosition(error, text);
    throw new ConfigError(
      `The config file ${path} is not valid JSON${at}: check for a missing comma or quote, or a trailing comma.`,
    );
  }
  return parseConfig(raw, env);
}

function parsePrinter(
  record: Record<string, unknown>,
  prefix: string,
  issues: string[],
): PrinterConfig | undefined {
  const before = issues.length;
  const host = readHost(record.printer_ip, `${prefix}printer_ip`, issues);
  const serial = readSerial(record.serial_number, `${prefix}serial_number`, issues);
  const accessCode = readAccessCode(record.access_code, `${prefix}access_code`, issues);
  const port = readPort(record.port, `${prefix}port`, issues);
  const name = readString(record.name, `${prefix}name`, issues, 'a short label such as "garage-p1s"');
  const caFile = readString(record.ca_file, `${prefix}ca_file`, issues, 'the path of a PEM file');
  const insecure = readBoolean(record.insecure, `${prefix}insecure`, issues);
  if (issues.length > before || host === undefined || serial === undefined || accessCode === undefined) {
    return undefined;
  }
  const printer: PrinterConfig = { name: name ?? serial, host, port, accessCode, serial };
  if (caFile !== undefined) printer.caFile = caFile;
  if (insecure !== undefined) printer.insecure = insecure;
  return printer;
}

function readHost(value: unknown, key: string, issues: string[]): string | undefined {
  if (value === undefined) {
    issues.push(`"${key}" is missing: add the printer's LAN address, e.g. "${key}": "192.168.1.50".`);
    return undefined;
  }
  if (typeof value !== 'string') {
    issues.push(`"${key}" must be a string in quotes, e.g. "192.168.1.50".`);
    return undefined;
  }
  const host = value.trim();
  if (isValidHost(host)) return host;
  issues.push(
    `"${key}" is not a valid IP address or host name ("${host.slice(0, 80)}"): use the bare address shown on ` +
      'the printer (Settings > Network), e.g. "192.168.1.50", without http:// or a port.',
  );
  return undefined;
}

/** An IPv4/IPv6 address, or a host name made of RFC 1123 labels; dotted numbers must be a whole IPv4. */
export function isValidHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  if (host.length === 0 || host.length > 253) return false;
  if (/^[\d.]+$/.test(host)) return false;
  return host.split('.').every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

function readSerial(value: unknown, key: string, issues: string[]): string | undefined {
  if (value === undefined || (typeof value === 'string' && value.trim() === '')) {
    issues.push(
      `"${key}" is missing: add the printer's serial number (on the printer under Settings > Device, or on ` +
        'its label; e.g. "01P00A123456789"), not its "3DP-…" network name.',
    );
    return undefined;
  }
  if (typeof value !== 'string') {
    issues.push(`"${key}" must be a string in quotes, e.g. "01P00A123456789".`);
    return undefined;
  }
  const serial = value.trim();
  // The serial goes into the MQTT topic device/{serial}/report, where these characters would change its meaning.
  if (/[\s/#+]/.test(serial)) {
    issues.push(
      `"${key}" must not contain spaces, "/", "#" or "+": copy the serial exactly as the printer shows it.`,
    );
    return undefined;
  }
  return serial;
}

function readAccessCode(value: unknown, key: string, issues: string[]): string | undefined {
  if (value === undefined || value === '') {
    issues.push(
      `"${key}" is missing: add the 8-character LAN access code shown on the printer ` +
        '(Settings > Network / WLAN), e.g. "access_code": "12345678".',
    );
    return undefined;
  }
  if (typeof value !== 'string') {
    // The value itself is a secret: say what is wrong with it, never what it is.
    issues.push(
      `"${key}" must be a string in quotes (a code like 01234567 would lose its leading zero as a number).`,
    );
    return undefined;
  }
  const code = value.trim();
  if (code.length !== 8 || /\s/.test(code)) {
    issues.push(
      `"${key}" must be the 8-character LAN access code shown on the printer (Settings > Network / WLAN); ` +
        `the value given has ${code.length} characters.`,
    );
    return undefined;
  }
  return code;
}

function readPort(value: unknown, key: string, issues: string[]): number {
  if (value === undefined) return DEFAULT_MQTT_PORT;
  const port = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535) return port;
  issues.push(
    `"${key}" must be a whole number between 1 and 65535; Bambu printers use ${DEFAULT_MQTT_PORT}.`,
  );
  return DEFAULT_MQTT_PORT;
}

function readCheckInterval(value: unknown, issues: string[]): number {
  if (value === undefined) return DEFAULT_CHECK_INTERVAL_S;
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) return seconds;
  issues.push(
    `"check_interval" must be a number of seconds (0 or more) between two progress writes of a job, e.g. ${DEFAULT_CHECK_INTERVAL_S}.`,
  );
  return DEFAULT_CHECK_INTERVAL_S;
}

function readString(value: unknown, key: string, issues: string[], example: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  issues.push(`"${key}" must be a non-empty string: ${example}.`);
  return undefined;
}

function readBoolean(value: unknown, key: string, issues: string[]): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|1|yes)$/i.test(value.trim())) return true;
  if (typeof value === 'string' && /^(false|0|no)$/i.test(value.trim())) return false;
  issues.push(`"${key}" must be true or false.`);
  return undefined;
}

function readTags(value: unknown, issues: string[]): string[] | undefined {
  if (value === undefined) return undefined;
  const tags = typeof value === 'string' ? value.split(',').map((tag) => tag.trim()) : value;
  if (Array.isArray(tags) && tags.every((tag) => typeof tag === 'string' && tag.trim() !== '')) {
    return tags.map((tag: string) => tag.trim());
  }
  issues.push(
    '"sensor_tags" must be a list of Dataform tags, e.g. ["daily"] (or "daily,hourly" in the environment).',
  );
  return undefined;
}

function checkKeys(
  record: Record<string, unknown>,
  known: readonly string[],
  prefix: string,
  issues: string[],
): void {
  for (const key of Object.keys(record)) {
    // Keys starting with "_" are comments (JSON has none).
    if (known.includes(key) || key.startsWith('_')) continue;
    const nearest = nearestKey(key, known);
    issues.push(
      `Unknown key "${prefix}${key}"${nearest ? `: did you mean "${prefix}${nearest}"?` : '.'} ` +
        `Known keys: ${known.join(', ')}.`,
    );
  }
}

function checkUnique(printers: PrinterConfig[], issues: string[]): void {
  const seen = new Map<string, string>();
  for (const printer of printers) {
    for (const [what, value] of [
      ['serial_number', printer.serial],
      ['name', printer.name],
    ] as const) {
      const id = `${what}:${value}`;
      if (seen.has(id)) issues.push(`Two printers have the ${what} "${value}": each printer needs its own.`);
      seen.set(id, what);
    }
  }
}

function envValues(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value !== undefined && value !== '') values[key] = value;
  }
  return values;
}

function envNameOf(key: string): string {
  return Object.entries(ENV_OVERRIDES).find(([, k]) => k === key)?.[0] ?? key;
}

/** The known key closest to a misspelt one, when it is close enough to be a likely typo. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function jsonErrorPosition(error: unknown, text: string): string {
  const match = error instanceof Error ? /position (\d+)/.exec(error.message) : null;
  if (!match) return '';
  const before = text.slice(0, Number(match[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return ` (line ${line}, column ${column})`;
}
