import type { z } from 'zod';
import { redactSecrets } from './logger.js';

/**
 * The one description of the config file's keys. Each stage declares its own fields (the listener in
 * ingestion/config-fields.ts, the sensor in scheduler/settings.ts) and the CLI joins them; from the
 * joined list come the validation (zod schemas with messages that name the key and the fix), the
 * known keys for "did you mean", the BAMBUZLED_* environment variables and the README's table.
 */
export interface ConfigField<T = unknown> {
  key: string;
  /** 'printer': one printer's key (top level for one printer, or in each entry of "printers"). */
  scope: 'printer' | 'global';
  /** The environment variable that overrides the key; null for none ("printers"). */
  env: string | null;
  /** For the README: what the key means and its default. */
  meaning: string;
  defaultText: string;
  /** Every printer needs it. */
  required: boolean;
  /** Its value is never quoted back (access codes). */
  secret: boolean;
  /**
   * Validates a value given for the key. `path` is the key as the user wrote it (printers[1].port),
   * for the messages; a missing required value reaches the schema as undefined.
   */
  schema: (path: string) => z.ZodType<T>;
}

type FieldSpec<T> = Pick<ConfigField<T>, 'key' | 'scope' | 'meaning' | 'schema'> &
  Partial<Omit<ConfigField<T>, 'key' | 'scope' | 'meaning' | 'schema'>>;

/** A field with the usual defaults: env BAMBUZLED_<KEY>, no default, optional, not secret. */
export function configField<T>(spec: FieldSpec<T>): ConfigField<T> {
  return {
    env: `BAMBUZLED_${spec.key.toUpperCase()}`,
    defaultText: '',
    required: false,
    secret: false,
    ...spec,
  };
}

/** A configuration that cannot be used. The message names each key at fault and the fix, never a secret. */
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

/** The validated values: globals by key, and one record per printer (single-printer form or farm). */
export interface ParsedConfig {
  values: Readonly<Record<string, unknown>>;
  printers: readonly Readonly<Record<string, unknown>>[];
}

/**
 * Validates a parsed config file (any JSON value) merged with environment overrides against the
 * fields. Pure. `check` may add issues about the whole (e.g. two printers with one serial). Throws
 * one ConfigError listing every problem, with every secret given anywhere masked.
 */
export function parseConfigFile(
  raw: unknown,
  env: NodeJS.ProcessEnv,
  fields: readonly ConfigField[],
  check: (parsed: ParsedConfig, issues: string[]) => void = () => {},
): ParsedConfig {
  if (raw !== undefined && !isRecord(raw)) {
    throw new ConfigError(
      'The config must be a JSON object like ingestion/config.example.json ({"printer_ip": …}).',
    );
  }
  const issues: string[] = [];
  const printerFields = fields.filter((f) => f.scope === 'printer');
  const globalFields = fields.filter((f) => f.scope === 'global');
  const file = { ...(raw ?? {}) };
  checkKeys(
    file,
    [...globalFields, ...printerFields].map((f) => f.key),
    '',
    issues,
  );
  const fromEnv = envValues(env, fields);
  const settings: Record<string, unknown> = { ...file, ...fromEnv };

  const printers: Record<string, unknown>[] = [];
  const singleKeys = printerFields.map((f) => f.key).filter((key) => settings[key] !== undefined);
  if (settings.printers !== undefined) {
    if (singleKeys.length > 0) {
      const envNames = singleKeys
        .filter((key) => key in fromEnv)
        .map((key) => fields.find((f) => f.key === key)?.env ?? key);
      issues.push(
        `Both "printers" and the single-printer key(s) ${singleKeys.map((k) => `"${k}"`).join(', ')} are set` +
          `${envNames.length > 0 ? ` (from ${envNames.join(', ')})` : ''}: move each printer into "printers" ` +
          `or remove "printers" and keep one printer at the top level.`,
      );
    }
    if (!Array.isArray(settings.printers)) {
      issues.push('"printers" must be a list: "printers": [{"name": …, "printer_ip": …, …}].');
    } else {
      settings.printers.forEach((entry: unknown, index) => {
        const where = `printers[${index}]`;
        if (!isRecord(entry)) {
          issues.push(`${where} must be an object with printer_ip, access_code and serial_number.`);
          return;
        }
        checkKeys(
          entry,
          printerFields.map((f) => f.key),
          `${where}.`,
          issues,
        );
        const printer = readFields(entry, printerFields, `${where}.`, issues);
        if (printer) printers.push(printer);
      });
    }
  } else if (singleKeys.length > 0) {
    const printer = readFields(settings, printerFields, '', issues);
    if (printer) printers.push(printer);
  }
  const values = readFields(settings, globalFields, '', issues) ?? {};
  const parsed = { values, printers };
  check(parsed, issues);

  if (issues.length > 0) {
    // A code pasted into the wrong key would be quoted back: mask every secret given anywhere.
    const safe = issues.map((issue) => redactSecrets(issue, secretsIn(settings, fields)));
    throw new ConfigError(
      safe.length === 1 ? safe[0]! : `The config has ${safe.length} problems:\n- ${safe.join('\n- ')}`,
      safe,
    );
  }
  return parsed;
}

