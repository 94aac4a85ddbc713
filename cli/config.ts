import {
  checkPrinters,
  LISTENER_FIELDS,
  type ListenerConfig,
  listenerConfigOf,
  readConfigSource,
} from '../ingestion/index.js';
import { type ConfigField, parseConfigFile } from '../lib/index.js';
import { SCHEDULER_FIELDS, type SchedulerSettings, schedulerSettingsOf } from '../scheduler/index.js';

/**
 * The config file's keys: the listener's and the sensor's, each stage declaring its own. Every key's
 * validation, environment variable and README line come from here (see cli/config.test.ts).
 */
export const CONFIG_FIELDS: readonly ConfigField[] = [...LISTENER_FIELDS, ...SCHEDULER_FIELDS];

/** What `ingestion/config.json` (plus environment overrides) says, for the listener and the sensor. */
export type BambuzledConfig = ListenerConfig & SchedulerSettings;

export { ConfigError } from '../lib/index.js';

/**
 * Validates a parsed config file (any JSON value) merged with environment overrides.
 * Pure: reads nothing but its arguments. Throws one ConfigError listing every problem.
 */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = {}): BambuzledConfig {
  const parsed = parseConfigFile(raw, env, CONFIG_FIELDS, checkPrinters);
  return { ...listenerConfigOf(parsed), ...schedulerSettingsOf(parsed) };
}

/** Reads and validates a config file (or, when there is none, the BAMBUZLED_* printer variables). */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): BambuzledConfig {
  return parseConfig(readConfigSource(path, env), env);
}
