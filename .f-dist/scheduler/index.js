export { ProjectCompileError, SchedulerBusyError, SchedulerConfigError, SchedulerError, } from './errors.js';
export { createScheduler } from './scheduler.js';
export { nodeCronScheduler, } from './scheduler-types.js';
export { migrateSensorSchema } from './sensor-schema.js';
export { startScheduleService } from './service.js';
export { startStatusServer } from './status-server.js';
//# sourceMappingURL=index.js.map