/** The validated value of one field in a record of ParsedConfig, typed by the field's schema. */
export function fieldValue<T>(
  record: Readonly<Record<string, unknown>>,
  field: ConfigField<T>,
): T | undefined {
  return record[field.key] as T | undefined;
}

/** The markdown table of the keys, as the README shows it (a test keeps the two equal). */
export function renderConfigTable(fields: readonly ConfigField[]): string {
  const row = (cells: string[]) =>
    `|${cells.map((c) => (c === '' ? ' |' : ` ${c.replaceAll('|', '\\|')} |`)).join('')}`;
  return [
    row(['key', 'meaning', 'default', 'environment']),
    row(['---', '---', '---', '---']),
    ...fields.map((f) => row([`\`${f.key}\``, f.meaning, f.defaultText, f.env ? `\`${f.env}\`` : ''])),
  ].join('\n');
}

/**
 * Validates the given keys of one record (a printer or the globals). Returns the values (with the
 * schemas' defaults) or undefined when one is wrong; a field's first issue is the one reported.
 */
function readFields(
  record: Record<string, unknown>,
  fields: readonly ConfigField[],
  prefix: string,
  issues: string[],
): Record<string, unknown> | undefined {
  const before = issues.length;
  const values: Record<string, unknown> = {};
  for (const field of fields) {
    const value = record[field.key];
    if (value === undefined && !field.required) {
      const fallback = field.schema(`${prefix}${field.key}`).safeParse(undefined);
      if (fallback.success && fallback.data !== undefined) values[field.key] = fallback.data;
      continue;
    }
    const result = field.schema(`${prefix}${field.key}`).safeParse(value);
    if (result.success) values[field.key] = result.data;
    else issues.push(result.error.issues[0]?.message ?? `"${prefix}${field.key}" is not valid.`);
  }
  return issues.length > before ? undefined : values;
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

function envValues(env: NodeJS.ProcessEnv, fields: readonly ConfigField[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const field of fields) {
    const value = field.env === null ? undefined : env[field.env];
    if (value !== undefined && value !== '') values[field.key] = value;
  }
  return values;
}

function secretsIn(settings: Record<string, unknown>, fields: readonly ConfigField[]): string[] {
  const secretKeys = fields.filter((f) => f.secret).map((f) => f.key);
  const entries = Array.isArray(settings.printers) ? [settings, ...settings.printers] : [settings];
  return entries.flatMap((entry: unknown) =>
    secretKeys.flatMap((key) => {
      const value = isRecord(entry) ? entry[key] : undefined;
      return typeof value === 'string' && value.trim().length >= 4 ? [value, value.trim()] : [];
    }),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
