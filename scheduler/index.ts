/**
 * The scheduler stage: a cron-woken sensor over the raw layer's change sequence that runs the
 * Dataform graph through the adapter, its run lock and tick log, and the status page.
 */

export type { LockHolder } from '../adapter/index.js';
export type { Timers } from './change-watcher.js';
export {
  ProjectCompileError,
  RunLockLostError,
  SchedulerBusyError,
  SchedulerConfigError,
  SchedulerError,
} from './errors.js';
export { createScheduler } from './scheduler.js';
export {
  type Cron,
  type CronTask,
  nodeCronScheduler,
  type RunNowRequest,
  type Scheduler,
  type SchedulerAdapter,
  type SchedulerOptions,
  type SchedulerStatus,
} from './scheduler-types.js';
export { migrateSensorSchema } from './sensor-schema.js';
export type { SensorState, TickDecision, TickRecord } from './sensor-store.js';
export { type ScheduleService, type ScheduleServiceOptions, startScheduleService } from './service.js';
export {
  DEFAULT_SCHEDULE,
  DEFAULT_TAGS,
  SCHEDULER_FIELDS,
  type SchedulerSettings,
  schedulerSettingsOf,
} from './settings.js';
export { type StatusServer, type StatusServerOptions, startStatusServer } from './status-server.js';
