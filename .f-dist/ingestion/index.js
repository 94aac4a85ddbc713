/**
 * The ingestion stage's public surface: what the CLI and the scheduler may use.
 * Everything else in ingestion/ is internal to the listener.
 */
export { ConfigError, loadConfig } from './config.js';
export { formatStatusLine } from './farm-status.js';
export { startListener, } from './listener.js';
export { jobsEndedSince, latestChangeSeq } from './raw-changes.js';
export { ENDED_JOB_STATUSES, JOB_STATUSES, migrateRawSchema } from './raw-schema.js';
export { TrustConfigError } from './trust.js';
//# sourceMappingURL=index.js.map