import { readFileSync } from 'node:fs';
import { ConfigError, fieldValue, type ParsedConfig } from '../lib/index.js';
import {
  DEFAULT_CHECK_INTERVAL_S,
  DEFAULT_FTP_PORT,
  DEFAULT_MQTT_PORT,
  LISTENER_FIELDS,
  listenerFields,
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

/** The listener's part of `ingestion/config.json` (plus environment overrides). */
export interface ListenerConfig {
  /** Empty when nothing is configured: the CLI decides what that means (demo mode). */
  printers: PrinterConfig[];
  /** Seconds between two progress writes of the same job (`check_interval`); transitions are never thinned. */
  checkIntervalS: number;
  dbFile?: string;
  /** Where the report archive goes (`archive_dir`); next to the database unless set. */
  archiveDir?: string;
  /** Days of archived reports kept (`archive_retention_days`, default 365); 0 keeps them all. */
  archiveRetentionDays?: number;
}

export { ConfigError } from '../lib/index.js';
export { DEFAULT_CHECK_INTERVAL_S, DEFAULT_FTP_PORT, DEFAULT_MQTT_PORT, LISTENER_FIELDS };

/** The listener's config from the validated values (lib/config-schema.ts parseConfigFile). */
export function listenerConfigOf(parsed: ParsedConfig): ListenerConfig {
  const { values } = parsed;
  const f = listenerFields;
  const config: ListenerConfig = {
    printers: parsed.printers.map(printerOf),
    checkIntervalS: fieldValue(values, f.checkInterval) ?? DEFAULT_CHECK_INTERVAL_S,
  };
  const archiveRetentionDays = fieldValue(values, f.archiveRetentionDays);
  if (archiveRetentionDays !== undefined) config.archiveRetentionDays = archiveRetentionDays;
  const archiveDir = fieldValue(values, f.archiveDir);
  if (archiveDir !== undefined) config.archiveDir = archiveDir;
  const dbFile = fieldValue(values, f.dbFile);
  if (dbFile !== undefined) config.dbFile = dbFile;
  return config;
}

/** A printer's record is only in ParsedConfig when every required key passed its schema. */
function printerOf(record: Readonly<Record<string, unknown>>): PrinterConfig {
  const f = listenerFields;
  const serial = fieldValue(record, f.serialNumber)!;
  const printer: PrinterConfig = {
    name: fieldValue(record, f.name) ?? serial,
    host: fieldValue(record, f.printerIp)!,
    port: fieldValue(record, f.port) ?? DEFAULT_MQTT_PORT,
    ftpPort: fieldValue(record, f.ftpPort) ?? DEFAULT_FTP_PORT,
    accessCode: fieldValue(record, f.accessCode)!,
    serial,
  };
  const caFile = fieldValue(record, f.caFile);
  if (caFile !== undefined) printer.caFile = caFile;
  const insecure = fieldValue(record, f.insecure);
  if (insecure !== undefined) printer.insecure = insecure;
  return printer;
}

/** The listener's checks across printers: each needs its own serial and name. */
export function checkPrinters(parsed: ParsedConfig, issues: string[]): void {
  const seen = new Set<string>();
  for (const printer of parsed.printers) {
    for (const what of ['serial_number', 'name'] as const) {
      const value = what === 'name' ? (printer.name ?? printer.serial_number) : printer.serial_number;
      const id = `${what}:${String(value)}`;
      if (seen.has(id)) issues.push(`Two printers have the ${what} "${value}": each printer needs its own.`);
      seen.add(id);
    }
  }
}

/**
 * Reads a config file as JSON: undefined when there is none but the environment names a printer (a
 * container may be configured by environment variables alone). A missing file or invalid JSON is a
 * ConfigError that says what to do; the JSON parser's own message is not passed on, since it quotes
 * the file (and so the access code).
 */
export function readConfigSource(path: string, env: NodeJS.ProcessEnv): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      const required = LISTENER_FIELDS.filter((f) => f.required && f.env !== null).map((f) => f.env!);
      if (required.some((name) => env[name])) return undefined;
      throw new ConfigError(
        `No config file at ${path}: copy ingestion/config.example.json to ${path} and fill in printer_ip, ` +
          `access_code and serial_number (or pass --config with another path, or set ${required.slice(0, -1).join(', ')} ` +
          `and ${required.at(-1)}).`,
      );
    }
    throw new ConfigError(
      `Cannot read the config file ${path} (${code ?? 'unknown error'}): check its permissions.`,
    );
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    const at = jsonErrorPosition(error, text);
    throw new ConfigError(
      `The config file ${path} is not valid JSON${at}: check for a missing comma or quote, or a trailing comma.`,
    );
  }
}

function jsonErrorPosition(error: unknown, text: string): string {
  const match = error instanceof Error ? /position (\d+)/.exec(error.message) : null;
  if (!match) return '';
  const before = text.slice(0, Number(match[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return ` (line ${line}, column ${column})`;
}
