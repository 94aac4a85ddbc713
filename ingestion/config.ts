import { readFileSync } from 'node:fs';
import { validate as isValidCron } from 'node-cron';
import { redactSecrets } from '../lib/logger.js';
import {
  DEFAULT_FTP_PORT,
  nearestKey,
  readAccessCode,
  readBoolean,
  readCheckInterval,
  readHost,
  readPort,
  readRetentionDays,
  readSerial,
  readString,
  readTags,
} from './config-fields.js';

/** One printer the listener connects to. */
export interface PrinterConfig {
  /** A label for logs and pages; defaults to the serial number. */
  name: string;
  /** The printer's LAN address (config key `printer_ip`): an IPv4/IPv6 address or a host name. */
  host: string;
  /** MQTT over TLS port, 8883 unless told otherwise. */
  port: number;
  /** The printer's FTPS port (implicit TLS), 990 unless told otherwise: where the job files are. */
  ftpPort?: number;
  /** The 8-character LAN access code (MQTT and FTPS password). Never log it. */
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
  /** Where the report archive goes (`archive_dir`); next to the database unless set. */
  archiveDir?: string;
  /** Days of archived reports kept (`archive_retention_days`, default 365); 0 keeps them all. */
  archiveRetentionDays?: number;
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

export { DEFAULT_CHECK_INTERVAL_S, DEFAULT_FTP_PORT, DEFAULT_MQTT_PORT } from './config-fields.js';

const PRINTER_KEYS = [
  'name',
  'printer_ip',
  'port',
  'ftp_port',
  'access_code',
  'serial_number',
  'ca_file',
  'insecure',
];
const GLOBAL_KEYS = [
  'check_interval',
  'db_file',
  'printers',
  'schedule',
  'sensor_tags',
  'archive_dir',
  'archive_retention_days',
];
const TOP_LEVEL_KEYS = [...GLOBAL_KEYS, ...PRINTER_KEYS];

/** Environment variables that override a key of the file (printer keys: single-printer form only). */
export const ENV_OVERRIDES: Readonly<Record<string, string>> = {
  BAMBUZLED_PRINTER_NAME: 'name',
  BAMBUZLED_PRINTER_IP: 'printer_ip',
  BAMBUZLED_PORT: 'port',
  BAMBUZLED_FTP_PORT: 'ftp_port',
  BAMBUZLED_ACCESS_CODE: 'access_code',
  BAMBUZLED_SERIAL_NUMBER: 'serial_number',
  BAMBUZLED_CA_FILE: 'ca_file',
  BAMBUZLED_INSECURE: 'insecure',
  BAMBUZLED_CHECK_INTERVAL: 'check_interval',
  BAMBUZLED_DB: 'db_file',
  BAMBUZLED_SCHEDULE: 'schedule',
  BAMBUZLED_SENSOR_TAGS: 'sensor_tags',
  BAMBUZLED_ARCHIVE_DIR: 'archive_dir',
  BAMBUZLED_ARCHIVE_RETENTION_DAYS: 'archive_retention_days',
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
  if (settings.archive_retention_days !== undefined) {
    config.archiveRetentionDays = readRetentionDays(settings.archive_retention_days, issues);
  }
  const archiveDir = readString(
    settings.archive_dir,
    'archive_dir',
    issues,
    'a folder path such as "data/print_history.archive"',
  );
  if (archiveDir !== undefined) config.archiveDir = archiveDir;
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
    // A code pasted into the wrong key would be quoted back: mask every access code given anywhere.
    const safe = issues.map((issue) => redactSecrets(issue, accessCodesIn(settings)));
    throw new ConfigError(
      safe.length === 1 ? safe[0]! : `The config has ${safe.length} problems:\n- ${safe.join('\n- ')}`,
      safe,
    );
  }
  return config;
}

const PRINTER_ENV_KEYS = ['BAMBUZLED_PRINTER_IP', 'BAMBUZLED_ACCESS_CODE', 'BAMBUZLED_SERIAL_NUMBER'];

/**
 * Reads and validates a config file (or, when there is none, the BAMBUZLED_* printer variables). A missing file or invalid JSON is a ConfigError that says what to do;
 * the JSON parser's own message is not passed on, since it quotes the file (and so the access code).
 */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): ListenerConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      // A container may be configured by environment variables alone.
      if (PRINTER_ENV_KEYS.some((key) => env[key])) return parseConfig(undefined, env);
      throw new ConfigError(
        `No config file at ${path}: copy ingestion/config.example.json to ${path} and fill in printer_ip, ` +
          'access_code and serial_number (or pass --config with another path, or set BAMBUZLED_PRINTER_IP, ' +
          'BAMBUZLED_ACCESS_CODE and BAMBUZLED_SERIAL_NUMBER).',
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
  const ftpPort = readPort(record.ftp_port, `${prefix}ftp_port`, issues, DEFAULT_FTP_PORT);
  const name = readString(record.name, `${prefix}name`, issues, 'a short label such as "garage-p1s"');
  const caFile = readString(record.ca_file, `${prefix}ca_file`, issues, 'the path of a PEM file');
  const insecure = readBoolean(record.insecure, `${prefix}insecure`, issues);
  if (issues.length > before || host === undefined || serial === undefined || accessCode === undefined) {
    return undefined;
  }
  const printer: PrinterConfig = { name: name ?? serial, host, port, ftpPort, accessCode, serial };
  if (caFile !== undefined) printer.caFile = caFile;
  if (insecure !== undefined) printer.insecure = insecure;
  return printer;
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

function accessCodesIn(settings: Record<string, unknown>): string[] {
  const entries = Array.isArray(settings.printers) ? [settings, ...settings.printers] : [settings];
  return entries.flatMap((entry) => {
    const code =
      typeof entry === 'object' && entry !== null
        ? (entry as Record<string, unknown>).access_code
        : undefined;
    return typeof code === 'string' && code.trim().length >= 4 ? [code, code.trim()] : [];
  });
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

function jsonErrorPosition(error: unknown, text: string): string {
  const match = error instanceof Error ? /position (\d+)/.exec(error.message) : null;
  if (!match) return '';
  const before = text.slice(0, Number(match[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return ` (line ${line}, column ${column})`;
}
