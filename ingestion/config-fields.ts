import { isIP } from 'node:net';
import { z } from 'zod';
import { type ConfigField, configField } from '../lib/index.js';

/** The Python original's default: one write per job per minute. */
export const DEFAULT_CHECK_INTERVAL_S = 60;
export const DEFAULT_MQTT_PORT = 8883;
/** The printer's implicit-TLS FTP server (it requires TLS session reuse on data connections). */
export const DEFAULT_FTP_PORT = 990;
/** Days of archived reports kept; 0 keeps them all. */
export const DEFAULT_ARCHIVE_RETENTION_DAYS = 365;

/*
 * The listener's keys of the config file: each with its zod schema, whose messages name the key and
 * the fix (never the value of a secret), its environment variable and its line in the README's table.
 */

/** A number given as a number or, from the environment, as text. */
const numeric = (pattern: RegExp) => (value: unknown) =>
  typeof value === 'string' && pattern.test(value.trim()) ? Number(value) : value;

function port(key: string, fallback: number, meaning: string, env?: string): ConfigField<number> {
  return configField({
    key,
    scope: 'printer',
    meaning,
    defaultText: `\`${fallback}\``,
    ...(env ? { env } : {}),
    schema: (path) => {
      const error = `"${path}" must be a whole number between 1 and 65535; Bambu printers use ${fallback}.`;
      return z
        .preprocess(
          numeric(/^\d+$/),
          z.number({ error }).int({ error }).min(1, { error }).max(65535, { error }),
        )
        .optional()
        .transform((value) => value ?? fallback);
    },
  });
}

function text(path: string, example: string) {
  const error = `"${path}" must be a non-empty string: ${example}.`;
  return z.string({ error }).trim().min(1, { error });
}

/** An IPv4/IPv6 address, or a host name made of RFC 1123 labels; dotted numbers must be a whole IPv4. */
export function isValidHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  if (host.length === 0 || host.length > 253) return false;
  if (/^[\d.]+$/.test(host)) return false;
  return host.split('.').every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

const printerIp = configField({
  key: 'printer_ip',
  scope: 'printer',
  meaning: "the printer's LAN address",
  defaultText: 'required for one printer',
  required: true,
  schema: (path) =>
    z
      .string({
        error: (issue) =>
          issue.input === undefined
            ? `"${path}" is missing: add the printer's LAN address, e.g. "${path}": "192.168.1.50".`
            : `"${path}" must be a string in quotes, e.g. "192.168.1.50".`,
      })
      .trim()
      .refine(isValidHost, {
        error: (issue) =>
          `"${path}" is not a valid IP address or host name ("${String(issue.input).slice(0, 80)}"): use the ` +
          'bare address shown on the printer (Settings > Network), e.g. "192.168.1.50", without http:// or a port.',
      }),
});

const accessCode = configField({
  key: 'access_code',
  scope: 'printer',
  meaning: 'the LAN access code (never logged or stored)',
  defaultText: 'required',
  required: true,
  secret: true,
  schema: (path) => {
    const missing =
      `"${path}" is missing: add the 8-character LAN access code shown on the printer ` +
      '(Settings > Network / WLAN), e.g. "access_code": "12345678".';
    return z
      .string({
        // The value itself is a secret: say what is wrong with it, never what it is.
        error: (issue) =>
          issue.input === undefined
            ? missing
            : `"${path}" must be a string in quotes (a code like 01234567 would lose its leading zero as a number).`,
      })
      .refine((code) => code !== '', { error: missing, abort: true })
      .trim()
      .refine((code) => code.length === 8 && !/\s/.test(code), {
        error: (issue) =>
          `"${path}" must be the 8-character LAN access code shown on the printer (Settings > Network / WLAN); ` +
          `the value given has ${String(issue.input).length} characters.`,
      });
  },
});

const serialNumber = configField({
  key: 'serial_number',
  scope: 'printer',
  meaning: "the printer's serial (case-sensitive)",
  defaultText: 'required',
  required: true,
  schema: (path) => {
    const missing =
      `"${path}" is missing: add the printer's serial number (on the printer under Settings > Device, or on ` +
      'its label; e.g. "01P00A123456789"), not its "3DP-…" network name.';
    return (
      z
        .string({
          error: (issue) =>
            issue.input === undefined
              ? missing
              : `"${path}" must be a string in quotes, e.g. "01P00A123456789".`,
        })
        .trim()
        .min(1, { error: missing, abort: true })
        // The serial goes into the MQTT topic device/{serial}/report, where these characters would change its meaning.
        .refine((serial) => !/[\s/#+]/.test(serial), {
          error: `"${path}" must not contain spaces, "/", "#" or "+": copy the serial exactly as the printer shows it.`,
        })
    );
  },
});

