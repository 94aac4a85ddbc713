import { isIP } from 'node:net';

/** The Python original's default: one write per job per minute. */
export const DEFAULT_CHECK_INTERVAL_S = 60;
export const DEFAULT_MQTT_PORT = 8883;
/** The printer's implicit-TLS FTP server (it requires TLS session reuse on data connections). */
export const DEFAULT_FTP_PORT = 990;

/*
 * Readers for single config values. Each returns the value in the type the listener uses, or records
 * an issue that names the key and the fix (never the value of a secret) and returns undefined/a default.
 */

export function readHost(value: unknown, key: string, issues: string[]): string | undefined {
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

export function readSerial(value: unknown, key: string, issues: string[]): string | undefined {
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

export function readAccessCode(value: unknown, key: string, issues: string[]): string | undefined {
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

export function readPort(
  value: unknown,
  key: string,
  issues: string[],
  fallback: number = DEFAULT_MQTT_PORT,
): number {
  if (value === undefined) return fallback;
  const port = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535) return port;
  issues.push(`"${key}" must be a whole number between 1 and 65535; Bambu printers use ${fallback}.`);
  return fallback;
}

export function readCheckInterval(value: unknown, issues: string[]): number {
  if (value === undefined) return DEFAULT_CHECK_INTERVAL_S;
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) return seconds;
  issues.push(
    `"check_interval" must be a number of seconds (0 or more) between two progress writes of a job, e.g. ${DEFAULT_CHECK_INTERVAL_S}.`,
  );
  return DEFAULT_CHECK_INTERVAL_S;
}

/** Days of archived reports kept; 0 keeps them all. */
export const DEFAULT_ARCHIVE_RETENTION_DAYS = 365;

export function readRetentionDays(value: unknown, issues: string[]): number {
  if (value === undefined) return DEFAULT_ARCHIVE_RETENTION_DAYS;
  const days = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof days === 'number' && Number.isInteger(days) && days >= 0) return days;
  issues.push(
    `"archive_retention_days" must be a whole number of days (0 keeps every archived report), e.g. ${DEFAULT_ARCHIVE_RETENTION_DAYS}.`,
  );
  return DEFAULT_ARCHIVE_RETENTION_DAYS;
}

export function readString(
  value: unknown,
  key: string,
  issues: string[],
  example: string,
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  issues.push(`"${key}" must be a non-empty string: ${example}.`);
  return undefined;
}

export function readBoolean(value: unknown, key: string, issues: string[]): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|1|yes)$/i.test(value.trim())) return true;
  if (typeof value === 'string' && /^(false|0|no)$/i.test(value.trim())) return false;
  issues.push(`"${key}" must be true or false.`);
  return undefined;
}

export function readTags(value: unknown, issues: string[]): string[] | undefined {
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
