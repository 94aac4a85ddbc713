import { validate as isValidCron } from 'node-cron';
import { z } from 'zod';
import { type ConfigField, configField, fieldValue, type ParsedConfig } from '../lib/index.js';

/** When the sensor looks when nothing says otherwise: every 30 s (node-cron, six fields with seconds). */
export const DEFAULT_SCHEDULE = '*/30 * * * * *';
/** What a sensor run covers when nothing says otherwise (plus everything downstream). */
export const DEFAULT_TAGS = ['bronze'];

/** The sensor's part of the config file. */
export interface SchedulerSettings {
  /** Cron expression for the scheduler's sensor (`schedule`). */
  schedule?: string;
  /** Dataform tags the sensor runs when jobs end (`sensor_tags`). */
  sensorTags?: string[];
}

const schedule = configField({
  key: 'schedule',
  scope: 'global',
  meaning: "the sensor's cron expression, six fields with seconds",
  defaultText: `\`${DEFAULT_SCHEDULE}\``,
  schema: (path) => {
    const error = `"${path}" must be a non-empty string: a cron expression such as "*/5 * * * *".`;
    return z
      .string({ error })
      .trim()
      .min(1, { error, abort: true })
      .refine(isValidCron, {
        error: `"${path}" is not a valid cron expression: use five or six fields, e.g. "*/5 * * * *".`,
      })
      .optional();
  },
});

const sensorTags = configField({
  key: 'sensor_tags',
  scope: 'global',
  meaning: 'what a sensor run covers (plus everything downstream)',
  defaultText: `\`${JSON.stringify(DEFAULT_TAGS)}\``,
  schema: (path) => {
    const error = `"${path}" must be a list of Dataform tags, e.g. ["daily"] (or "daily,hourly" in the environment).`;
    return z
      .preprocess(
        (value) => (typeof value === 'string' ? value.split(',') : value),
        z.array(z.string({ error }).trim().min(1, { error }), { error }),
      )
      .optional();
  },
});

/** The sensor's keys, in the order the README's table lists them. */
export const SCHEDULER_FIELDS: readonly ConfigField[] = [schedule, sensorTags];

/** The sensor's settings from the validated values (lib/config-schema.ts parseConfigFile). */
export function schedulerSettingsOf(parsed: ParsedConfig): SchedulerSettings {
  const settings: SchedulerSettings = {};
  const cron = fieldValue(parsed.values, schedule);
  if (cron !== undefined) settings.schedule = cron;
  const tags = fieldValue(parsed.values, sensorTags);
  if (tags !== undefined) settings.sensorTags = tags;
  return settings;
}