const checkInterval = configField({
  key: 'check_interval',
  scope: 'global',
  meaning: 'seconds between progress writes per job (state changes are always written at once)',
  defaultText: `\`${DEFAULT_CHECK_INTERVAL_S}\``,
  schema: () => {
    const error = `"check_interval" must be a number of seconds (0 or more) between two progress writes of a job, e.g. ${DEFAULT_CHECK_INTERVAL_S}.`;
    return z
      .preprocess(numeric(/^.*\S.*$/), z.number({ error }).min(0, { error }))
      .refine(Number.isFinite, { error })
      .optional()
      .transform((value) => value ?? DEFAULT_CHECK_INTERVAL_S);
  },
});

const dbFile = configField({
  key: 'db_file',
  scope: 'global',
  env: 'BAMBUZLED_DB',
  meaning: 'the SQLite file, or a `postgres://` URL',
  defaultText: '`data/print_history.db`',
  schema: (path) => text(path, 'a file path such as "data/print_history.db"').optional(),
});

const printers = configField({
  key: 'printers',
  scope: 'global',
  env: null,
  meaning: 'a farm: `[{name, printer_ip, port, ftp_port?, access_code, serial_number, ca_file?, insecure?}]`',
  // The list's entries are read field by field (lib/config-schema.ts); the list itself passes.
  schema: () => z.unknown().transform(() => undefined),
});

const caFile = configField({
  key: 'ca_file',
  scope: 'printer',
  meaning: 'verify printers against this CA bundle instead of trusting on first use',
  schema: (path) => text(path, 'the path of a PEM file').optional(),
});

const insecure = configField({
  key: 'insecure',
  scope: 'printer',
  meaning: 'turn certificate checking off (not recommended)',
  defaultText: '`false`',
  schema: (path) =>
    z
      .preprocess(
        (value) =>
          typeof value === 'string' && /^(true|1|yes)$/i.test(value.trim())
            ? true
            : typeof value === 'string' && /^(false|0|no)$/i.test(value.trim())
              ? false
              : value,
        z.boolean({ error: `"${path}" must be true or false.` }),
      )
      .optional(),
});

const name = configField({
  key: 'name',
  scope: 'printer',
  env: 'BAMBUZLED_PRINTER_NAME',
  meaning: "the printer's name in logs and tables",
  defaultText: 'the serial',
  schema: (path) => text(path, 'a short label such as "garage-p1s"').optional(),
});

const archiveDir = configField({
  key: 'archive_dir',
  scope: 'global',
  meaning: 'where the report archive goes',
  defaultText: 'next to the database: `data/print_history.archive/`',
  schema: (path) => text(path, 'a folder path such as "data/print_history.archive"').optional(),
});

const archiveRetentionDays = configField({
  key: 'archive_retention_days',
  scope: 'global',
  meaning: 'days of archived reports kept; older day files are deleted; `0` keeps everything',
  defaultText: `\`${DEFAULT_ARCHIVE_RETENTION_DAYS}\``,
  schema: () => {
    const error = `"archive_retention_days" must be a whole number of days (0 keeps every archived report), e.g. ${DEFAULT_ARCHIVE_RETENTION_DAYS}.`;
    return z.preprocess(numeric(/^.*\S.*$/), z.number({ error }).int({ error }).min(0, { error })).optional();
  },
});

/** The listener's keys by name, for reading their validated values with their types (valueOf). */
export const listenerFields = {
  printerIp,
  accessCode,
  serialNumber,
  port: port('port', DEFAULT_MQTT_PORT, 'MQTT over TLS port'),
  ftpPort: port(
    'ftp_port',
    DEFAULT_FTP_PORT,
    "the printer's FTPS port (implicit TLS), where each job's `.3mf` is read for its filament",
  ),
  checkInterval,
  dbFile,
  printers,
  caFile,
  insecure,
  name,
  archiveDir,
  archiveRetentionDays,
};

/** The listener's keys, in the order the README's table lists them. */
export const LISTENER_FIELDS: readonly ConfigField[] = Object.values(listenerFields);
